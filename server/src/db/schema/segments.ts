import type { Condition } from '@switchboard/core';
import { integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const segments = pgTable('segments', {
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  conditions: jsonb('conditions').$type<Condition[]>().notNull().default([]),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
