import { bigint, boolean, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Evaluation counts from SDK usage reports (ours and Unleash's) per hour, so the admin UI can show
 * the last 24 hours and 7 days split by result. Kept for 8 days (a day beyond the longest window
 * read), then pruned by `UsageAggregator`; `flag_usage` keeps the all-time sums and "last evaluated".
 *
 * Reports count `yes`/`no` and variants separately, not jointly: a row is `enabled = false,
 * variant = ''` for the "off" answers, `enabled = true` with the variant's name for each named
 * variant, and `enabled = true, variant = ''` for "on" answers without a variant.
 * The key leads with flag and environment, the read paths' filter (one flag; a page of the list).
 */
export const flagUsageHourly = pgTable(
  'flag_usage_hourly',
  {
    flagKey: text('flag_key').notNull(),
    environmentKey: text('environment_key').notNull(),
    hour: timestamp('hour', { withTimezone: true }).notNull(),
    enabled: boolean('enabled').notNull(),
    /** '' for no variant (a primary key column cannot hold null; variant names are never empty). */
    variant: text('variant').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.flagKey, t.environmentKey, t.hour, t.enabled, t.variant] })],
);
