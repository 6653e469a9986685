import type { FlagConfig } from '@switchboard/core';
import { boolean, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { environments } from './environments.ts';
import { flags } from './flags.ts';

/** What a flag's environment config stores besides its key and on/off switch. */
export type StoredFlagConfig = Omit<FlagConfig, 'key' | 'enabled'>;

export const flagEnvironments = pgTable(
  'flag_environments',
  {
    flagKey: text('flag_key')
      .notNull()
      .references(() => flags.key, { onDelete: 'cascade', onUpdate: 'cascade' }),
    environmentKey: text('environment_key')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade', onUpdate: 'cascade' }),
    enabled: boolean('enabled').notNull().default(false),
    config: jsonb('config').$type<StoredFlagConfig>().notNull().default({}),
    version: integer('version').notNull().default(1),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.flagKey, t.environmentKey] })],
);
