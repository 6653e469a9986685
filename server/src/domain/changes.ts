import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { auditLog, type ChangeOp, changeLog, environments } from '../db/schema/index.ts';
import { NotFoundError } from '../errors.ts';
import { type Actor, actorRef } from './actor.ts';

/** A revision an environment reached inside a transaction; published on the bus after commit. */
export interface RevisionBump {
  environment: string;
  revision: number;
}

/**
 * Bumps an environment's revision and appends the change-log row for it, in one statement (one
 * round trip: the bump takes the environment's row lock, held until commit, so what runs after it
 * is what every other write to the environment waits for). Concurrent changes to one environment
 * get consecutive revisions.
 */
export async function appendChange(tx: Database, environmentKey: string, change: ChangeOp): Promise<RevisionBump> {
  // Both drivers (pg and PGlite) answer raw queries with `{ rows }`; bigint comes back as a string.
  const result = (await tx.execute(sql`
    with bumped as (
      update ${environments} set revision = revision + 1 where key = ${environmentKey} returning revision
    )
    insert into ${changeLog} (environment_key, revision, change)
    select ${environmentKey}, revision, ${JSON.stringify(change)}::jsonb from bumped
    returning revision`)) as unknown as { rows: Array<{ revision: string | number }> };
  const [row] = result.rows;
  // Deleted after the caller found it, by a write that held the lock first: a race it lost.
  if (!row) throw new NotFoundError(`Environment ${environmentKey}`);
  return { environment: environmentKey, revision: Number(row.revision) };
}

/**
 * Replaces the change of a revision this transaction bumped: for a write that took the lock
 * optimistically and, finding things moved, worked out its change again under it.
 */
export async function amendChange(tx: Database, bump: RevisionBump, change: ChangeOp): Promise<void> {
  await tx
    .update(changeLog)
    .set({ change })
    .where(and(eq(changeLog.environmentKey, bump.environment), eq(changeLog.revision, bump.revision)));
}

/** The same change in every environment (flag metadata, segments). */
export async function appendChangeEverywhere(tx: Database, change: (environmentKey: string) => ChangeOp | null): Promise<RevisionBump[]> {
  const envs = await tx.select({ key: environments.key }).from(environments).orderBy(environments.key);
  const bumps: RevisionBump[] = [];
  for (const env of envs) {
    const op = change(env.key);
    if (op) bumps.push(await appendChange(tx, env.key, op));
  }
  return bumps;
}

/**
 * Takes the environment's row lock up front, so a write validates against state that cannot
 * change under it (two dependencies added at once, a segment deleted while a rule starts using it).
 * Writes to one environment queue here; the revision bump later needs the same lock anyway.
 */
export async function lockEnvironment(tx: Database, environmentKey: string): Promise<void> {
  await tx.select({ key: environments.key }).from(environments).where(eq(environments.key, environmentKey)).for('update');
}

/** Every environment's lock, in key order (the order `appendChangeEverywhere` bumps them in). */
export async function lockAllEnvironments(tx: Database): Promise<void> {
  await tx.select({ key: environments.key }).from(environments).orderBy(environments.key).for('update');
}

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceKey: string;
  environmentKey?: string | null;
  before?: unknown;
  after?: unknown;
}

/** The insert of a write's audit row, made only where `onlyIf` holds. */
function insertAudit(actor: Actor, entry: AuditEntry, onlyIf: SQL): SQL {
  const json = (v: unknown) => (v === undefined || v === null ? sql`null` : sql`${JSON.stringify(v)}::jsonb`);
  return sql`
    insert into ${auditLog} (actor, actor_name, action, resource_type, resource_key, environment_key, before, after)
    select ${actorRef(actor)}, ${actor.name}, ${entry.action}, ${entry.resourceType}, ${entry.resourceKey},
      ${entry.environmentKey ?? null}::text, ${json(entry.before)}, ${json(entry.after)}
    where ${onlyIf}`;
}

/**
 * Writes the audit row of a write, inside the write's own transaction; with `alongside` (a
 * statement of its own, the webhook outbox's insert) in the same round trip, as a CTE.
 */
export async function audit(tx: Database, actor: Actor, entry: AuditEntry, alongside?: SQL | null): Promise<void> {
  await tx.execute(
    alongside ? sql`with alongside as (${alongside}) ${insertAudit(actor, entry, sql`true`)}` : insertAudit(actor, entry, sql`true`),
  );
}

/**
 * Runs a write and, only if it wrote anything, the audit row and `alongside(onlyIf)`, all in one
 * statement: a compare-and-set and its audit cost one round trip, which matters under an
 * environment's lock. `write` is the statement's WITH items (data-modifying ones cannot nest), one
 * of them named `written` returning what was written; returns those rows.
 */
export async function auditWritten(
  tx: Database,
  actor: Actor,
  write: SQL,
  entry: AuditEntry,
  alongside?: (onlyIf: SQL) => SQL | null,
): Promise<Array<Record<string, unknown>>> {
  const onlyIf = sql`exists (select 1 from written)`;
  const also = alongside?.(onlyIf);
  // Both drivers (pg and PGlite) answer raw queries with `{ rows }`.
  const result = (await tx.execute(sql`
    with ${write},
    ${also ? sql`alongside as (${also}),` : sql``}
    audited as (${insertAudit(actor, entry, onlyIf)})
    select * from written`)) as unknown as { rows: Array<Record<string, unknown>> };
  return result.rows;
}

export interface ChangeDeps {
  db: Database;
  /** Told of every revision after its transaction commits (the bus, metrics). */
  onCommitted: (bump: RevisionBump) => Promise<void> | void;
  /** Told of every audited write after commit (the admin UI's live view). */
  onActivity?: (entry: AuditEntry, actor: Actor) => Promise<void> | void;
  /** Runs inside the write's transaction for every audited write. */
  onAudited?: (tx: Database, entry: AuditEntry, actor: Actor) => Promise<void>;
  /**
   * A statement to run with every audited write's audit row, in the same round trip (the webhook
   * outbox): under an environment's lock, each round trip is one every other write there waits for.
   * With `onlyIf`, a condition the statement must add (see `auditWritten`).
   */
  auditedStatement?: (entry: AuditEntry, actor: Actor, onlyIf?: SQL) => SQL | null;
}

/** A write in progress: its transaction plus the change-log and audit helpers bound to it. */
export interface ChangeTx {
  tx: Database;
  actor: Actor;
  appendChange(environmentKey: string, change: ChangeOp): Promise<RevisionBump>;
  /** Replaces the change of a revision appended by this write (see `amendChange`). */
  amendChange(bump: RevisionBump, change: ChangeOp): Promise<void>;
  appendChangeEverywhere(change: (environmentKey: string) => ChangeOp | null): Promise<RevisionBump[]>;
  audit(entry: AuditEntry): Promise<void>;
  /** `write` with its audit row in one round trip, audited only if it wrote (see `auditWritten`). */
  auditWritten(write: SQL, entry: AuditEntry): Promise<Array<Record<string, unknown>>>;
}

/** An environment's settings for direct writes, as a write's first read found them. */
export interface EnvironmentGate {
  environment: string;
  /** Above 0: writes go through change requests. */
  requiredApprovals: number;
  /** Whether the environment has any freeze window to look at. */
  hasWindows: boolean;
}

/**
 * Refuses a direct write the environment's settings forbid (approvals, a freeze), inside the
 * write's own transaction, from settings its first read brought along.
 */
export type WriteGate = (c: ChangeTx, gate: EnvironmentGate) => Promise<void>;

/**
 * Runs one write as one transaction: data, revision bumps, change-log rows and the audit row
 * commit together or not at all. Subscribers hear of the new revisions only after the commit.
 */
export async function runChange<T>(deps: ChangeDeps, actor: Actor, fn: (c: ChangeTx) => Promise<T>): Promise<T> {
  const bumps: RevisionBump[] = [];
  const audited: Array<{ entry: AuditEntry; actor: Actor }> = [];
  const value = await deps.db.transaction(async (tx) => {
    const c: ChangeTx = {
      tx,
      actor,
      async appendChange(environmentKey, op) {
        const bump = await appendChange(tx, environmentKey, op);
        bumps.push(bump);
        return bump;
      },
      amendChange: (bump, op) => amendChange(tx, bump, op),
      async appendChangeEverywhere(op) {
        const all = await appendChangeEverywhere(tx, op);
        bumps.push(...all);
        return all;
      },
      // The actor may be refined during the write (a scheduled change acts for its author).
      async audit(entry) {
        await audit(tx, c.actor, entry, deps.auditedStatement?.(entry, c.actor));
        await deps.onAudited?.(tx, entry, c.actor);
        audited.push({ entry, actor: c.actor });
      },
      async auditWritten(write, entry) {
        const rows = await auditWritten(tx, c.actor, write, entry, (onlyIf) => deps.auditedStatement?.(entry, c.actor, onlyIf) ?? null);
        if (rows.length === 0) return rows;
        await deps.onAudited?.(tx, entry, c.actor);
        audited.push({ entry, actor: c.actor });
        return rows;
      },
    };
    return fn(c);
  });
  for (const bump of bumps) await deps.onCommitted(bump);
  for (const a of audited) await deps.onActivity?.(a.entry, a.actor);
  return value;
}
