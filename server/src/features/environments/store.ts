import { asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import {
  changeLog,
  changeRequests,
  environments,
  flagConfigVersions,
  flagEnvironments,
  flagMetrics,
  flags,
  flagUsage,
  flagUsageHourly,
  rampPlans,
  scheduledChanges,
} from '../../db/schema/index.ts';

export type EnvironmentRow = typeof environments.$inferSelect;

export function listEnvironments(db: Database): Promise<EnvironmentRow[]> {
  return db.select().from(environments).orderBy(asc(environments.sortOrder), asc(environments.key));
}

export async function findEnvironment(db: Database, key: string): Promise<EnvironmentRow | undefined> {
  const [row] = await db.select().from(environments).where(eq(environments.key, key)).limit(1);
  return row;
}

export function findEnvironments(db: Database, keys: readonly string[]): Promise<EnvironmentRow[]> {
  if (keys.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(environments)
    .where(inArray(environments.key, [...keys]));
}

export async function insertEnvironment(
  db: Database,
  key: string,
  name: string,
  sortOrder: number,
  isProtected = false,
): Promise<EnvironmentRow> {
  const [row] = await db.insert(environments).values({ key, name, sortOrder, protected: isProtected }).returning();
  if (!row) throw new Error('insert returned nothing');
  // Every existing flag gets a config here, switched off, as its version 1.
  const flagKeys = await db.select({ key: flags.key }).from(flags);
  if (flagKeys.length > 0) {
    await db.insert(flagEnvironments).values(flagKeys.map((f) => ({ flagKey: f.key, environmentKey: key })));
    await db
      .insert(flagConfigVersions)
      .values(
        flagKeys.map((f) => ({ flagKey: f.key, environmentKey: key, version: 1, enabled: false, config: {}, actor: 'system:environment' })),
      );
  }
  return row;
}

/** What is keyed by an environment without a foreign key to it: history, change log, usage, plans. */
export async function deleteEnvironmentData(db: Database, key: string): Promise<void> {
  await db.delete(changeLog).where(eq(changeLog.environmentKey, key));
  await db.delete(flagConfigVersions).where(eq(flagConfigVersions.environmentKey, key));
  await db.delete(flagUsage).where(eq(flagUsage.environmentKey, key));
  await db.delete(flagUsageHourly).where(eq(flagUsageHourly.environmentKey, key));
  await db.delete(flagMetrics).where(eq(flagMetrics.environmentKey, key));
  await db.delete(rampPlans).where(eq(rampPlans.environmentKey, key));
  await db.delete(scheduledChanges).where(eq(scheduledChanges.environmentKey, key));
  await db.delete(changeRequests).where(eq(changeRequests.environmentKey, key));
}
