import type { EvaluationResult } from '@switchboard/core';
import { endpoint, type Resolved } from './options.ts';

interface FlagCount {
  yes: number;
  no: number;
  variants: Record<string, number>;
}

export interface UsageMetrics {
  count(flag: string, result: EvaluationResult): void;
  /** Sends what was counted since the last send, if anything, and stops the timer (a tick then sets it again). */
  flush(): void;
}

/**
 * Evaluation counts per flag and variant, sent to `POST /api/sdk/metrics` every `metricsInterval`
 * (one report per shared connection, whatever the number of clients). Best effort: a report that
 * fails is dropped, never retried, and never reported as an error.
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
    if (Object.keys(flags).length === 0) return;
    const body = JSON.stringify({ start: iso(start), stop: iso(o.now()), flags });
    flags = Object.create(null);
    start = o.now();
    try {
      // keepalive lets the last report of a page that is closing still go out.
      o.fetch(endpoint(o, 'sdk/metrics'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        keepalive: true,
      }).catch(() => {});
    } catch {}
  }

  schedule();
  return {
    count(flag, { enabled, variant }) {
      if (o.metricsInterval <= 0) return;
      flags[flag] ??= { yes: 0, no: 0, variants: {} };
      const c = flags[flag];
      c[enabled ? 'yes' : 'no']++;
      c.variants[variant.name] = (c.variants[variant.name] ?? 0) + 1;
    },
    flush,
  };
}
