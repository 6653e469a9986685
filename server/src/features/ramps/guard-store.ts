import { and, asc, desc, eq, gte, lt, lte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { auditLog, flagConfigVersions, flagMetrics, rampPlans } from '../../db/schema/index.ts';
import type { RampRow } from './store.ts';

/** When the plan was last started (its `ramp.started` audit row); null while pending. */
export async function rampStartedAt(db: Database, id: string): Promise<Date | null> {
  const [row] = await db
    .select({ at: auditLog.createdAt })
    .from(auditLog)
    .where(and(eq(auditLog.resourceType, 'ramp'), eq(auditLog.resourceKey, id), eq(auditLog.action, 'ramp.started')))
    .orderBy(desc(auditLog.createdAt))
    .limit(1);
  return row?.at ?? null;
}

export type ConfigVersion = Pick<typeof flagConfigVersions.$inferSelect, 'enabled' | 'config' | 'createdAt'>;

/** The flag's config versions in force over [from, to]: the one at `from`, and each made after it. */
export async function versionsOver(db: Database, flag: string, environment: string, from: Date, to: Date): Promise<ConfigVersion[]> {
  const cols = { enabled: flagConfigVersions.enabled, config: flagConfigVersions.config, createdAt: flagConfigVersions.createdAt };
  const of = and(eq(flagConfigVersions.flagKey, flag), eq(flagConfigVersions.environmentKey, environment));
  const [before] = await db
    .select(cols)
    .from(flagConfigVersions)
    .where(and(of, lt(flagConfigVersions.createdAt, from)))
    .orderBy(desc(flagConfigVersions.version))
    .limit(1);
  const after = await db
    .select(cols)
    .from(flagConfigVersions)
    .where(and(of, gte(flagConfigVersions.createdAt, from), lte(flagConfigVersions.createdAt, to)))
    .orderBy(asc(flagConfigVersions.version));
  return before ? [before, ...after] : after;
}

/** One metric's counts per minute and rule over [from, to), summed over enabled and variant. */
export function metricCountsByRule(
  db: Database,
  q: { flag: string; environment: string; metric: string; from: Date; to: Date },
): Promise<Array<{ minute: Date; ruleId: string; count: number }>> {
  return db
    .select({ minute: flagMetrics.minute, ruleId: flagMetrics.ruleId, count: sql<number>`sum(${flagMetrics.count})::float8` })
    .from(flagMetrics)
    .where(
      and(
        eq(flagMetrics.environmentKey, q.environment),
        eq(flagMetrics.flagKey, q.flag),
        eq(flagMetrics.metric, q.metric),
        gte(flagMetrics.minute, q.from),
        lt(flagMetrics.minute, q.to),
      ),
    )
    .groupBy(flagMetrics.minute, flagMetrics.ruleId)
    .orderBy(asc(flagMetrics.minute));
}

/** Running plans with a metric guard: the scheduler's candidates (each is then claimed on its own). */
export async function runningMetricGuardedRamps(db: Database): Promise<string[]> {
  const rows = await db
    .select({ id: rampPlans.id })
    .from(rampPlans)
    .where(and(eq(rampPlans.state, 'running'), sql`${rampPlans.guard}->>'kind' = 'metric'`));
  return rows.map((r) => r.id);
}

/**
 * The plan, locked for this transaction if still running and nobody else holds it: a replica
 * checking the same plan skips it instead of waiting, and sees its new state once this commits.
 */
export async function claimRunningRamp(db: Database, id: string): Promise<RampRow | undefined> {
  const [row] = await db
    .select()
    .from(rampPlans)
    .where(and(eq(rampPlans.id, id), eq(rampPlans.state, 'running')))
    .for('update', { skipLocked: true })
    .limit(1);
  return row;
}
