import { asc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { environments, flagEnvironments, flags } from '../../db/schema/index.ts';

export type EnvironmentRow = typeof environments.$inferSelect;

export function listEnvironments(db: Database): Promise<EnvironmentRow[]> {
  return db.select().from(environments).orderBy(asc(environments.sortOrder), asc(environments.key));
}

export async function findEnvironment(db: Database, key: string): Promise<EnvironmentRow | undefined> {
  const [row] = await db.select().from(environments).where(eq(environments.key, key)).limit(1);
  return row;
}

export async function insertEnvironment(db: Database, key: string, name: string, sortOrder: number): Promise<EnvironmentRow> {
  const [row] = await db.insert(environments).values({ key, name, sortOrder }).returning();
  if (!row) throw new Error('insert returned nothing');
  // Every existing flag gets a config here, switched off.
  const flagKeys = await db.select({ key: flags.key }).from(flags);
  if (flagKeys.length > 0) {
    await db.insert(flagEnvironments).values(flagKeys.map((f) => ({ flagKey: f.key, environmentKey: key })));
  }
  return row;
}
