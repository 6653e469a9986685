import { and, asc, count, desc, eq, ilike, isNotNull, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import {
  environments,
  flagConfigVersions,
  flagEnvironments,
  flags,
  flagUsage,
  freezeWindows,
  type StoredFlagConfig,
  segments,
} from '../../db/schema/index.ts';
import type { EnvironmentGate } from '../../domain/changes.ts';
import { type CursorValue, exactTime } from '../../http/paging.ts';

export type FlagRow = typeof flags.$inferSelect;
export type FlagEnvironmentRow = typeof flagEnvironments.$inferSelect;
export type ConfigVersionRow = typeof flagConfigVersions.$inferSelect;

export async function findFlag(db: Database, key: string): Promise<FlagRow | undefined> {
  const [row] = await db.select().from(flags).where(eq(flags.key, key)).limit(1);
  return row;
}

export function flagEnvironmentsOf(db: Database, keys: string[]): Promise<FlagEnvironmentRow[]> {
  if (keys.length === 0) return Promise.resolve([]);
  return db.select().from(flagEnvironments).where(sql`${flagEnvironments.flagKey} in ${keys}`);
}

export async function findFlagEnvironment(db: Database, flagKey: string, environmentKey: string): Promise<FlagEnvironmentRow | undefined> {
  const [row] = await db
    .select()
    .from(flagEnvironments)
    .where(and(eq(flagEnvironments.flagKey, flagKey), eq(flagEnvironments.environmentKey, environmentKey)))
    .limit(1);
  return row;
}

/** `findFlagEnvironment` for many (flag, environment) pairs in one query; absent pairs are left out. */
export function findFlagEnvironments(
  db: Database,
  pairs: ReadonlyArray<{ flagKey: string; environmentKey: string }>,
): Promise<FlagEnvironmentRow[]> {
  if (pairs.length === 0) return Promise.resolve([]);
  const wanted = sql.join(
    pairs.map((p) => sql`(${p.flagKey}, ${p.environmentKey})`),
    sql`, `,
  );
  return db.select().from(flagEnvironments).where(sql`(${flagEnvironments.flagKey}, ${flagEnvironments.environmentKey}) in (${wanted})`);
}

/**
 * A flag, the environment's write settings (null when it does not exist) and the flag's config
 * there, in one query (one round trip where four were): what every edit of one environment's
 * config starts from. Undefined when the flag does not exist.
 */
export async function findFlagInEnvironment(
  db: Database,
  flagKey: string,
  environmentKey: string,
): Promise<{ flag: FlagRow; gate: EnvironmentGate | null; current: FlagEnvironmentRow | null } | undefined> {
  const [row] = await db
    .select({
      flag: flags,
      environment: environments.key,
      requiredApprovals: environments.requiredApprovals,
      hasWindows: sql<boolean>`exists (select 1 from ${freezeWindows} where ${freezeWindows.environmentKey} = ${environments.key})`,
      current: flagEnvironments,
    })
    .from(flags)
    .leftJoin(environments, eq(environments.key, environmentKey))
    .leftJoin(flagEnvironments, and(eq(flagEnvironments.flagKey, flags.key), eq(flagEnvironments.environmentKey, environmentKey)))
    .where(eq(flags.key, flagKey))
    .limit(1);
  if (!row) return undefined;
  const gate =
    row.environment === null
      ? null
      : { environment: row.environment, requiredApprovals: row.requiredApprovals ?? 0, hasWindows: row.hasWindows };
  return { flag: row.flag, gate, current: row.current };
}

export interface FlagFilter {
  q?: string | undefined;
  tag?: string | undefined;
  state?: 'active' | 'archived' | 'all' | undefined;
  environment?: string | undefined;
  enabled?: boolean | undefined;
  /** Older than a week and not evaluated by any SDK for a week: a candidate for clean-up. */
  stale?: boolean | undefined;
  limit: number;
  offset: number;
  /** The order; each sorts by its value, then by key (ascending) so the order is total and stable. */
  sort?: FlagSort | undefined;
  order?: 'asc' | 'desc' | undefined;
  /** The cursor's (sort value, key) of the last flag seen; rows come after it (offset then unused). */
  after?: CursorValue[] | undefined;
}

export const FlagSort = { updated: 'updated', created: 'created', name: 'name', evaluated: 'evaluated' } as const;
export type FlagSort = (typeof FlagSort)[keyof typeof FlagSort];

/** Each sort's natural direction: newest first for times, A to Z for names. */
export const defaultOrder = (sort: FlagSort): 'asc' | 'desc' => (sort === 'name' ? 'asc' : 'desc');

/**
 * Never evaluated counts as the epoch, so such flags come last newest-first (first oldest-first)
 * and the cursor still holds a plain time.
 */
const lastEvaluated = sql`coalesce((select max(u.last_evaluated_at) from ${flagUsage} u where u.flag_key = ${flags.key}), 'epoch'::timestamptz)`;

function sortColumn(sort: FlagSort): { value: SQL | typeof flags.name; cursor: SQL<string> | typeof flags.name; time: boolean } {
  switch (sort) {
    case 'name':
      return { value: flags.name, cursor: flags.name, time: false };
    case 'created':
      return { value: sql`${flags.createdAt}`, cursor: exactTime(flags.createdAt), time: true };
    case 'evaluated':
      return { value: lastEvaluated, cursor: exactTime(lastEvaluated), time: true };
    default:
      return { value: sql`${flags.updatedAt}`, cursor: exactTime(flags.updatedAt), time: true };
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * In the filter's order (last changed first by default, ties by key); `total` counts every match.
 * With a cursor, `limit + 1` rows after it, each with its exact sort value for the next cursor.
 */
export async function listFlags(db: Database, f: FlagFilter): Promise<{ rows: Array<{ row: FlagRow; at: string }>; total: number }> {
  const where: SQL[] = [];
  const state = f.state ?? 'active';
  if (state === 'active') where.push(isNull(flags.archivedAt));
  if (state === 'archived') where.push(isNotNull(flags.archivedAt));
  if (f.q) {
    const like = `%${escapeLike(f.q)}%`;
    const match = or(
      ilike(flags.key, like),
      ilike(flags.name, like),
      ilike(flags.description, like),
      sql`exists (select 1 from unnest(${flags.tags}) t where t ilike ${like})`,
    );
    if (match) where.push(match);
  }
  if (f.tag) where.push(sql`${f.tag} = any(${flags.tags})`);
  if (f.environment !== undefined && f.enabled !== undefined) {
    where.push(
      sql`exists (select 1 from ${flagEnvironments} fe where fe.flag_key = ${flags.key} and fe.environment_key = ${f.environment} and fe.enabled = ${f.enabled})`,
    );
  }
  if (f.stale !== undefined) {
    const stale = sql`(${flags.createdAt} < now() - interval '7 days' and not exists (select 1 from ${flagUsage} u where u.flag_key = ${flags.key} and u.last_evaluated_at > now() - interval '7 days'))`;
    where.push(f.stale ? stale : sql`not ${stale}`);
  }
  const condition = where.length > 0 ? and(...where) : undefined;
  const sort = f.sort ?? 'updated';
  const order = f.order ?? defaultOrder(sort);
  const col = sortColumn(sort);
  let after: SQL | undefined;
  if (f.after) {
    const [a, key] = f.after;
    const at = col.time ? sql`${a}::timestamptz` : sql`${a}`;
    // The key breaks ties ascending in both directions, so the row value comparison is spelled out.
    after = sql`(${col.value} ${order === 'desc' ? sql`<` : sql`>`} ${at} or (${col.value} = ${at} and ${flags.key} > ${key}))`;
  }
  const rows = await db
    .select({ row: flags, at: sql<string>`${col.cursor}` })
    .from(flags)
    .where(after ? and(condition, after) : condition)
    .orderBy(order === 'desc' ? desc(col.value) : asc(col.value), asc(flags.key))
    .limit(f.limit + 1)
    .offset(f.after ? 0 : f.offset);
  const [total] = await db.select({ n: count() }).from(flags).where(condition);
  return { rows, total: total?.n ?? 0 };
}

/** A new flag, switched off in every environment, each with `config` (variants, say) as version 1. */
export async function insertFlag(
  db: Database,
  values: typeof flags.$inferInsert,
  actor: string,
  config: StoredFlagConfig = {},
): Promise<FlagRow> {
  const [row] = await db.insert(flags).values(values).returning();
  if (!row) throw new Error('insert returned nothing');
  const envs = await db.select({ key: environments.key }).from(environments);
  if (envs.length > 0) {
    await db.insert(flagEnvironments).values(envs.map((e) => ({ flagKey: row.key, environmentKey: e.key, config })));
    await db
      .insert(flagConfigVersions)
      .values(envs.map((e) => ({ flagKey: row.key, environmentKey: e.key, version: 1, enabled: false, config, actor })));
  }
  return row;
}

/** Compare-and-set on the flag's version; undefined when the version was stale. */
export async function updateFlagIfVersion(
  db: Database,
  key: string,
  version: number,
  set: Partial<typeof flags.$inferInsert>,
): Promise<FlagRow | undefined> {
  const [row] = await db
    .update(flags)
    .set({ ...set, version: sql`${flags.version} + 1`, updatedAt: new Date() })
    .where(and(eq(flags.key, key), eq(flags.version, version)))
    .returning();
  return row;
}

/** Compare-and-set on one environment's config, recording the new version in the history. */
export async function updateFlagEnvironmentIfVersion(
  db: Database,
  flagKey: string,
  environmentKey: string,
  version: number,
  enabled: boolean,
  config: StoredFlagConfig,
  actor: string,
): Promise<FlagEnvironmentRow | undefined> {
  const [row] = await db
    .update(flagEnvironments)
    .set({ enabled, config, version: sql`${flagEnvironments.version} + 1`, updatedAt: new Date() })
    .where(
      and(
        eq(flagEnvironments.flagKey, flagKey),
        eq(flagEnvironments.environmentKey, environmentKey),
        eq(flagEnvironments.version, version),
      ),
    )
    .returning();
  if (!row) return undefined;
  await db.insert(flagConfigVersions).values({ flagKey, environmentKey, version: row.version, enabled, config, actor });
  await db.update(flags).set({ updatedAt: new Date() }).where(eq(flags.key, flagKey));
  return row;
}

/** What `updateFlagEnvironmentIfUnchanged` writes, and what it requires to be as it was read. */
export interface UnchangedWrite {
  flagKey: string;
  environmentKey: string;
  version: number;
  flagVersion: number;
  segments: readonly string[];
  enabled: boolean;
  config: StoredFlagConfig;
  actor: string;
  updatedAt: Date;
}

/**
 * `updateFlagEnvironmentIfVersion` for an edit validated before its transaction held the
 * environment's lock, as the items of one statement's WITH (for `ChangeTx.auditWritten`, which adds
 * the audit row; data-modifying WITH items cannot nest, so this is not a statement of its own): it
 * writes only if, besides the config's version, the flag is still at `flagVersion` and active
 * (archiving and every change of what SDKs see of the flag bump that version) and every segment in
 * `segments` still exists. Run after the lock is taken, so the statement sees every write that held
 * it before. `written` holds the updated row, or none when anything moved: the caller then validates
 * again under the lock.
 */
export function updateFlagEnvironmentIfUnchanged(w: UnchangedWrite): SQL {
  const segmentKeys = [...new Set(w.segments)];
  const segmentsExist =
    segmentKeys.length === 0 ? sql`true` : sql`(select count(*) from ${segments} where key in ${segmentKeys}) = ${segmentKeys.length}`;
  return sql`
    written as (
      update ${flagEnvironments}
      set enabled = ${w.enabled}, config = ${JSON.stringify(w.config)}::jsonb, version = version + 1, updated_at = ${w.updatedAt}
      where flag_key = ${w.flagKey} and environment_key = ${w.environmentKey} and version = ${w.version}
        and exists (select 1 from ${flags} where key = ${w.flagKey} and version = ${w.flagVersion} and archived_at is null)
        and ${segmentsExist}
      returning flag_key, version
    ),
    recorded as (
      insert into ${flagConfigVersions} (flag_key, environment_key, version, enabled, config, actor)
      select flag_key, ${w.environmentKey}, version, ${w.enabled}, ${JSON.stringify(w.config)}::jsonb, ${w.actor} from written
    ),
    touched as (
      update ${flags} set updated_at = ${w.updatedAt} where key = ${w.flagKey} and exists (select 1 from written)
    )`;
}

/** Newest first; `limit + 1` versions below `beforeVersion`. */
export function listConfigVersions(
  db: Database,
  flagKey: string,
  environmentKey: string,
  page: { limit: number; beforeVersion?: number | undefined },
): Promise<ConfigVersionRow[]> {
  const where = [eq(flagConfigVersions.flagKey, flagKey), eq(flagConfigVersions.environmentKey, environmentKey)];
  if (page.beforeVersion !== undefined) where.push(lt(flagConfigVersions.version, page.beforeVersion));
  return db
    .select()
    .from(flagConfigVersions)
    .where(and(...where))
    .orderBy(desc(flagConfigVersions.version))
    .limit(page.limit + 1);
}

export async function findConfigVersion(
  db: Database,
  flagKey: string,
  environmentKey: string,
  version: number,
): Promise<ConfigVersionRow | undefined> {
  const [row] = await db
    .select()
    .from(flagConfigVersions)
    .where(
      and(
        eq(flagConfigVersions.flagKey, flagKey),
        eq(flagConfigVersions.environmentKey, environmentKey),
        eq(flagConfigVersions.version, version),
      ),
    )
    .limit(1);
  return row;
}

/** Flags (active, in any environment) whose config depends on `flagKey`. */
export async function dependentsOf(db: Database, flagKey: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ key: flagEnvironments.flagKey })
    .from(flagEnvironments)
    .innerJoin(flags, eq(flags.key, flagEnvironments.flagKey))
    .where(and(isNull(flags.archivedAt), sql`${flagEnvironments.config}->'dependencies' @> ${JSON.stringify([{ flag: flagKey }])}::jsonb`));
  return rows.map((r) => r.key).sort();
}

/** Every active flag's dependency list in one environment, for validating a new config. */
export async function dependencyGraph(db: Database, environmentKey: string): Promise<Map<string, string[]>> {
  const rows = await db
    .select({ key: flagEnvironments.flagKey, config: flagEnvironments.config })
    .from(flagEnvironments)
    .innerJoin(flags, eq(flags.key, flagEnvironments.flagKey))
    .where(and(eq(flagEnvironments.environmentKey, environmentKey), isNull(flags.archivedAt)));
  return new Map(rows.map((r) => [r.key, (r.config.dependencies ?? []).map((d) => d.flag)]));
}

export async function deleteFlagRow(db: Database, key: string): Promise<void> {
  await db.delete(flagConfigVersions).where(eq(flagConfigVersions.flagKey, key));
  await db.delete(flags).where(eq(flags.key, key));
}
