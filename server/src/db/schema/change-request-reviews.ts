import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { changeRequests } from './change-requests.ts';

/** One review of a change request: approve, request changes, reject or comment. Append-only. */
export const changeRequestReviews = pgTable(
  'change_request_reviews',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    changeRequestId: uuid('change_request_id')
      .notNull()
      .references(() => changeRequests.id, { onDelete: 'cascade' }),
    /** The round of the request it was given in (a rebase starts a new one). */
    round: integer('round').notNull(),
    reviewerRef: text('reviewer_ref').notNull(),
    reviewerUserId: text('reviewer_user_id'),
    reviewerName: text('reviewer_name').notNull(),
    decision: text('decision').notNull(),
    comment: text('comment').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('change_request_reviews_request').on(t.changeRequestId, t.createdAt)],
);
