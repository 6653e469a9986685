import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { environments } from './environments.ts';

export const sdkKeys = pgTable('sdk_keys', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  environmentKey: text('environment_key')
    .notNull()
    .references(() => environments.key, { onDelete: 'cascade', onUpdate: 'cascade' }),
  /** `server` reads the full config; `client` reads the client view only. */
  kind: text('kind').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});
