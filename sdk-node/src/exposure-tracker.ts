import type { Context } from '@switchboard/core';
import { callSafely } from './call-safely.ts';
import type { Reason } from './evaluation.ts';

/** One user's exposure to one flag's outcome, for experiment tooling (the `onExposure` option). */
export interface Exposure {
  flag: string;
  enabled: boolean;
  /** The variant name; `disabled` when the flag is off or has no variants. */
  variant: string;
  reason: Reason;
  ruleId: string | null;
  /** The id the outcome sticks to (the rule's stickiness attribute, else userId, sessionId or remoteAddress). */
  stickinessId: string | undefined;
  context: Context;
  at: Date;
}

export interface ExposureOptions {
  windowMs: number;
  maxEntries: number;
}

/**
 * Reports each (flag, variant, stickiness id) at most once per window, so experiment tooling sees
 * exposures rather than evaluations. The memory of what was reported is bounded: the oldest entries
 * are forgotten first, which at worst reports an exposure again.
 */
export class ExposureTracker {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly callback: (exposure: Exposure) => unknown,
    private readonly options: ExposureOptions,
    private readonly now: () => number,
    private readonly onError: (error: unknown) => void,
  ) {}

  track(
    flag: string,
    enabled: boolean,
    variant: string,
    reason: Reason,
    ruleId: string | null,
    stickinessId: string | undefined,
    context: Context,
  ): void {
    const key = `${flag}\u0000${variant}\u0000${stickinessId ?? ''}`;
    const now = this.now();
    const at = this.seen.get(key);
    if (at !== undefined && now - at < this.options.windowMs) return;
    // Re-inserted so the map's order stays oldest-first for eviction.
    this.seen.delete(key);
    this.seen.set(key, now);
    while (this.seen.size > this.options.maxEntries) {
      const oldest = this.seen.keys().next();
      if (oldest.done) break;
      this.seen.delete(oldest.value);
    }
    callSafely(this.callback, [{ flag, enabled, variant, reason, ruleId, stickinessId, context, at: new Date(now) }], this.onError);
  }
}
