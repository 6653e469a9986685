import { Type } from 'typebox';
import { Key, Timestamp } from '../../http/schemas.ts';

const Count = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });

/** What `track()` names its events: short, and safe in logs, URLs and dashboards. */
export const MetricName = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.:-]+$' });

export const MAX_TRACKED_METRICS = 1000;

/** One summed tracked event, attributed to one flag result (contract 4). */
export const TrackedMetric = Type.Object(
  {
    name: MetricName,
    flag: Type.String({ minLength: 1, maxLength: 100 }),
    enabled: Type.Boolean(),
    variant: Type.String({ minLength: 1, maxLength: 100 }),
    ruleId: Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()]),
    count: Count,
    // Sums of values (amounts, durations); finite by JSON, bounded so sums stay exact enough.
    sum: Type.Number({ minimum: -1e15, maximum: 1e15 }),
  },
  { additionalProperties: false },
);

export const MetricsBody = Type.Object(
  {
    start: Type.Optional(Type.String({ format: 'date-time' })),
    stop: Type.Optional(Type.String({ format: 'date-time' })),
    flags: Type.Record(
      Type.String({ minLength: 1, maxLength: 100 }),
      Type.Object(
        { yes: Count, no: Count, variants: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Count, { maxProperties: 50 })) },
        { additionalProperties: false },
      ),
      { maxProperties: 5000 },
    ),
    metrics: Type.Optional(Type.Array(TrackedMetric, { maxItems: MAX_TRACKED_METRICS })),
  },
  { additionalProperties: false },
);

export const MetricsAnswer = Type.Object({
  accepted: Type.Integer({ description: 'Flags counted' }),
  dropped: Type.Integer({ description: 'Flags and variants the key cannot see, not counted' }),
  metrics: Type.Optional(
    Type.Object(
      {
        accepted: Type.Integer({ description: 'Tracked metric entries counted' }),
        dropped: Type.Integer({
          description: 'Entries naming a flag the key cannot see, or a variant or rule the flag does not have; also past the limits',
        }),
      },
      { description: 'Present when the report carried `metrics`' },
    ),
  ),
});

/** Longest span one read may cover. */
export const MAX_METRICS_RANGE_DAYS = 31;
export const METRIC_ROWS_DEFAULT = 5000;
export const METRIC_ROWS_MAX = 10_000;

export const FlagMetricsParams = Type.Object({ key: Key });

export const FlagMetricsQuery = Type.Object(
  {
    environment: Key,
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Start of the range, inclusive (default: an hour before `to`)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'End of the range, exclusive (default: now)' })),
    metric: Type.Optional(MetricName),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: METRIC_ROWS_MAX, description: `Most rows returned (default ${METRIC_ROWS_DEFAULT})` }),
    ),
  },
  { additionalProperties: false },
);

export const FlagMetricRow = Type.Object({
  minute: Timestamp,
  metric: Type.String(),
  enabled: Type.Boolean(),
  variant: Type.String(),
  ruleId: Type.Union([Type.String(), Type.Null()]),
  count: Type.Integer(),
  sum: Type.Number(),
});

export const FlagMetricsAnswer = Type.Object({
  flag: Type.String(),
  environment: Type.String(),
  from: Timestamp,
  to: Timestamp,
  rows: Type.Array(FlagMetricRow, { description: 'Per minute, oldest first; then by metric, enabled, variant, rule' }),
  truncated: Type.Boolean({ description: 'True when more rows matched than `limit`; narrow the range or raise the limit' }),
});

export const FlagUsageParams = Type.Object({ key: Key });
export const FlagUsageQuery = Type.Object({ environment: Key }, { additionalProperties: false });

/** Evaluations of one result: "off", "on" without a variant, or one variant (on). */
export const UsageByResult = Type.Object({
  enabled: Type.Boolean(),
  variant: Type.Union([Type.String(), Type.Null()], { description: 'The variant served; null for none' }),
  count: Type.Integer(),
});

export const UsageWindow = Type.Object({
  from: Timestamp,
  total: Type.Integer(),
  byResult: Type.Array(UsageByResult, { description: 'Most evaluated first; results never evaluated in the window are left out' }),
});

export const FlagUsageAnswer = Type.Object({
  flag: Type.String(),
  environment: Type.String(),
  to: Type.String({ format: 'date-time', description: 'End of the current hour: windows run up to it' }),
  lastEvaluatedAt: Type.Union([Timestamp, Type.Null()]),
  last24h: UsageWindow,
  last7d: UsageWindow,
  hourly: Type.Array(Type.Object({ hour: Timestamp, on: Type.Integer(), off: Type.Integer() }), {
    description: 'The 168 hours of the 7 days, oldest first, hours without evaluations as zeros',
  }),
});
