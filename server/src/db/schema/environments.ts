import { sql } from 'drizzle-orm';
import { bigint, boolean, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const environments = pgTable('environments', {
  key: text('key').primaryKey(),
  name: text('name').notNull(),
  /** Bumped by every change that reaches SDKs of this environment; what ETags and stream ids carry. */
  revision: bigint('revision', { mode: 'number' }).notNull().default(0),
  /** Optimistic-concurrency version of the environment's own fields. */
  version: integer('version').notNull().default(1),
  sortOrder: integer('sort_order').notNull().default(0),
  /**
   * Salt of the digests that stand in for sensitive values in the client view. Browsers receive it,
   * so it need not be secret, only unique per deployment: it defeats precomputed tables.
   */
  clientSalt: text('client_salt').notNull().default(sql`md5(random()::text || clock_timestamp()::text)`),
  /** Production-like: the admin UI confirms every write with its diff. Set by admins, never guessed from the name. */
  protected: boolean('protected').notNull().default(false),
  /** Approvals a change request needs before it applies; 0 = direct writes. */
  requiredApprovals: integer('required_approvals').notNull().default(0),
  /** Whether the author of an approved change request may apply it themselves. */
  allowSelfApply: boolean('allow_self_apply').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
