import type { EvaluationResult } from '@switchboard/core';
import { loadUsageReport } from './on-demand.ts';
import type { Resolved } from './options.ts';

export interface FlagCount {
  yes: number;
  no: number;
  variants: Record<string, number>;
}

/** Tracked events (`track()`, usage-report.ts): what goes with the next report, and what to keep when it failed. */
export interface TrackedEvents {
  take(): unknown[];
  keep(sent: unknown[]): void;
}

export interface UsageMetrics {
  count(flag: string, result: EvaluationResult): void;
  /** The counts since `start`, taken (and started afresh) by usage-report.ts with each report. */
  flags: Record<string, FlagCount>;
  start: number;
  /** Set by usage-report.ts the first time the page tracks an event. */
  events?: TrackedEvents;
  /** Sends what was counted since the last send, if anything, and stops the timer (a tick then sets it again). */
  flush(): void;
}

/**
 * Evaluation counts per flag and variant, sent with the tracked events every `metricsInterval`
 * (one report per shared connection, whatever the number of clients) by usage-report.ts.
 */
export function usageMetrics(o: Resolved): UsageMetrics {
  let timer: unknown;
  const schedule = () => {
    if (o.metricsInterval <= 0) return;
    timer = o.timers.set(() => {
      self.flush();
      schedule();
    }, o.metricsInterval);
  };
  const self: UsageMetrics = {
    // No prototype: a flag may be called `constructor`.
    flags: Object.create(null),
    start: o.now(),
    count(flag, { enabled, variant }) {
      if (o.metricsInterval <= 0) return;
      self.flags[flag] ??= { yes: 0, no: 0, variants: {} };
      const c = self.flags[flag];
      c[enabled ? 'yes' : 'no']++;
      c.variants[variant.name] = (c.variants[variant.name] ?? 0) + 1;
    },
    flush() {
      o.timers.clear(timer);
      // Sending is code most reports never wait for: loaded with the first one (usage-report.ts), which takes the counts.
      if (Object.keys(self.flags).length > 0 || self.events) void loadUsageReport().then((m) => m.report(o, self));
    },
  };
  schedule();
  return self;
}
