import { and, asc, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { changeRequestReviews, changeRequests } from '../../db/schema/index.ts';
import { afterTimeAndId, type CursorValue, exactTime } from '../../http/paging.ts';

export type ChangeRequestRow = typeof changeRequests.$inferSelect;
export type ReviewRow = typeof changeRequestReviews.$inferSelect;

/** States in which a request is still in play (counted by the flag page's banner). */
export const LIVE_STATES = ['open', 'approved', 'changes_requested'] as const;

export async function insertChangeRequest(db: Database, values: typeof changeRequests.$inferInsert): Promise<ChangeRequestRow> {
  const [row] = await db.insert(changeRequests).values(values).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

export async function findChangeRequest(db: Database, id: string): Promise<ChangeRequestRow | undefined> {
  const [row] = await db.select().from(changeRequests).where(eq(changeRequests.id, id)).limit(1);
  return row;
}

/**
 * The request, locked until the transaction ends: reviews, applies, rebases and withdrawals of
 * one request queue here (on any replica), so each sees the state the previous one committed.
 */
export async function lockChangeRequest(db: Database, id: string): Promise<ChangeRequestRow | undefined> {
  const [row] = await db.select().from(changeRequests).where(eq(changeRequests.id, id)).for('update').limit(1);
  return row;
}

export async function updateChangeRequest(
  db: Database,
  id: string,
  set: Partial<typeof changeRequests.$inferInsert>,
): Promise<ChangeRequestRow> {
  const [row] = await db
    .update(changeRequests)
    .set({ ...set, version: sql`${changeRequests.version} + 1`, updatedAt: new Date() })
    .where(eq(changeRequests.id, id))
    .returning();
  if (!row) throw new Error(`change request ${id} vanished`);
  return row;
}

export async function insertReview(db: Database, values: typeof changeRequestReviews.$inferInsert): Promise<ReviewRow> {
  const [row] = await db.insert(changeRequestReviews).values(values).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

export function reviewsOf(db: Database, ids: string[]): Promise<ReviewRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(changeRequestReviews)
    .where(inArray(changeRequestReviews.changeRequestId, ids))
    .orderBy(asc(changeRequestReviews.createdAt), asc(changeRequestReviews.id));
}

export interface ListFilter {
  environment?: string | undefined;
  state?: string | undefined;
  flag?: string | undefined;
  /** `mine`: written by this user; `to-review`: open ones by others. */
  view?: 'mine' | 'to-review' | 'all' | undefined;
  userRef: string;
}

/** Newest first; `limit + 1` rows after the cursor's (createdAt, id). */
export function listChangeRequests(
  db: Database,
  f: ListFilter,
  page: { limit: number; after?: CursorValue[] | undefined },
): Promise<Array<{ row: ChangeRequestRow; at: string }>> {
  const where: SQL[] = [];
  if (f.environment) where.push(eq(changeRequests.environmentKey, f.environment));
  if (f.state) where.push(eq(changeRequests.state, f.state));
  if (f.flag) where.push(eq(changeRequests.flagKey, f.flag));
  if (f.view === 'mine') where.push(eq(changeRequests.authorUserId, f.userRef));
  if (f.view === 'to-review') {
    where.push(inArray(changeRequests.state, ['open', 'changes_requested']));
    where.push(sql`${changeRequests.authorUserId} is distinct from ${f.userRef}`);
  }
  const after = afterTimeAndId(changeRequests.createdAt, changeRequests.id, 'desc', page.after);
  if (after) where.push(after);
  return db
    .select({ row: changeRequests, at: exactTime(changeRequests.createdAt) })
    .from(changeRequests)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(changeRequests.createdAt), desc(changeRequests.id))
    .limit(page.limit + 1);
}

/** Live requests per environment about one flag (the flag page's banner). */
export async function openRequestsOfFlag(db: Database, flagKey: string): Promise<Map<string, number>> {
  const rows = await db
    .select({ env: changeRequests.environmentKey, n: sql<number>`count(*)::int` })
    .from(changeRequests)
    .where(and(eq(changeRequests.flagKey, flagKey), inArray(changeRequests.state, [...LIVE_STATES])))
    .groupBy(changeRequests.environmentKey);
  return new Map(rows.map((r) => [r.env, r.n]));
}

/** An environment's live requests (open, approved, changes requested), locked for the transaction. */
export function liveRequestsOf(db: Database, environmentKey: string): Promise<ChangeRequestRow[]> {
  return db
    .select()
    .from(changeRequests)
    .where(and(eq(changeRequests.environmentKey, environmentKey), inArray(changeRequests.state, [...LIVE_STATES])))
    .orderBy(asc(changeRequests.id))
    .for('update');
}

/** The flag's live requests (open, approved, changes requested) in every environment, locked for the transaction. */
export function lockLiveRequestsOfFlag(db: Database, flagKey: string): Promise<ChangeRequestRow[]> {
  return db
    .select()
    .from(changeRequests)
    .where(and(eq(changeRequests.flagKey, flagKey), inArray(changeRequests.state, [...LIVE_STATES])))
    .orderBy(asc(changeRequests.id))
    .for('update');
}

/** Every request about the flag, whatever its state (the flag's delete); their reviews go with them (cascade). */
export async function deleteRequestsOfFlag(db: Database, flagKey: string): Promise<string[]> {
  const rows = await db.delete(changeRequests).where(eq(changeRequests.flagKey, flagKey)).returning({ id: changeRequests.id });
  return rows.map((r) => r.id);
}
