import type { Database } from '../../db/client.ts';
import { addMetrics, type MetricRow } from './store.ts';

/** A tracked-event entry as kept after filtering: the report's fields, `ruleId` null when no rule decided. */
export interface TrackedEntry {
  name: string;
  flag: string;
  enabled: boolean;
  variant: string;
  ruleId: string | null;
  count: number;
  sum: number;
}

/** Rows held between flushes on one replica; past it new rows wait for a later report. */
const MAX_PENDING = 50_000;
/**
 * Distinct metric names one flag may gather in one environment between flushes. Names are free
 * text from SDKs (client keys are public): without a bound, a page could mint rows without end.
 */
export const MAX_METRIC_NAMES_PER_FLAG = 100;

const SEP = '\u0000';

/**
 * Sums tracked events per environment, flag, result (enabled, variant, rule), metric and minute in
 * memory and adds them to `flag_metrics` every interval, as `UsageAggregator` does for evaluation
 * counts: a fleet of SDKs reporting every few seconds costs one upsert per row per interval.
 */
export class MetricAggregator {
  private pending = new Map<string, MetricRow>();
  /** Metric names per environment and flag in `pending`, for the per-flag bound. */
  private names = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush().catch(this.onError), intervalMs);
    this.timer.unref();
  }

  /** Adds entries at `at`'s minute; returns how many were refused by the bounds. */
  add(environmentKey: string, entries: readonly TrackedEntry[], at: Date): number {
    const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    let refused = 0;
    for (const e of entries) {
      if (
        !this.addRow({
          environmentKey,
          flagKey: e.flag,
          minute,
          metric: e.name,
          enabled: e.enabled,
          variant: e.variant,
          ruleId: e.ruleId ?? '',
          count: e.count,
          sum: e.sum,
        })
      )
        refused++;
    }
    return refused;
  }

  private addRow(row: MetricRow): boolean {
    const id = [row.environmentKey, row.flagKey, row.minute.getTime(), row.metric, row.enabled, row.variant, row.ruleId].join(SEP);
    const held = this.pending.get(id);
    if (held) {
      held.count += row.count;
      held.sum += row.sum;
      return true;
    }
    if (this.pending.size >= MAX_PENDING) return false;
    const flagId = `${row.environmentKey}${SEP}${row.flagKey}`;
    let names = this.names.get(flagId);
    if (!names) {
      names = new Set();
      this.names.set(flagId, names);
    }
    if (!names.has(row.metric)) {
      if (names.size >= MAX_METRIC_NAMES_PER_FLAG) return false;
      names.add(row.metric);
    }
    this.pending.set(id, { ...row });
    return true;
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.names = new Map();
    try {
      await addMetrics(this.db, batch);
    } catch (err) {
      // Counted events are not thrown away for a failed write: they wait for the next one.
      for (const row of batch) this.addRow(row);
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
