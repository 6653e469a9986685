import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { contextAttributes } from '../../db/schema/index.ts';

export type AttributeRow = typeof contextAttributes.$inferSelect;

/** By name; `limit + 1` rows after `afterName`. */
export function listAttributes(db: Database, page: { limit: number; afterName?: string | undefined }): Promise<AttributeRow[]> {
  return db
    .select()
    .from(contextAttributes)
    .where(page.afterName === undefined ? undefined : gt(contextAttributes.name, page.afterName))
    .orderBy(asc(contextAttributes.name))
    .limit(page.limit + 1);
}

export async function findAttribute(db: Database, name: string): Promise<AttributeRow | undefined> {
  const [row] = await db.select().from(contextAttributes).where(eq(contextAttributes.name, name)).limit(1);
  return row;
}

export async function sensitiveAttributeNames(db: Database): Promise<Set<string>> {
  const rows = await db.select({ name: contextAttributes.name }).from(contextAttributes).where(eq(contextAttributes.sensitive, true));
  return new Set(rows.map((r) => r.name));
}

export async function insertAttribute(db: Database, values: typeof contextAttributes.$inferInsert): Promise<AttributeRow> {
  const [row] = await db.insert(contextAttributes).values(values).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

export async function updateAttributeIfVersion(
  db: Database,
  name: string,
  version: number,
  set: Partial<typeof contextAttributes.$inferInsert>,
) {
  const [row] = await db
    .update(contextAttributes)
    .set({ ...set, version: sql`${contextAttributes.version} + 1`, updatedAt: new Date() })
    .where(and(eq(contextAttributes.name, name), eq(contextAttributes.version, version)))
    .returning();
  return row;
}
