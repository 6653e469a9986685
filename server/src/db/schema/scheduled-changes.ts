import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** The environment-config fields a scheduled change may set (absent ones stay as they are). */
export interface ScheduledPatch {
  enabled?: boolean;
  rules?: unknown[];
  variants?: unknown[];
  dependencies?: unknown[];
}

/** A per-environment change stored to apply at a time; claimed by one replica, applied once. */
export const scheduledChanges = pgTable(
  'scheduled_changes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    flagKey: text('flag_key').notNull(),
    environmentKey: text('environment_key').notNull(),
    patch: jsonb('patch').$type<ScheduledPatch>().notNull(),
    runAt: timestamp('run_at', { withTimezone: true }).notNull(),
    /** `pending`, `applied`, `cancelled`, `failed`. */
    state: text('state').notNull().default('pending'),
    appliedAt: timestamp('applied_at', { withTimezone: true }),
    error: text('error'),
    createdBy: text('created_by').notNull(),
    /**
     * `user:<id>` or `token:<id>` of whoever set the work in motion; re-checked when it runs, so a
     * disabled or demoted author's pending work does not apply. Null on rows from before it existed.
     */
    authorRef: text('author_ref'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('scheduled_changes_due').on(t.state, t.runAt)],
);
