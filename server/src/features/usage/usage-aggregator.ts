import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { flags, flagUsage } from '../../db/schema/index.ts';

export interface FlagCounts {
  yes: number;
  no: number;
  variants?: Record<string, number> | undefined;
}

interface Pending {
  flagKey: string;
  environmentKey: string;
  yes: number;
  no: number;
  variants: Record<string, number>;
  lastEvaluatedAt: Date;
}

const MAX_PENDING = 50_000;

/**
 * Sums SDK reports in memory and writes them in one transaction every interval, so a fleet of
 * SDKs reporting every few seconds costs one upsert per flag per interval, not one per report.
 */
export class UsageAggregator {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | null = null;

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
      const id = `${environmentKey}\u0000${flagKey}`;
      let p = this.pending.get(id);
      if (!p) {
        // Bounded: past the cap new flags wait for the next report rather than grow memory.
        if (this.pending.size >= MAX_PENDING) continue;
        p = { flagKey, environmentKey, yes: 0, no: 0, variants: {}, lastEvaluatedAt: at };
        this.pending.set(id, p);
      }
      p.yes += c.yes;
      p.no += c.no;
      for (const [name, n] of Object.entries(c.variants ?? {})) p.variants[name] = (p.variants[name] ?? 0) + n;
      if (at > p.lastEvaluatedAt) p.lastEvaluatedAt = at;
    }
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.write(batch);
    } catch (err) {
      // Counted evaluations are not thrown away for a failed write: they wait for the next one.
      for (const p of batch) this.add(p.environmentKey, { [p.flagKey]: p }, p.lastEvaluatedAt);
      throw err;
    }
  }

  /**
   * One statement for the whole batch, rows in a fixed order: replicas flushing overlapping flags
   * lock them in the same order and cannot deadlock.
   */
  private async write(batch: Pending[]): Promise<void> {
    const known = new Set(
      (
        await this.db
          .select({ key: flags.key })
          .from(flags)
          .where(sql`${flags.key} in ${[...new Set(batch.map((p) => p.flagKey))]}`)
      ).map((r) => r.key),
    );
    const rows = batch
      .filter((p) => known.has(p.flagKey))
      .sort((a, b) =>
        a.environmentKey === b.environmentKey ? a.flagKey.localeCompare(b.flagKey) : a.environmentKey.localeCompare(b.environmentKey),
      );
    if (rows.length === 0) return;
    await this.db
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
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
