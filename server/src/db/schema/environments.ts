import { bigint, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const environments = pgTable('environments', {
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  /** Bumped by every change that reaches SDKs of this environment; what ETags and stream ids carry. */
  revision: bigint('revision', { mode: 'number' }).notNull().default(0),
  /** Optimistic-concurrency version of the environment's own fields. */
  version: integer('version').notNull().default(1),
  sortOrder: integer('sort_order').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
