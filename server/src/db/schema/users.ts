import { integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  /** argon2id */
  passwordHash: text('password_hash').notNull(),
  role: text('role').notNull(),
  /** Per-environment roles (`{ production: 'viewer' }`): they replace `role` on routes scoped to that environment. */
  environmentRoles: jsonb('environment_roles').$type<Record<string, string>>().notNull().default({}),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  disabledAt: timestamp('disabled_at', { withTimezone: true }),
});
