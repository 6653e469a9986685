import { and, desc, eq, inArray, lte, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { rampPlans } from '../../db/schema/index.ts';
import { afterTimeAndId, type CursorValue, exactTime } from '../../http/paging.ts';

export type RampRow = typeof rampPlans.$inferSelect;

export async function findRamp(db: Database, id: string): Promise<RampRow | undefined> {
  const [row] = await db.select().from(rampPlans).where(eq(rampPlans.id, id)).limit(1);
  return row;
}

export function findRamps(db: Database, ids: readonly string[]): Promise<RampRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(rampPlans)
    .where(inArray(rampPlans.id, [...ids]));
}

/** The plan, locked for this transaction (a scheduler tick or another request waits for it). */
export async function lockRamp(db: Database, id: string): Promise<RampRow | undefined> {
  const [row] = await db.select().from(rampPlans).where(eq(rampPlans.id, id)).for('update').limit(1);
  return row;
}

/** Newest first; `limit + 1` rows after the cursor's (createdAt, id). */
export function listRamps(
  db: Database,
  f: { flag?: string | undefined; environment?: string | undefined; state?: string | undefined },
  page: { limit: number; after?: CursorValue[] | undefined },
): Promise<Array<{ row: RampRow; at: string }>> {
  const where: SQL[] = [];
  if (f.flag) where.push(eq(rampPlans.flagKey, f.flag));
  if (f.environment) where.push(eq(rampPlans.environmentKey, f.environment));
  if (f.state) where.push(eq(rampPlans.state, f.state));
  const after = afterTimeAndId(rampPlans.createdAt, rampPlans.id, 'desc', page.after);
  if (after) where.push(after);
  return db
    .select({ row: rampPlans, at: exactTime(rampPlans.createdAt) })
    .from(rampPlans)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(rampPlans.createdAt), desc(rampPlans.id))
    .limit(page.limit + 1);
}

/** A live plan (pending, running or paused) already driving this rule, if any. */
export async function liveRampOnRule(db: Database, flag: string, environment: string, ruleId: string): Promise<RampRow | undefined> {
  const [row] = await db
    .select()
    .from(rampPlans)
    .where(
      and(
        eq(rampPlans.flagKey, flag),
        eq(rampPlans.environmentKey, environment),
        eq(rampPlans.ruleId, ruleId),
        inArray(rampPlans.state, ['pending', 'running', 'paused']),
      ),
    )
    .limit(1);
  return row;
}

export async function insertRamp(db: Database, values: typeof rampPlans.$inferInsert): Promise<RampRow> {
  const [row] = await db.insert(rampPlans).values(values).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

export async function updateRamp(db: Database, id: string, set: Partial<typeof rampPlans.$inferInsert>): Promise<RampRow> {
  const [row] = await db
    .update(rampPlans)
    .set({ ...set, version: sql`${rampPlans.version} + 1`, updatedAt: new Date() })
    .where(eq(rampPlans.id, id))
    .returning();
  if (!row) throw new Error(`ramp ${id} vanished`);
  return row;
}

/**
 * Running plans whose step is due, locked so that exactly one replica advances each: the others
 * skip them instead of waiting, and the claim ends with the transaction that applies the step.
 */
export function claimDueRamps(db: Database, now: Date, limit: number): Promise<RampRow[]> {
  return db
    .select()
    .from(rampPlans)
    .where(and(eq(rampPlans.state, 'running'), lte(rampPlans.nextStepAt, now)))
    .orderBy(rampPlans.nextStepAt)
    .limit(limit)
    .for('update', { skipLocked: true });
}

/** The flag's live plans (pending, running, paused) in every environment, locked for the transaction. */
export function lockLiveRampsOfFlag(db: Database, flag: string): Promise<RampRow[]> {
  return db
    .select()
    .from(rampPlans)
    .where(and(eq(rampPlans.flagKey, flag), inArray(rampPlans.state, ['pending', 'running', 'paused'])))
    .orderBy(rampPlans.id)
    .for('update');
}

/** Every plan of the flag, whatever its state (the flag's delete); their history stays in the audit log. */
export async function deleteRampsOfFlag(db: Database, flag: string): Promise<string[]> {
  const rows = await db.delete(rampPlans).where(eq(rampPlans.flagKey, flag)).returning({ id: rampPlans.id });
  return rows.map((r) => r.id);
}
