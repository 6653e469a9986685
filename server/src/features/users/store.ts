import { and, asc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { sessions, users } from '../../db/schema/index.ts';
import { Role } from '../../domain/actor.ts';

export type UserRow = typeof users.$inferSelect;

/** By email; `limit + 1` rows after `afterEmail`. */
export function listUsers(db: Database, page: { limit: number; afterEmail?: string | undefined }): Promise<UserRow[]> {
  return db
    .select()
    .from(users)
    .where(page.afterEmail === undefined ? undefined : gt(users.email, page.afterEmail))
    .orderBy(asc(users.email))
    .limit(page.limit + 1);
}

export async function findUserById(db: Database, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

/** `email` must already be normalised (lower case); stored emails always are. */
export async function findUserByEmail(db: Database, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.email, email)).limit(1);
  return row;
}

export async function countUsers(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return row?.n ?? 0;
}

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
}

export async function insertUser(db: Database, user: NewUser): Promise<UserRow> {
  const [row] = await db.insert(users).values(user).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

/** Like insertUser, but nothing (undefined) when the email is taken, e.g. by a replica starting at the same time. */
export async function insertUserUnlessExists(db: Database, user: NewUser): Promise<UserRow | undefined> {
  const [row] = await db.insert(users).values(user).onConflictDoNothing({ target: users.email }).returning();
  return row;
}

/**
 * Ids of the enabled admins, row-locked until the transaction ends. Two concurrent demotions of
 * different admins would otherwise both see "another admin is left" and leave none.
 */
export async function lockEnabledAdmins(db: Database): Promise<string[]> {
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, Role.Admin), isNull(users.disabledAt)))
    .for('update');
  return rows.map((r) => r.id);
}

export interface UserChanges {
  name?: string;
  role?: Role;
  environmentRoles?: Record<string, Role>;
  passwordHash?: string;
  disabledAt?: Date;
}

/** Applies `changes` only if the row is still at `version`; undefined when it is not (or is gone). */
export async function updateUserAtVersion(db: Database, id: string, version: number, changes: UserChanges): Promise<UserRow | undefined> {
  const [row] = await db
    .update(users)
    .set({ ...changes, version: sql`${users.version} + 1` })
    .where(and(eq(users.id, id), eq(users.version, version)))
    .returning();
  return row;
}

/** Ends the user's sessions, except `keepTokenHash` (the caller's own, when they change their own password). */
export async function deleteSessionsOf(db: Database, userId: string, keepTokenHash?: string): Promise<void> {
  const mine = eq(sessions.userId, userId);
  await db.delete(sessions).where(keepTokenHash === undefined ? mine : and(mine, ne(sessions.tokenHash, keepTokenHash)));
}
