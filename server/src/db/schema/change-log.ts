import { bigint, bigserial, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * One row per revision of an environment: what SDKs must apply to go from revision - 1 to
 * revision. Replicas read these rows after the revision they hold and turn them into stream patches.
 */
export type ChangeOp =
  | { op: 'flag'; key: string; flag: unknown }
  | { op: 'flag-removed'; key: string }
  | { op: 'segment'; key: string; segment: unknown }
  | { op: 'segment-removed'; key: string }
  | { op: 'environment'; key: string };

export const changeLog = pgTable(
  'change_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    environmentKey: text('environment_key').notNull(),
    revision: bigint('revision', { mode: 'number' }).notNull(),
    change: jsonb('change').$type<ChangeOp>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('change_log_env_revision').on(t.environmentKey, t.revision)],
);
