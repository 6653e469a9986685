import { and, desc, eq, lte, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { scheduledChanges } from '../../db/schema/index.ts';
import { afterTimeAndId, type CursorValue, exactTime } from '../../http/paging.ts';

export type ScheduleRow = typeof scheduledChanges.$inferSelect;

export async function insertSchedule(db: Database, values: typeof scheduledChanges.$inferInsert): Promise<ScheduleRow> {
  const [row] = await db.insert(scheduledChanges).values(values).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

/** Latest run time first; `limit + 1` rows after the cursor's (runAt, id). */
export function listSchedules(
  db: Database,
  f: { flag?: string | undefined; environment?: string | undefined; state?: string | undefined },
  page: { limit: number; after?: CursorValue[] | undefined },
): Promise<Array<{ row: ScheduleRow; at: string }>> {
  const where: SQL[] = [];
  if (f.flag) where.push(eq(scheduledChanges.flagKey, f.flag));
  if (f.environment) where.push(eq(scheduledChanges.environmentKey, f.environment));
  if (f.state) where.push(eq(scheduledChanges.state, f.state));
  const after = afterTimeAndId(scheduledChanges.runAt, scheduledChanges.id, 'desc', page.after);
  if (after) where.push(after);
  return db
    .select({ row: scheduledChanges, at: exactTime(scheduledChanges.runAt) })
    .from(scheduledChanges)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(scheduledChanges.runAt), desc(scheduledChanges.id))
    .limit(page.limit + 1);
}

export async function lockSchedule(db: Database, id: string): Promise<ScheduleRow | undefined> {
  const [row] = await db.select().from(scheduledChanges).where(eq(scheduledChanges.id, id)).for('update').limit(1);
  return row;
}

export async function setScheduleState(db: Database, id: string, set: Partial<typeof scheduledChanges.$inferInsert>): Promise<ScheduleRow> {
  const [row] = await db.update(scheduledChanges).set(set).where(eq(scheduledChanges.id, id)).returning();
  if (!row) throw new Error(`schedule ${id} vanished`);
  return row;
}

/** The next due change, locked so that exactly one replica applies it; others skip past it. */
export async function claimDueSchedule(db: Database, now: Date): Promise<ScheduleRow | undefined> {
  const [row] = await db
    .select()
    .from(scheduledChanges)
    .where(and(eq(scheduledChanges.state, 'pending'), lte(scheduledChanges.runAt, now)))
    .orderBy(scheduledChanges.runAt)
    .limit(1)
    .for('update', { skipLocked: true });
  return row;
}

/** The flag's pending changes in every environment, locked for the transaction. */
export function lockPendingSchedulesOfFlag(db: Database, flag: string): Promise<ScheduleRow[]> {
  return db
    .select()
    .from(scheduledChanges)
    .where(and(eq(scheduledChanges.flagKey, flag), eq(scheduledChanges.state, 'pending')))
    .orderBy(scheduledChanges.id)
    .for('update');
}

/** Every scheduled change of the flag, whatever its state (the flag's delete). */
export async function deleteSchedulesOfFlag(db: Database, flag: string): Promise<string[]> {
  const rows = await db.delete(scheduledChanges).where(eq(scheduledChanges.flagKey, flag)).returning({ id: scheduledChanges.id });
  return rows.map((r) => r.id);
}
