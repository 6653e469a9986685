import { boolean, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** A subscriber to change events. */
export const webhooks = pgTable('webhooks', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  url: text('url').notNull(),
  /** Event types (audit actions such as `flag.enabled`, or `*`). */
  events: text('events').array().notNull(),
  /**
   * HMAC key for signing deliveries. Unlike tokens it must be readable to sign with, so it is kept
   * as is; it is shown once at creation and never listed.
   */
  secret: text('secret').notNull(),
  /** The secret before the last rotation: deliveries are signed with it too until it expires. */
  previousSecret: text('previous_secret'),
  previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
  /** Loopback, link-local and private targets are refused unless an admin allowed it here. */
  allowPrivate: boolean('allow_private').notNull().default(false),
  enabled: boolean('enabled').notNull().default(true),
  version: integer('version').notNull().default(1),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
