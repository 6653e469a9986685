import { boolean, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Context attributes people have described. A sensitive one (an email, an account id) never
 * reaches a browser: flags whose conditions compare it are evaluated on the server for browsers
 * (delivery/client-view.ts). `email`, `userId`, `sessionId` and `remoteAddress` are sensitive
 * unless an admin says otherwise (rows added by migration 0005).
 */
export const contextAttributes = pgTable('context_attributes', {
  name: text('name').primaryKey(),
  description: text('description').notNull().default(''),
  sensitive: boolean('sensitive').notNull().default(false),
  version: integer('version').notNull().default(1),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
