import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { environments } from './environments.ts';

/**
 * A time in which an environment takes no writes: `refuse` answers 423, `defer` moves scheduled work
 * (ramp steps, scheduled changes) to the window's end. `weekly` repeats [start, end) every 7 days.
 */
export const freezeWindows = pgTable(
  'freeze_windows',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    environmentKey: text('environment_key')
      .notNull()
      .references(() => environments.key, { onDelete: 'cascade' }),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    reason: text('reason').notNull(),
    /** `none` or `weekly`. */
    recurrence: text('recurrence').notNull().default('none'),
    /** `refuse` or `defer`. */
    mode: text('mode').notNull().default('refuse'),
    createdBy: text('created_by').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('freeze_windows_env').on(t.environmentKey)],
);
