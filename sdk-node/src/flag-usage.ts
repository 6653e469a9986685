import type { VariantResult } from '@switchboard/core';
import type { UsageCounter } from './usage-counter.ts';

/**
 * One flag's counts for the current interval. The client's flag table holds one per flag, so the
 * evaluation path counts into plain fields without a lookup; the counter owns the object, and keeps
 * the same one for a key across snapshots and intervals (it resets it in place when it reports).
 */
export class FlagUsage {
  yes = 0;
  no = 0;
  variants: Map<string, number> | null = null;
  /**
   * In the current interval's report. Until it is, every count goes through the counter, which
   * enlists it within the limits; so the limits are checked once per flag and interval, not per call.
   */
  counting = false;
  /** Held by the client's flag table: kept once reported, instead of forgotten. */
  held = false;

  constructor(
    readonly key: string,
    private readonly counter: UsageCounter,
  ) {}

  /** Counts one evaluation; `variant` is counted when it is a real one (`enabled`). */
  count(enabled: boolean, variant: VariantResult): void {
    // Small on purpose, so it inlines into the evaluation methods; the rest is the counter's.
    // Unbounded here (a double counts exactly to 2^53); the report caps what the server takes.
    if (this.counting && variant.enabled !== true) {
      if (enabled) this.yes++;
      else this.no++;
    } else {
      this.counter.countInto(this, enabled, variant);
    }
  }
}
