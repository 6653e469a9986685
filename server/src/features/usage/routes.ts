import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorResponse } from '../../http/schemas.ts';
import { UsageAggregator } from './usage-aggregator.ts';

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

  app.post(
    '/api/sdk/metrics',
    {
      schema: {
        tags: ['sdk'],
        body: MetricsBody,
        querystring: Type.Object({ key: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 202: Type.Object({ accepted: Type.Integer() }), 400: ErrorResponse, 401: ErrorResponse },
      },
    },
    async (request, reply) => {
      const token = request.headers.authorization ?? '';
      const audience = /^(Bearer\s+)?sbc_/i.test(token) || (!token && request.query.key) ? 'client' : 'server';
      const key = await keys.authenticate(request, audience);
      const at = request.body.stop ? new Date(request.body.stop) : new Date();
      // A clock far ahead would mark flags as used in the future; the server's clock bounds it.
      aggregator.add(key.environmentKey, request.body.flags, at > new Date() ? new Date() : at);
      return reply.status(202).send({ accepted: Object.keys(request.body.flags).length });
    },
  );
};
