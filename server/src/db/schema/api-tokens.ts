import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  /** SHA-256 of the secret; secrets are 32 random bytes, so a fast hash suffices. */
  tokenHash: text('token_hash').notNull().unique(),
  /** First characters of the secret, so people can tell tokens apart in lists. */
  prefix: text('prefix').notNull(),
  role: text('role').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});
