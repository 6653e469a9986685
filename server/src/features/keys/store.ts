import { and, asc, desc, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { sdkKeys } from '../../db/schema/index.ts';
import { hashSecret } from '../../domain/secrets.ts';
import { afterTimeAndId, type CursorValue, exactTime } from '../../http/paging.ts';

export type KeyRow = typeof sdkKeys.$inferSelect;
export type KeyKind = 'server' | 'client';

/** By environment, newest first in each; `limit + 1` rows after the cursor's (environment, createdAt, id). */
export function listKeys(
  db: Database,
  environmentKey: string | undefined,
  page: { limit: number; after?: CursorValue[] | undefined },
): Promise<Array<{ row: KeyRow; at: string }>> {
  const where: SQL[] = [];
  if (environmentKey !== undefined) where.push(eq(sdkKeys.environmentKey, environmentKey));
  if (page.after) {
    const [env, ...rest] = page.after;
    where.push(
      sql`(${sdkKeys.environmentKey} > ${env} or (${sdkKeys.environmentKey} = ${env} and ${afterTimeAndId(sdkKeys.createdAt, sdkKeys.id, 'desc', rest)}))`,
    );
  }
  return db
    .select({ row: sdkKeys, at: exactTime(sdkKeys.createdAt) })
    .from(sdkKeys)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(asc(sdkKeys.environmentKey), desc(sdkKeys.createdAt), desc(sdkKeys.id))
    .limit(page.limit + 1);
}

export async function findKey(db: Database, id: string): Promise<KeyRow | undefined> {
  const [row] = await db.select().from(sdkKeys).where(eq(sdkKeys.id, id)).limit(1);
  return row;
}

export async function insertKey(
  db: Database,
  key: { name: string; environmentKey: string; kind: KeyKind; keyHash: string; prefix: string; createdBy: string },
): Promise<KeyRow> {
  const [row] = await db.insert(sdkKeys).values(key).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

/** Undefined when the key is unknown or was revoked already. */
export async function revokeKeyRow(db: Database, id: string, at: Date): Promise<KeyRow | undefined> {
  const [row] = await db
    .update(sdkKeys)
    .set({ revokedAt: at })
    .where(and(eq(sdkKeys.id, id), isNull(sdkKeys.revokedAt)))
    .returning();
  return row;
}

export interface ActiveKey {
  id: string;
  environmentKey: string;
  kind: KeyKind;
}

/** The unrevoked SDK key whose secret this is, for the SDK endpoints to authenticate with. */
export async function findActiveKey(db: Database, secret: string): Promise<ActiveKey | undefined> {
  const [row] = await db
    .select({ id: sdkKeys.id, environmentKey: sdkKeys.environmentKey, kind: sdkKeys.kind })
    .from(sdkKeys)
    .where(and(eq(sdkKeys.keyHash, hashSecret(secret)), isNull(sdkKeys.revokedAt)))
    .limit(1);
  return row ? { id: row.id, environmentKey: row.environmentKey, kind: row.kind as KeyKind } : undefined;
}
