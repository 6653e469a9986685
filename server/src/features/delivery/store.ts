import type { Segment } from '@switchboard/core';
import { and, asc, eq, getTableColumns, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { changeLog, contextAttributes, environments, flagEnvironments, flags, sdkKeys, segments } from '../../db/schema/index.ts';
import { toSnapshotFlag } from '../../domain/snapshot-flag.ts';
import { sensitiveAttributeNames } from '../attributes/store.ts';
import type { FlagEnvironmentRow } from '../flags/store.ts';
import { type BrowserEvaluation, browserEvaluation } from './client-view.ts';
import type { LoadedEnvironment } from './environment-state.ts';

/** One environment's full state, read in one transaction so the revision matches the content. */
export async function loadEnvironment(db: Database, environment: string): Promise<LoadedEnvironment | undefined> {
  return db.transaction(
    async (tx) => {
      const [env] = await tx.select().from(environments).where(eq(environments.key, environment)).limit(1);
      if (!env) return undefined;
      const rows = await tx
        .select({ key: flags.key, clientVisible: flags.clientVisible, enabled: flagEnvironments.enabled, config: flagEnvironments.config })
        .from(flagEnvironments)
        .innerJoin(flags, eq(flags.key, flagEnvironments.flagKey))
        .where(and(eq(flagEnvironments.environmentKey, environment), isNull(flags.archivedAt)))
        .orderBy(asc(flags.key));
      const segs = await tx.select({ key: segments.key, conditions: segments.conditions }).from(segments).orderBy(asc(segments.key));
      return {
        environment,
        revision: env.revision,
        flags: rows.map((r) => toSnapshotFlag(r.key, r.enabled, r.config, r.clientVisible)),
        segments: segs as Segment[],
        sensitive: await sensitiveAttributeNames(tx),
      };
    },
    { isolationLevel: 'repeatable read' },
  );
}

export function readChanges(db: Database, environment: string, afterRevision: number, limit: number) {
  return db
    .select({ revision: changeLog.revision, change: changeLog.change })
    .from(changeLog)
    .where(and(eq(changeLog.environmentKey, environment), gt(changeLog.revision, afterRevision)))
    .orderBy(asc(changeLog.revision))
    .limit(limit);
}

export function environmentRevisions(db: Database): Promise<Array<{ key: string; revision: number }>> {
  return db.select({ key: environments.key, revision: environments.revision }).from(environments);
}

/** Of the given key ids, those still active. */
export async function activeKeyIds(db: Database, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ id: sdkKeys.id })
    .from(sdkKeys)
    .where(and(inArray(sdkKeys.id, ids), isNull(sdkKeys.revokedAt)));
  return new Set(rows.map((r) => r.id));
}

/** Keeps the newest `keep` revisions of each environment's change log. */
export async function pruneChangeLog(db: Database, environment: string, currentRevision: number, keep: number): Promise<void> {
  await db.delete(changeLog).where(and(eq(changeLog.environmentKey, environment), lte(changeLog.revision, sql`${currentRevision - keep}`)));
}

/** One flag's configuration in one environment, with what `browserEvaluationFor` needs besides. */
export interface FlagEnvironmentWithFlag extends FlagEnvironmentRow {
  clientVisible: boolean;
  archived: boolean;
  /** Every attribute marked sensitive. */
  sensitive: string[];
}

/** A flag's configuration in one environment, its flag and the sensitive attributes: one round trip. */
export async function findFlagEnvironmentWithFlag(
  db: Database,
  flagKey: string,
  environment: string,
): Promise<FlagEnvironmentWithFlag | undefined> {
  const [row] = await db
    .select({
      ...getTableColumns(flagEnvironments),
      clientVisible: flags.clientVisible,
      archived: sql<boolean>`${flags.archivedAt} is not null`,
      sensitive: sql<string[]>`array(select ${contextAttributes.name} from ${contextAttributes} where ${contextAttributes.sensitive})`,
    })
    .from(flagEnvironments)
    .innerJoin(flags, eq(flags.key, flagEnvironments.flagKey))
    .where(and(eq(flagEnvironments.flagKey, flagKey), eq(flagEnvironments.environmentKey, environment)))
    .limit(1);
  return row;
}

/**
 * Where browsers evaluate one flag of one environment, and why: the client view's own decision
 * (`browserEvaluation`), from the flag, its parents, the segments and the sensitive attributes.
 * For the admin API; undefined for an archived flag (browsers no longer see it).
 */
export async function browserEvaluationFor(db: Database, row: FlagEnvironmentWithFlag): Promise<BrowserEvaluation | undefined> {
  if (row.archived) return undefined;
  const flag = toSnapshotFlag(row.flagKey, row.enabled, row.config, row.clientVisible);
  const parentKeys = (flag.dependencies ?? []).map((d) => d.flag);
  const parentRows =
    parentKeys.length > 0
      ? await db
          .select({
            key: flags.key,
            clientVisible: flags.clientVisible,
            enabled: flagEnvironments.enabled,
            config: flagEnvironments.config,
          })
          .from(flagEnvironments)
          .innerJoin(flags, eq(flags.key, flagEnvironments.flagKey))
          .where(and(eq(flagEnvironments.environmentKey, row.environmentKey), inArray(flags.key, parentKeys), isNull(flags.archivedAt)))
      : [];
  const parents = new Map(parentRows.map((r) => [r.key, toSnapshotFlag(r.key, r.enabled, r.config, r.clientVisible)]));
  // Only the segments these rules name: reading every segment's values for one flag's answer
  // would cost as much as the largest segment, on every read of the flag.
  const named = [...new Set([flag, ...parents.values()].flatMap((f) => (f.rules ?? []).flatMap((r) => r.segments ?? [])))];
  const segs =
    named.length > 0
      ? await db.select({ key: segments.key, conditions: segments.conditions }).from(segments).where(inArray(segments.key, named))
      : [];
  return browserEvaluation(flag, new Map(segs.map((s) => [s.key, s as Segment])), new Set(row.sensitive), (key) =>
    key === row.flagKey ? flag : parents.get(key),
  );
}
