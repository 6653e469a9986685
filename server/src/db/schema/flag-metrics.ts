import { bigint, boolean, doublePrecision, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Tracked events (`track()` in the SDKs) attributed to the flag results their context was served,
 * summed per minute: how many and the sum of their values, never per-user rows. The key leads with
 * environment, flag and minute, the read path's filter.
 */
export const flagMetrics = pgTable(
  'flag_metrics',
  {
    environmentKey: text('environment_key').notNull(),
    flagKey: text('flag_key').notNull(),
    minute: timestamp('minute', { withTimezone: true }).notNull(),
    metric: text('metric').notNull(),
    enabled: boolean('enabled').notNull(),
    variant: text('variant').notNull(),
    /** '' when no rule decided (a primary key column cannot hold null; rule ids are never empty). */
    ruleId: text('rule_id').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    sum: doublePrecision('sum').notNull(),
  },
  (t) => [primaryKey({ columns: [t.environmentKey, t.flagKey, t.minute, t.metric, t.enabled, t.variant, t.ruleId] })],
);
