import { and, eq, lte } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { sessions } from '../../db/schema/index.ts';

export async function insertSession(db: Database, session: { tokenHash: string; userId: string; expiresAt: Date }): Promise<void> {
  await db.insert(sessions).values(session);
}

/** The user whose session it was, or undefined when there was none. */
export async function deleteSession(db: Database, tokenHash: string): Promise<string | undefined> {
  const [row] = await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).returning({ userId: sessions.userId });
  return row?.userId;
}

/** Expired sessions are never read again; each login sweeps its user's, so the table stays small. */
export async function deleteExpiredSessionsOf(db: Database, userId: string, now: Date): Promise<void> {
  await db.delete(sessions).where(and(eq(sessions.userId, userId), lte(sessions.expiresAt, now)));
}
