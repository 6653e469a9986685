import { bigint, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Evaluation counts reported by SDKs, summed per flag and environment. */
export const flagUsage = pgTable(
  'flag_usage',
  {
    flagKey: text('flag_key').notNull(),
    environmentKey: text('environment_key').notNull(),
    yes: bigint('yes', { mode: 'number' }).notNull().default(0),
    no: bigint('no', { mode: 'number' }).notNull().default(0),
    /** Variant name to count. */
    variants: jsonb('variants').$type<Record<string, number>>().notNull().default({}),
    lastEvaluatedAt: timestamp('last_evaluated_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.flagKey, t.environmentKey] })],
);
