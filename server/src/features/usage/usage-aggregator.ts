import { DISABLED_VARIANT } from '@switchboard/core';
import { lt, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { flagUsage, flagUsageHourly } from '../../db/schema/index.ts';
import { lockExistingFlags } from './store.ts';

export interface FlagCounts {
  yes: number;
  no: number;
  variants?: Record<string, number> | undefined;
}

interface Pending {
  flagKey: string;
  environmentKey: string;
  /** Start of the hour the counts fall in (the report's time). */
  hour: Date;
  yes: number;
  no: number;
  variants: Record<string, number>;
  lastEvaluatedAt: Date;
}

const MAX_PENDING = 50_000;
const HOUR_MS = 3_600_000;
/**
 * Hourly rows older than this are deleted: a day beyond the 7 days the admin API reads. Each
 * replica deletes at most once an hour, after a flush; the delete is idempotent (replicas racing
 * delete the same old rows, which no write touches any more), so it needs no claimed job, and a
 * failed one is logged and done again an hour later.
 */
export const HOURLY_RETENTION_MS = 8 * 24 * HOUR_MS;
const PRUNE_EVERY_MS = HOUR_MS;

export type HourlyRow = typeof flagUsageHourly.$inferInsert;

/**
 * One flag's counts for one hour as rows of `flag_usage_hourly`. Reports count on/off and variants
 * separately, so variants are read as a split of the "on" answers: named variants in name order
 * take at most what is left of `yes`, the rest is "on" without a variant, `no` is "off". The
 * browser SDK's `disabled` pseudo-variant is not a variant and is left to the remainder.
 */
export function hourlyRows(p: Pending): HourlyRow[] {
  const base = { flagKey: p.flagKey, environmentKey: p.environmentKey, hour: p.hour };
  const rows: HourlyRow[] = [];
  if (p.no > 0) rows.push({ ...base, enabled: false, variant: '', count: p.no });
  let left = p.yes;
  for (const name of Object.keys(p.variants).sort()) {
    if (name === DISABLED_VARIANT.name || name === '') continue;
    const n = Math.min(left, p.variants[name] ?? 0);
    if (n <= 0) continue;
    rows.push({ ...base, enabled: true, variant: name, count: n });
    left -= n;
  }
  if (left > 0) rows.push({ ...base, enabled: true, variant: '', count: left });
  return rows;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Primary-key order, so replicas upserting overlapping rows lock them in one order. */
function compareHourly(a: HourlyRow, b: HourlyRow): number {
  return (
    compareText(a.flagKey, b.flagKey) ||
    compareText(a.environmentKey, b.environmentKey) ||
    a.hour.getTime() - b.hour.getTime() ||
    Number(a.enabled) - Number(b.enabled) ||
    compareText(a.variant, b.variant)
  );
}

/**
 * Sums SDK reports in memory and writes them in one transaction every interval, so a fleet of
 * SDKs reporting every few seconds costs one upsert per flag per interval, not one per report:
 * the all-time sums in `flag_usage` and the hour's rows in `flag_usage_hourly`.
 */
export class UsageAggregator {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;
  private lastPrune = 0;
  /** The flush in progress: flushes run one after another (see `flush`). */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush().catch(this.onError), intervalMs);
    this.timer.unref();
  }

  add(environmentKey: string, counts: Record<string, FlagCounts>, at: Date): void {
    for (const [flagKey, c] of Object.entries(counts)) {
      // Nothing evaluated is no evidence of use (it would hide a stale flag).
      if (c.yes + c.no === 0) continue;
      const hour = new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
      const id = `${environmentKey}\u0000${flagKey}\u0000${hour.getTime()}`;
      let p = this.pending.get(id);
      if (!p) {
        // Bounded: past the cap new flags wait for the next report rather than grow memory.
        if (this.pending.size >= MAX_PENDING) continue;
        p = { flagKey, environmentKey, hour, yes: 0, no: 0, variants: {}, lastEvaluatedAt: at };
        this.pending.set(id, p);
      }
      p.yes += c.yes;
      p.no += c.no;
      for (const [name, n] of Object.entries(c.variants ?? {})) p.variants[name] = (p.variants[name] ?? 0) + n;
      if (at > p.lastEvaluatedAt) p.lastEvaluatedAt = at;
    }
  }

  /**
   * Writes what was summed so far, after any flush still in progress: a write slower than the
   * interval would otherwise overlap the next one, and `stop` return while one still ran.
   */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushOnce());
    this.flushing = run.catch(() => {});
    return run;
  }

  private async flushOnce(): Promise<void> {
    await this.prune();
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.write(batch);
    } catch (err) {
      // Counted evaluations are not thrown away for a failed write: they wait for the next one
      // (each at its own time, so in its own hour).
      for (const p of batch) this.add(p.environmentKey, { [p.flagKey]: p }, p.lastEvaluatedAt);
      throw err;
    }
  }

  /**
   * One transaction, one statement per table, rows in a fixed order: replicas flushing overlapping
   * flags lock them in the same order and cannot deadlock.
   *
   * The flags counted are locked `for key share` in that transaction, in key order, before the
   * upserts: a flag deleted meanwhile is either gone when the lock is granted (its counts are left
   * out) or waits for this write to commit and then deletes the rows it wrote. Reading which flags
   * exist outside the write would let a delete in between be undone by the upserts.
   */
  private async write(batch: Pending[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      const known = await lockExistingFlags(
        tx,
        batch.map((p) => p.flagKey),
      );
      const kept = batch.filter((p) => known.has(p.flagKey));
      if (kept.length === 0) return;
      // All-time sums: one row per flag and environment, whatever hours the batch spans.
      const totals = new Map<string, Omit<Pending, 'hour'>>();
      for (const p of kept) {
        const id = `${p.environmentKey}\u0000${p.flagKey}`;
        const t = totals.get(id);
        if (!t) {
          const { hour: _hour, ...sums } = p;
          totals.set(id, { ...sums, variants: { ...p.variants } });
          continue;
        }
        t.yes += p.yes;
        t.no += p.no;
        for (const [name, n] of Object.entries(p.variants)) t.variants[name] = (t.variants[name] ?? 0) + n;
        if (p.lastEvaluatedAt > t.lastEvaluatedAt) t.lastEvaluatedAt = p.lastEvaluatedAt;
      }
      const rows = [...totals.values()].sort((a, b) =>
        a.environmentKey === b.environmentKey ? a.flagKey.localeCompare(b.flagKey) : a.environmentKey.localeCompare(b.environmentKey),
      );
      const hourly = kept.flatMap(hourlyRows).sort(compareHourly);
      await tx
        .insert(flagUsage)
        .values(rows)
        .onConflictDoUpdate({
          target: [flagUsage.flagKey, flagUsage.environmentKey],
          set: {
            yes: sql`${flagUsage.yes} + excluded.yes`,
            no: sql`${flagUsage.no} + excluded.no`,
            variants: sql`(select coalesce(jsonb_object_agg(k, v), '{}'::jsonb) from (
              select k, sum(v::bigint) as v from (
                select key as k, value as v from jsonb_each_text(${flagUsage.variants})
                union all select key, value from jsonb_each_text(excluded.variants)
              ) both_ group by k) summed)`,
            lastEvaluatedAt: sql`greatest(${flagUsage.lastEvaluatedAt}, excluded.last_evaluated_at)`,
          },
        });
      if (hourly.length === 0) return;
      await tx
        .insert(flagUsageHourly)
        .values(hourly)
        .onConflictDoUpdate({
          target: [
            flagUsageHourly.flagKey,
            flagUsageHourly.environmentKey,
            flagUsageHourly.hour,
            flagUsageHourly.enabled,
            flagUsageHourly.variant,
          ],
          set: { count: sql`${flagUsageHourly.count} + excluded.count` },
        });
    });
  }

  /** The retention delete, at most once an hour per replica (see `HOURLY_RETENTION_MS`). */
  private async prune(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    try {
      await this.db.delete(flagUsageHourly).where(lt(flagUsageHourly.hour, new Date(now - HOURLY_RETENTION_MS)));
    } catch (err) {
      this.onError(err);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
