import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError, ErrorCode } from '../../errors.ts';
import { ErrorResponse } from '../../http/schemas.ts';
import { ReportLimit } from './report-limit.ts';
import { UsageAggregator } from './usage-aggregator.ts';
import { UsageFilter } from './usage-filter.ts';

const Count = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
const MetricsBody = Type.Object(
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
  },
  { additionalProperties: false },
);

/**
 * `POST /api/sdk/metrics`: evaluation counts per flag and variant for one interval, from server or
 * client keys. Telemetry, not a change: summed in memory, written periodically, no audit row.
 */
export const usageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const aggregator = new UsageAggregator(app.db, (err) => app.log.warn({ err }, 'writing usage failed'));
  aggregator.start(app.config.usageFlushMs);
  app.addHook('preClose', async () => {
    await aggregator.stop().catch((err) => app.log.warn({ err }, 'final usage flush failed'));
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
        response: {
          202: Type.Object({
            accepted: Type.Integer({ description: 'Flags counted' }),
            dropped: Type.Integer({ description: 'Flags and variants the key cannot see, not counted' }),
          }),
          400: ErrorResponse,
          401: ErrorResponse,
          413: ErrorResponse,
          429: ErrorResponse,
        },
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
      const at = request.body.stop ? new Date(request.body.stop) : new Date();
      // A clock far ahead would mark flags as used in the future; the server's clock bounds it.
      aggregator.add(key.environmentKey, kept, at > new Date() ? new Date() : at);
      return reply.status(202).send({ accepted, dropped });
    },
  );
};
