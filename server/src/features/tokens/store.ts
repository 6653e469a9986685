import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { apiTokens } from '../../db/schema/index.ts';
import { afterTimeAndId, type CursorValue, exactTime } from '../../http/paging.ts';

export type TokenRow = typeof apiTokens.$inferSelect;

/** Newest first; `limit + 1` rows after the cursor's (createdAt, id), each with its exact time. */
export function listTokens(
  db: Database,
  page: { limit: number; after?: CursorValue[] | undefined },
): Promise<Array<{ row: TokenRow; at: string }>> {
  return db
    .select({ row: apiTokens, at: exactTime(apiTokens.createdAt) })
    .from(apiTokens)
    .where(afterTimeAndId(apiTokens.createdAt, apiTokens.id, 'desc', page.after))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
    .limit(page.limit + 1);
}

export async function findToken(db: Database, id: string): Promise<TokenRow | undefined> {
  const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id)).limit(1);
  return row;
}

export async function insertToken(db: Database, token: typeof apiTokens.$inferInsert): Promise<TokenRow> {
  const [row] = await db.insert(apiTokens).values(token).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

/** Undefined when the token is unknown or was revoked already. */
export async function revokeTokenRow(db: Database, id: string, at: Date): Promise<TokenRow | undefined> {
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: at })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning();
  return row;
}
