import type { EvaluationResult } from '@switchboard/core';
import { endpoint } from './endpoint.ts';
import type { Resolved } from './options.ts';
import type { TrackedEvents, UsageMetrics } from './usage-metrics.ts';

/** One tracked event's aggregate for one flag result (`POST /api/sdk/metrics`, `metrics`). */
interface Metric {
  name: string;
  flag: string;
  enabled: boolean;
  variant: string;
  ruleId: string | null;
  count: number;
  sum: number;
}

/** What the server takes in one report, and what a page holds of events it could not send yet. */
const MAX_METRICS = 1000;
const NAME = /^[\w.:-]{1,100}$/;

/** Results a client served, by flag, with when (the last time). */
export type Served = Record<string, [EvaluationResult, number]>;

/** How long a served result takes the events `track` records. */
const TRACK_WINDOW_MS = 30 * 60_000;

/**
 * `track()`, loaded on demand with the usage report: the event counts once (and `value` is summed)
 * for each flag result the client served in the last TRACK_WINDOW_MS, aggregated per name and
 * result until the next usage report. Beyond MAX_METRICS aggregates, new ones are dropped (the
 * report could not carry them).
 */
export function track(metrics: UsageMetrics, name: string, served: Served, now: number, value: unknown): void {
  if (!NAME.test(name)) return;
  const sum = typeof value === 'number' && Number.isFinite(value) ? value : 0;
  metrics.events ??= tracker();
  for (const [flag, [{ enabled, variant, ruleId }, at]] of Object.entries(served)) {
    if (now - at < TRACK_WINDOW_MS) {
      (metrics.events as ReturnType<typeof tracker>).add({ name, flag, enabled, variant: variant.name, ruleId, count: 1, sum });
    }
  }
}

function tracker(): TrackedEvents & { add(m: Metric): void } {
  let held = new Map<string, Metric>();
  const add = (m: Metric) => {
    const key = JSON.stringify([m.name, m.flag, m.enabled, m.variant, m.ruleId]);
    const h = held.get(key);
    if (h) {
      h.count += m.count;
      h.sum += m.sum;
    } else if (held.size < MAX_METRICS) held.set(key, { ...m });
  };
  return {
    add,
    take() {
      const out = [...held.values()];
      held = new Map();
      return out;
    },
    keep: (sent) => (sent as Metric[]).forEach(add),
  };
}

/**
 * Sends one usage report (`POST /api/sdk/metrics`): the counts since `usage.start` (taken), and the tracked
 * events, when there is anything. Counts are best effort: a report that fails is not retried and
 * never reported as an error; its tracked events go back for the next one. `metrics` is sent only
 * when there are some: servers before it reject unknown fields.
 */
export function report(o: Resolved, usage: UsageMetrics): void {
  const { flags, start } = usage;
  usage.flags = Object.create(null);
  usage.start = o.now();
  const metrics = usage.events?.take() ?? [];
  if (Object.keys(flags).length === 0 && metrics.length === 0) return;
  const iso = (ms: number) => new Date(ms).toISOString();
  const keep = () => usage.events?.keep(metrics);
  try {
    // keepalive lets the last report of a page that is closing still go out.
    o.fetch(endpoint(o, 'sdk/metrics'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ start: iso(start), stop: iso(o.now()), flags, ...(metrics.length > 0 && { metrics }) }),
      keepalive: true,
    }).then((res) => res.ok || keep(), keep);
  } catch {
    keep();
  }
}
