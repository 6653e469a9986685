/**
 * `track(name, context?, value?)` (both SDKs): an event is attributed to every flag result its
 * context was served recently, and aggregated into rows for the usage report's `metrics`. Pure and
 * bounded: results are remembered per sticky id in an LRU with a cap (and a cap of flags per id),
 * rows are capped, and a report that could not be sent is merged back within the same caps.
 */

/** One row of `POST /api/sdk/metrics` `metrics`: an event name beside one flag outcome. */
export interface TrackedMetric {
  name: string;
  flag: string;
  enabled: boolean;
  variant: string;
  ruleId: string | null;
  count: number;
  sum: number;
}

/** A flag outcome as served: what an event is attributed to. */
export interface ServedResult {
  enabled: boolean;
  variant: string;
  ruleId: string | null;
}

export interface TrackingLimits {
  /** Sticky ids remembered; the least recently served are forgotten first. Default 10,000. */
  maxContexts?: number;
  /** Flags remembered per sticky id. Default 100. */
  maxFlagsPerContext?: number;
  /** Rows held until sent; the server takes at most 1000 per report. Default 1000. */
  maxRows?: number;
}

/** What the server accepts as an event name. */
export const METRIC_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;
const MAX_COUNT = 1_000_000_000;

export class TrackingAggregator {
  private readonly served = new Map<string, Map<string, ServedResult>>();
  private rows = new Map<string, TrackedMetric>();
  private readonly maxContexts: number;
  private readonly maxFlags: number;
  private readonly maxRows: number;
  /** Events or rows dropped past a cap, or with an invalid name. */
  dropped = 0;

  constructor(limits: TrackingLimits = {}) {
    this.maxContexts = limits.maxContexts ?? 10_000;
    this.maxFlags = limits.maxFlagsPerContext ?? 100;
    this.maxRows = Math.min(1000, limits.maxRows ?? 1000);
  }

  /** Remembers that `stickyId` was served `result` for `flag` (the latest result per flag counts). */
  remember(stickyId: string, flag: string, result: ServedResult): void {
    let flags = this.served.get(stickyId);
    if (flags === undefined) {
      flags = new Map();
      this.served.set(stickyId, flags);
      if (this.served.size > this.maxContexts) {
        const oldest = this.served.keys().next();
        if (!oldest.done) this.served.delete(oldest.value);
      }
    } else if (this.served.size > 1) {
      // Most recently served last, so the first key is the one to forget.
      this.served.delete(stickyId);
      this.served.set(stickyId, flags);
    }
    if (!flags.has(flag) && flags.size >= this.maxFlags) {
      const oldest = flags.keys().next();
      if (!oldest.done) flags.delete(oldest.value);
    }
    flags.delete(flag);
    flags.set(flag, result);
  }

  /**
   * One event: a row per flag result `stickyId` was served, counted once and summing `value` (when a
   * finite number). Returns the number of flags it was attributed to.
   */
  track(name: string, stickyId: string | undefined, value?: number): number {
    if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
      this.dropped++;
      return 0;
    }
    const flags = stickyId === undefined ? undefined : this.served.get(stickyId);
    if (flags === undefined) return 0;
    const sum = typeof value === 'number' && Number.isFinite(value) ? value : 0;
    for (const [flag, r] of flags) this.add({ name, flag, enabled: r.enabled, variant: r.variant, ruleId: r.ruleId, count: 1, sum });
    return flags.size;
  }

  /** The rows so far, emptying them; an empty array when there are none. */
  take(): TrackedMetric[] {
    const rows = [...this.rows.values()];
    this.rows = new Map();
    return rows;
  }

  /** Puts back rows that could not be sent, merged with those counted since, within the cap. */
  restore(rows: readonly TrackedMetric[]): void {
    for (const row of rows) this.add({ ...row });
  }

  get size(): number {
    return this.rows.size;
  }

  private add(row: TrackedMetric): void {
    const key = `${row.name}\u0000${row.flag}\u0000${row.enabled ? 1 : 0}\u0000${row.variant}\u0000${row.ruleId ?? ''}`;
    const held = this.rows.get(key);
    if (held !== undefined) {
      held.count = Math.min(MAX_COUNT, held.count + row.count);
      held.sum += row.sum;
    } else if (this.rows.size < this.maxRows) {
      this.rows.set(key, row);
    } else {
      this.dropped += row.count;
    }
  }
}
