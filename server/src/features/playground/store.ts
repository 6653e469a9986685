import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { flags } from '../../db/schema/index.ts';

/** The display names of these flags, by key. */
export async function flagNames(db: Database, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await db.select({ key: flags.key, name: flags.name }).from(flags).where(sql`${flags.key} in ${keys}`);
  return new Map(rows.map((r) => [r.key, r.name]));
}
