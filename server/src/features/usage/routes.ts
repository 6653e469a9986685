import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError, ErrorCode, NotFoundError, ValidationError } from '../../errors.ts';
import { ErrorResponse, errorResponses } from '../../http/schemas.ts';
import { findEnvironment } from '../environments/store.ts';
import { findFlag } from '../flags/store.ts';
import { MetricAggregator } from './metric-aggregator.ts';
import { ReportLimit } from './report-limit.ts';
import {
  FlagMetricsAnswer,
  FlagMetricsParams,
  FlagMetricsQuery,
  FlagUsageAnswer,
  FlagUsageParams,
  FlagUsageQuery,
  MAX_METRICS_RANGE_DAYS,
  METRIC_ROWS_DEFAULT,
  MetricsAnswer,
  MetricsBody,
} from './schemas.ts';
import { hourlyUsageOf, readMetrics, usageOf, usageWindows } from './store.ts';
import { UsageAggregator } from './usage-aggregator.ts';
import { UsageFilter } from './usage-filter.ts';

/**
 * `POST /api/sdk/metrics`: evaluation counts per flag and variant for one interval, and tracked
 * events attributed to flag results, from server or client keys. Telemetry, not a change: summed
 * in memory, written periodically, no audit row.
 */
export const usageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const onError = (err: unknown) => app.log.warn({ err }, 'writing usage failed');
  const aggregator = new UsageAggregator(app.db, onError);
  const metrics = new MetricAggregator(app.db, onError);
  aggregator.start(app.config.usageFlushMs);
  metrics.start(app.config.usageFlushMs);
  app.addHook('preClose', async () => {
    await Promise.all([
      aggregator.stop().catch((err) => app.log.warn({ err }, 'final usage flush failed')),
      metrics.stop().catch((err) => app.log.warn({ err }, 'final metrics flush failed')),
    ]);
  });
  const keys = app.sdkKeys;
  const filter = new UsageFilter(app.db);
  const limit = new ReportLimit(app.config.usageReportsPerMinute);

  app.post(
    '/api/sdk/metrics',
    {
      schema: {
        tags: ['sdk'],
        body: MetricsBody,
        querystring: Type.Object({ key: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 202: MetricsAnswer, 400: ErrorResponse, 401: ErrorResponse, 413: ErrorResponse, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      const token = request.headers.authorization ?? '';
      const audience = /^(Bearer\s+)?sbc_/i.test(token) || (!token && request.query.key) ? 'client' : 'server';
      const key = await keys.authenticate(request, audience);
      const wait = limit.take(key.id);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        throw new AppError(429, ErrorCode.RateLimited, `Too many usage reports for this key; retry in ${wait} s`, { retryAfter: wait });
      }
      const { kept, accepted, dropped } = await filter.filter(key.environmentKey, audience, request.body.flags);
      const stop = request.body.stop ? new Date(request.body.stop) : new Date();
      // A clock far ahead would mark flags as used in the future; the server's clock bounds it.
      const at = stop > new Date() ? new Date() : stop;
      aggregator.add(key.environmentKey, kept, at);
      if (request.body.metrics === undefined) return reply.status(202).send({ accepted, dropped });
      const tracked = await filter.filterMetrics(key.environmentKey, audience, request.body.metrics);
      const refused = metrics.add(key.environmentKey, tracked.kept, at);
      return reply.status(202).send({
        accepted,
        dropped,
        metrics: { accepted: tracked.kept.length - refused, dropped: tracked.dropped + refused },
      });
    },
  );
};

/**
 * `GET /api/admin/flags/:key/metrics`: one flag's tracked events per minute in one environment.
 * `GET /api/admin/flags/:key/usage`: its evaluations in the last 24 hours and 7 days, by result.
 */
export const flagMetricRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/flags/:key/metrics',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['flags'],
        summary: "A flag's tracked events per minute",
        description:
          'Tracked events (`track()` in the SDKs) attributed to the results of this flag, summed per minute, metric and result ' +
          '(enabled, variant, rule). Rows reach here within one `USAGE_FLUSH_MS` of the report.',
        params: FlagMetricsParams,
        querystring: FlagMetricsQuery,
        response: { 200: FlagMetricsAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const { key } = request.params;
      const { environment, metric } = request.query;
      const to = request.query.to ? new Date(request.query.to) : new Date();
      const from = request.query.from ? new Date(request.query.from) : new Date(to.getTime() - 3_600_000);
      if (from >= to) throw new ValidationError('`from` must be before `to`', [{ path: '/from', message: 'must be before to' }]);
      if (to.getTime() - from.getTime() > MAX_METRICS_RANGE_DAYS * 86_400_000) {
        throw new ValidationError(`The range may span at most ${MAX_METRICS_RANGE_DAYS} days`, [
          { path: '/from', message: `at most ${MAX_METRICS_RANGE_DAYS} days before to` },
        ]);
      }
      if (!(await findFlag(app.db, key))) throw new NotFoundError(`Flag ${key}`);
      if (!(await findEnvironment(app.db, environment))) throw new NotFoundError(`Environment ${environment}`);
      const limit = request.query.limit ?? METRIC_ROWS_DEFAULT;
      const rows = await readMetrics(app.db, { flagKey: key, environmentKey: environment, from, to, metric, limit });
      return {
        flag: key,
        environment,
        from: from.toISOString(),
        to: to.toISOString(),
        rows: rows.slice(0, limit).map((r) => ({
          minute: r.minute.toISOString(),
          metric: r.metric,
          enabled: r.enabled,
          variant: r.variant,
          ruleId: r.ruleId === '' ? null : r.ruleId,
          count: r.count,
          sum: r.sum,
        })),
        truncated: rows.length > limit,
      };
    },
  );

  app.get(
    '/flags/:key/usage',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['flags'],
        summary: "A flag's evaluations in the last 24 hours and 7 days",
        description:
          'Evaluation counts from SDK usage reports (Switchboard SDKs and Unleash SDKs alike), per hour, in one environment: ' +
          'totals and a split by result (off, on, each variant) for the last 24 hours and 7 days in whole hours (the current ' +
          'hour and the 23 or 167 before it), and the 168 hours as a series. Counts reach here within one `USAGE_FLUSH_MS`.',
        params: FlagUsageParams,
        querystring: FlagUsageQuery,
        response: { 200: FlagUsageAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const { key } = request.params;
      const { environment } = request.query;
      if (!(await findFlag(app.db, key))) throw new NotFoundError(`Flag ${key}`);
      if (!(await findEnvironment(app.db, environment))) throw new NotFoundError(`Environment ${environment}`);
      const now = new Date();
      const w = usageWindows(now);
      const [rows, totals] = await Promise.all([hourlyUsageOf(app.db, key, environment, now), usageOf(app.db, [key])]);
      const hourly = Array.from({ length: 168 }, (_, i) => ({ at: w.from7d.getTime() + i * 3_600_000, on: 0, off: 0 }));
      const by24 = new Map<string, { enabled: boolean; variant: string | null; count: number }>();
      const by7 = new Map<string, { enabled: boolean; variant: string | null; count: number }>();
      const add = (m: typeof by24, r: (typeof rows)[number]) => {
        const id = `${r.enabled}\u0000${r.variant}`;
        const e = m.get(id) ?? { enabled: r.enabled, variant: r.variant === '' ? null : r.variant, count: 0 };
        e.count += r.count;
        m.set(id, e);
      };
      for (const r of rows) {
        const slot = hourly[Math.round((r.hour.getTime() - w.from7d.getTime()) / 3_600_000)];
        if (!slot) continue;
        if (r.enabled) slot.on += r.count;
        else slot.off += r.count;
        add(by7, r);
        if (r.hour >= w.from24h) add(by24, r);
      }
      const window = (from: Date, m: typeof by24) => {
        const byResult = [...m.values()].sort(
          (a, b) => b.count - a.count || Number(b.enabled) - Number(a.enabled) || (a.variant ?? '').localeCompare(b.variant ?? ''),
        );
        return { from: from.toISOString(), total: byResult.reduce((n, e) => n + e.count, 0), byResult };
      };
      const last = totals.find((u) => u.environmentKey === environment)?.lastEvaluatedAt ?? null;
      return {
        flag: key,
        environment,
        to: new Date(w.hour.getTime() + 3_600_000).toISOString(),
        lastEvaluatedAt: last?.toISOString() ?? null,
        last24h: window(w.from24h, by24),
        last7d: window(w.from7d, by7),
        hourly: hourly.map((h) => ({ hour: new Date(h.at).toISOString(), on: h.on, off: h.off })),
      };
    },
  );
};
