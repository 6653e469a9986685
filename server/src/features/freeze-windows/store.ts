import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { freezeWindows } from '../../db/schema/index.ts';

export type FreezeWindowRow = typeof freezeWindows.$inferSelect;

export function listFreezeWindows(db: Database, environmentKey: string): Promise<FreezeWindowRow[]> {
  return db
    .select()
    .from(freezeWindows)
    .where(eq(freezeWindows.environmentKey, environmentKey))
    .orderBy(asc(freezeWindows.startsAt), asc(freezeWindows.id));
}

export async function findFreezeWindow(db: Database, environmentKey: string, id: string): Promise<FreezeWindowRow | undefined> {
  const [row] = await db
    .select()
    .from(freezeWindows)
    .where(and(eq(freezeWindows.environmentKey, environmentKey), eq(freezeWindows.id, id)))
    .limit(1);
  return row;
}

export async function insertFreezeWindow(db: Database, values: typeof freezeWindows.$inferInsert): Promise<FreezeWindowRow> {
  const [row] = await db.insert(freezeWindows).values(values).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

export async function updateFreezeWindowIfVersion(
  db: Database,
  id: string,
  version: number,
  set: Partial<typeof freezeWindows.$inferInsert>,
): Promise<FreezeWindowRow | undefined> {
  const [row] = await db
    .update(freezeWindows)
    .set({ ...set, version: sql`${freezeWindows.version} + 1` })
    .where(and(eq(freezeWindows.id, id), eq(freezeWindows.version, version)))
    .returning();
  return row;
}

export async function deleteFreezeWindowRow(db: Database, id: string): Promise<void> {
  await db.delete(freezeWindows).where(eq(freezeWindows.id, id));
}
