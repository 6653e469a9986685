import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { flagUsage } from '../../db/schema/index.ts';

export type UsageRow = typeof flagUsage.$inferSelect;

export function usageOf(db: Database, flagKeys: string[]): Promise<UsageRow[]> {
  if (flagKeys.length === 0) return Promise.resolve([]);
  return db.select().from(flagUsage).where(sql`${flagUsage.flagKey} in ${flagKeys}`);
}
