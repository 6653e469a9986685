import { boolean, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const flags = pgTable('flags', {
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  /** `boolean` or `multivariate`; informs the UI, evaluation does not care. */
  kind: text('kind').notNull().default('boolean'),
  tags: text('tags').array().notNull().default([]),
  /** Whether browsers (client keys) may see this flag at all. */
  clientVisible: boolean('client_visible').notNull().default(false),
  archivedAt: timestamp('archived_at', { withTimezone: true }),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
