import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { flagEnvironments, flags, flagUsage } from '../../db/schema/index.ts';

export type UsageRow = typeof flagUsage.$inferSelect;

export function usageOf(db: Database, flagKeys: string[]): Promise<UsageRow[]> {
  if (flagKeys.length === 0) return Promise.resolve([]);
  return db.select().from(flagUsage).where(sql`${flagUsage.flagKey} in ${flagKeys}`);
}

/** What a usage report may name in one environment: each live flag, who sees it, its variants. */
export interface UsageCatalogEntry {
  clientVisible: boolean;
  variants: Set<string>;
}

export async function usageCatalog(db: Database, environment: string): Promise<Map<string, UsageCatalogEntry>> {
  const rows = await db
    .select({
      key: flags.key,
      clientVisible: flags.clientVisible,
      // Names only, from the flag's split and every rule's: the rest of the config is not needed.
      variants: sql<
        string[] | null
      >`jsonb_path_query_array(${flagEnvironments.config}, '$.variants[*].name') || jsonb_path_query_array(${flagEnvironments.config}, '$.rules[*].variants[*].name')`,
    })
    .from(flagEnvironments)
    .innerJoin(flags, eq(flags.key, flagEnvironments.flagKey))
    .where(and(eq(flagEnvironments.environmentKey, environment), isNull(flags.archivedAt)));
  const catalog = new Map<string, UsageCatalogEntry>();
  for (const r of rows) {
    const names = (r.variants ?? []).filter((v): v is string => typeof v === 'string');
    catalog.set(r.key, { clientVisible: r.clientVisible, variants: new Set(names) });
  }
  return catalog;
}
