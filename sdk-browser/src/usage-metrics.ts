import type { EvaluationResult } from '@switchboard/core';
import { endpoint, type Resolved } from './options.ts';

interface FlagCount {
  yes: number;
  no: number;
  variants: Record<string, number>;
}

/** Tracked events (`track()`, tracking.ts): what goes with the next report, and what to keep when it failed. */
export interface TrackedEvents {
  take(): unknown[];
  keep(sent: unknown[]): void;
}

export interface UsageMetrics {
  count(flag: string, result: EvaluationResult): void;
  /** Set by tracking.ts the first time the page tracks an event. */
  events?: TrackedEvents;
  /** Sends what was counted since the last send, if anything, and stops the timer (a tick then sets it again). */
  flush(): void;
}

/**
 * Evaluation counts per flag and variant, and tracked events, sent to `POST /api/sdk/metrics` every
 * `metricsInterval` (one report per shared connection, whatever the number of clients). Counts are
 * best effort: a report that fails is not retried, and never reported as an error; its tracked
 * events are kept for the next one. `metrics` is sent only when there are some: servers before it
 * reject unknown fields.
 */
export function usageMetrics(o: Resolved): UsageMetrics {
  // No prototype: a flag may be called `constructor`.
  let flags: Record<string, FlagCount> = Object.create(null);
  let start = o.now();
  let timer: unknown;
  const iso = (ms: number) => new Date(ms).toISOString();
  const schedule = () => {
    if (o.metricsInterval <= 0) return;
    timer = o.timers.set(() => {
      flush();
      schedule();
    }, o.metricsInterval);
  };

  function flush(): void {
    o.timers.clear(timer);
    const metrics = self.events?.take() ?? [];
    if (Object.keys(flags).length === 0 && metrics.length === 0) return;
    const body = JSON.stringify({ start: iso(start), stop: iso(o.now()), flags, ...(metrics.length > 0 && { metrics }) });
    flags = Object.create(null);
    start = o.now();
    const keep = () => self.events?.keep(metrics);
    try {
      // keepalive lets the last report of a page that is closing still go out.
      o.fetch(endpoint(o, 'sdk/metrics'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        keepalive: true,
      }).then((res) => res.ok || keep(), keep);
    } catch {
      keep();
    }
  }

  const self: UsageMetrics = {
    count(flag, { enabled, variant }) {
      if (o.metricsInterval <= 0) return;
      flags[flag] ??= { yes: 0, no: 0, variants: {} };
      const c = flags[flag];
      c[enabled ? 'yes' : 'no']++;
      c.variants[variant.name] = (c.variants[variant.name] ?? 0) + 1;
    },
    flush,
  };
  schedule();
  return self;
}
