import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { StoredFlagConfig } from './flag-environments.ts';

/** Every version of every flag-environment config, so any of them can be restored. */
export const flagConfigVersions = pgTable(
  'flag_config_versions',
  {
    flagKey: text('flag_key').notNull(),
    environmentKey: text('environment_key').notNull(),
    version: integer('version').notNull(),
    enabled: boolean('enabled').notNull(),
    config: jsonb('config').$type<StoredFlagConfig>().notNull(),
    actor: text('actor').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.flagKey, t.environmentKey, t.version] }), index('flag_config_versions_flag').on(t.flagKey)],
);
