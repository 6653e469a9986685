import { jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users.ts';

export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  /** SHA-256 of the secret; secrets are 32 random bytes, so a fast hash suffices. */
  tokenHash: text('token_hash').notNull().unique(),
  /** First characters of the secret, so people can tell tokens apart in lists. */
  prefix: text('prefix').notNull(),
  role: text('role').notNull(),
  /**
   * The user the token acts for: its role caps the token's, and a disabled owner's tokens stop
   * working. A token created by a token belongs to that token's owner. Null only when the owner row
   * is gone; such a token is refused.
   */
  ownerUserId: uuid('owner_user_id').references(() => users.id, { onDelete: 'set null' }),
  /** `write` (whatever the role allows) or `read` (GET only). */
  scope: text('scope').notNull().default('write'),
  /** Per-environment roles (`{ production: 'viewer' }`): they replace `role` on routes scoped to that environment. */
  environmentRoles: jsonb('environment_roles').$type<Record<string, string>>().notNull().default({}),
  /** Refused from this instant on; null never expires. */
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});
