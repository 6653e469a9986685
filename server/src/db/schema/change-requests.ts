import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * A proposed write to an environment that needs approvals: the change as the write's own body, the
 * version it was based on (inside `change`), and its review state. Applied at most once: the apply
 * locks this row and moves `state` from `approved` to `applied` in the change's own transaction.
 */
export const changeRequests = pgTable(
  'change_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environmentKey: text('environment_key').notNull(),
    title: text('title').notNull(),
    reason: text('reason').notNull().default(''),
    /** `{ kind: 'flag-config' | 'segment' | 'ramp-start' | 'ramp-update' | 'schedule', ... }`. */
    change: jsonb('change').$type<Record<string, unknown>>().notNull(),
    /** For the flag banner: the flag the change is about, when it is about one. */
    flagKey: text('flag_key'),
    /** `open`, `approved`, `changes_requested`, `rejected`, `applied`, `withdrawn`. */
    state: text('state').notNull().default('open'),
    /** Reviews of earlier rounds no longer count: a rebase starts a new round. */
    round: integer('round').notNull().default(1),
    authorRef: text('author_ref').notNull(),
    /** The user behind the author (a token's owner): the one who may not approve it. */
    authorUserId: text('author_user_id'),
    authorName: text('author_name').notNull(),
    version: integer('version').notNull().default(1),
    appliedAt: timestamp('applied_at', { withTimezone: true }),
    appliedBy: text('applied_by'),
    /** The version of the target the apply produced. */
    resultVersion: integer('result_version'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('change_requests_env_state').on(t.environmentKey, t.state), index('change_requests_flag').on(t.flagKey, t.state)],
);
