import { and, asc, eq, gte, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { flagEnvironments, flagMetrics, flags, flagUsage, flagUsageHourly } from '../../db/schema/index.ts';

export type UsageRow = typeof flagUsage.$inferSelect;

export function usageOf(db: Database, flagKeys: string[]): Promise<UsageRow[]> {
  if (flagKeys.length === 0) return Promise.resolve([]);
  return db.select().from(flagUsage).where(sql`${flagUsage.flagKey} in ${flagKeys}`);
}

/**
 * A flag's counts and tracked events, deleted with the flag in its transaction: they are keyed by
 * its key without a foreign key, so a flag re-created under that key would inherit them.
 */
export async function deleteUsageOf(db: Database, flagKey: string): Promise<void> {
  await db.delete(flagUsage).where(eq(flagUsage.flagKey, flagKey));
  await db.delete(flagUsageHourly).where(eq(flagUsageHourly.flagKey, flagKey));
  await db.delete(flagMetrics).where(eq(flagMetrics.flagKey, flagKey));
}

const HOUR_MS = 3_600_000;

/**
 * The windows evaluation counts are read over, in whole hours: "the last 24 hours" is the current
 * hour and the 23 before it, "7 days" the current hour and the 167 before it. Hourly buckets make
 * the oldest hour count whole, so a window covers up to an hour more than its name.
 */
export function usageWindows(now: Date): { hour: Date; from24h: Date; from7d: Date } {
  const hour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  return { hour: new Date(hour), from24h: new Date(hour - 23 * HOUR_MS), from7d: new Date(hour - 167 * HOUR_MS) };
}

export interface EvaluationCounts {
  last24h: number;
  last7d: number;
}

/**
 * Evaluations of a page of flags in the last 24 hours and 7 days, per flag and environment (key
 * `flag\u0000environment`): one grouped read over the primary key's leading columns, so the list
 * pays one small query per page.
 */
export async function evaluationCountsOf(db: Database, flagKeys: string[], now = new Date()): Promise<Map<string, EvaluationCounts>> {
  const counts = new Map<string, EvaluationCounts>();
  if (flagKeys.length === 0) return counts;
  const w = usageWindows(now);
  const rows = await db
    .select({
      flagKey: flagUsageHourly.flagKey,
      environmentKey: flagUsageHourly.environmentKey,
      last24h: sql<string>`coalesce(sum(${flagUsageHourly.count}) filter (where ${flagUsageHourly.hour} >= ${w.from24h}), 0)`,
      last7d: sql<string>`sum(${flagUsageHourly.count})`,
    })
    .from(flagUsageHourly)
    .where(and(sql`${flagUsageHourly.flagKey} in ${flagKeys}`, gte(flagUsageHourly.hour, w.from7d)))
    .groupBy(flagUsageHourly.flagKey, flagUsageHourly.environmentKey);
  for (const r of rows) counts.set(`${r.flagKey}\u0000${r.environmentKey}`, { last24h: Number(r.last24h), last7d: Number(r.last7d) });
  return counts;
}

/** One flag's hourly rows in one environment over the last 7 days, oldest first. */
export function hourlyUsageOf(db: Database, flagKey: string, environmentKey: string, now = new Date()) {
  return db
    .select({
      hour: flagUsageHourly.hour,
      enabled: flagUsageHourly.enabled,
      variant: flagUsageHourly.variant,
      count: flagUsageHourly.count,
    })
    .from(flagUsageHourly)
    .where(
      and(
        eq(flagUsageHourly.flagKey, flagKey),
        eq(flagUsageHourly.environmentKey, environmentKey),
        gte(flagUsageHourly.hour, usageWindows(now).from7d),
      ),
    )
    .orderBy(asc(flagUsageHourly.hour), asc(flagUsageHourly.enabled), asc(flagUsageHourly.variant));
}

/** What a usage report may name in one environment: each live flag, who sees it, its variants. */
export interface UsageCatalogEntry {
  clientVisible: boolean;
  variants: Set<string>;
  /** Its rules' ids in this environment, which tracked metrics may name. */
  ruleIds: Set<string>;
}

export async function usageCatalog(db: Database, environment: string): Promise<Map<string, UsageCatalogEntry>> {
  const rows = await db
    .select({
      key: flags.key,
      clientVisible: flags.clientVisible,
      // Names only, from the flag's split and every rule's: the rest of the config is not needed.
      variants: sql<
        string[] | null
      >`jsonb_path_query_array(${flagEnvironments.config}, '$.variants[*].name') || jsonb_path_query_array(${flagEnvironments.config}, '$.rules[*].variants[*].name')`,
      ruleIds: sql<string[] | null>`jsonb_path_query_array(${flagEnvironments.config}, '$.rules[*].id')`,
    })
    .from(flagEnvironments)
    .innerJoin(flags, eq(flags.key, flagEnvironments.flagKey))
    .where(and(eq(flagEnvironments.environmentKey, environment), isNull(flags.archivedAt)));
  const catalog = new Map<string, UsageCatalogEntry>();
  for (const r of rows) {
    const names = (r.variants ?? []).filter((v): v is string => typeof v === 'string');
    const ruleIds = (r.ruleIds ?? []).filter((v): v is string => typeof v === 'string');
    catalog.set(r.key, { clientVisible: r.clientVisible, variants: new Set(names), ruleIds: new Set(ruleIds) });
  }
  return catalog;
}

/**
 * Of `keys`, the flags that exist, locked `for key share` in key order until the caller's
 * transaction ends: counts written in it then cannot land after a delete of their flag (a delete
 * committed first leaves the flag out; one that comes later waits and removes what was written),
 * and writers locking in the same order cannot deadlock.
 */
export async function lockExistingFlags(tx: Database, keys: readonly string[]): Promise<Set<string>> {
  const rows = await tx
    .select({ key: flags.key })
    .from(flags)
    .where(inArray(flags.key, [...new Set(keys)]))
    .orderBy(asc(flags.key))
    .for('key share');
  return new Set(rows.map((r) => r.key));
}

export type MetricRow = typeof flagMetrics.$inferInsert;

/**
 * Adds summed tracked events to their minutes: one statement, rows in primary-key order so
 * replicas flushing overlapping rows lock them in the same order and cannot deadlock. Rows of
 * flags deleted since they were reported are left out.
 */
export async function addMetrics(db: Database, batch: MetricRow[]): Promise<void> {
  if (batch.length === 0) return;
  // Flags locked as the usage flush locks them (`lockExistingFlags`).
  await db.transaction(async (tx) => {
    const known = await lockExistingFlags(
      tx,
      batch.map((r) => r.flagKey),
    );
    const rows = batch.filter((r) => known.has(r.flagKey)).sort(compareMetricRows);
    if (rows.length === 0) return;
    await tx
      .insert(flagMetrics)
      .values(rows)
      .onConflictDoUpdate({
        target: [
          flagMetrics.environmentKey,
          flagMetrics.flagKey,
          flagMetrics.minute,
          flagMetrics.metric,
          flagMetrics.enabled,
          flagMetrics.variant,
          flagMetrics.ruleId,
        ],
        set: { count: sql`${flagMetrics.count} + excluded.count`, sum: sql`${flagMetrics.sum} + excluded.sum` },
      });
  });
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareMetricRows(a: MetricRow, b: MetricRow): number {
  return (
    compareText(a.environmentKey, b.environmentKey) ||
    compareText(a.flagKey, b.flagKey) ||
    a.minute.getTime() - b.minute.getTime() ||
    compareText(a.metric, b.metric) ||
    Number(a.enabled) - Number(b.enabled) ||
    compareText(a.variant, b.variant) ||
    compareText(a.ruleId, b.ruleId)
  );
}

/** One flag's per-minute rows in `[from, to)`, oldest first; `limit + 1` rows so callers see truncation. */
export function readMetrics(
  db: Database,
  query: { flagKey: string; environmentKey: string; from: Date; to: Date; metric?: string | undefined; limit: number },
) {
  const where: SQL[] = [
    eq(flagMetrics.environmentKey, query.environmentKey),
    eq(flagMetrics.flagKey, query.flagKey),
    gte(flagMetrics.minute, query.from),
    lt(flagMetrics.minute, query.to),
  ];
  if (query.metric !== undefined) where.push(eq(flagMetrics.metric, query.metric));
  return db
    .select()
    .from(flagMetrics)
    .where(and(...where))
    .orderBy(asc(flagMetrics.minute), asc(flagMetrics.metric), asc(flagMetrics.enabled), asc(flagMetrics.variant), asc(flagMetrics.ruleId))
    .limit(query.limit + 1);
}
