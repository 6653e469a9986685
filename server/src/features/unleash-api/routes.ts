import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Context } from '@switchboard/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { AppError } from '../../errors.ts';
import { ErrorResponse } from '../../http/schemas.ts';
import type { EnvironmentState } from '../delivery/environment-state.ts';
import type { Audience } from '../delivery/stream-connection.ts';
import type { ActiveKey } from '../keys/store.ts';
import { ReportLimit } from '../usage/report-limit.ts';
import { UsageAggregator } from '../usage/usage-aggregator.ts';
import { UsageFilter } from '../usage/usage-filter.ts';
import { contextFromBody, contextFromQuery, FrontendEvaluator } from './frontend.ts';
import {
  ClientFeatures,
  FeaturesQuery,
  FrontendBody,
  FrontendQuery,
  FrontendToggles,
  MetricsBody,
  RegisterBody,
  UnleashError,
} from './schemas.ts';
import { UnleashFeatures } from './service.ts';

/** Where an Unleash SDK's `url` points: `https://host/unleash/api/`. */
export const UNLEASH_API_PREFIX = '/unleash/api';

/** Unleash's names for the errors its SDKs may meet here. */
const UNLEASH_ERROR_NAMES: Record<number, string> = {
  401: 'InvalidTokenError',
  403: 'NoAccessError',
  429: 'RateLimitError',
  503: 'ServiceUnavailableError',
};

function unleashError(reply: FastifyReply, status: number, message: string, description: string): FastifyReply {
  return reply
    .status(status)
    .send({ id: randomUUID(), name: UNLEASH_ERROR_NAMES[status] ?? 'UnleashError', message, details: [{ message, description }] });
}

const errors = { 400: ErrorResponse, 401: UnleashError, 403: UnleashError, 429: UnleashError, 503: UnleashError };

/**
 * The API Unleash's own SDKs poll, so services in any language evaluate our flags locally: the
 * environment of a server key in Unleash's client-features format (from the replica's memory,
 * ETag per revision), plus registration and metrics, which count as usage like our SDKs' reports.
 * Unleash SDKs send the key bare in `Authorization`; client keys are refused, as in Unleash.
 * Polling only: unleash-client's default mode; its delta and streaming modes are opt-in.
 */
export const unleashApiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const hub = app.deliveryHub;
  const keys = app.sdkKeys;
  const features = new UnleashFeatures();
  // A second aggregator beside our SDKs' one: both add to the same rows (upserts that sum).
  const aggregator = new UsageAggregator(app.db, (err) => app.log.warn({ err }, 'writing Unleash SDK usage failed'));
  aggregator.start(app.config.usageFlushMs);
  app.addHook('preClose', async () => {
    await aggregator.stop().catch((err) => app.log.warn({ err }, 'final Unleash SDK usage flush failed'));
  });
  const filter = new UsageFilter(app.db);
  const limit = new ReportLimit(app.config.usageReportsPerMinute);
  const tags = ['unleash'];

  /** The server key, or null once the Unleash-shaped refusal is sent. */
  async function authenticated(request: FastifyRequest, reply: FastifyReply, audience: Audience = 'server'): Promise<ActiveKey | null> {
    if (!hub.isCurrent) {
      reply.header('retry-after', String(1 + Math.floor(Math.random() * 5)));
      unleashError(reply, 503, 'This replica cannot confirm it is current', 'Retry, or ask another replica.');
      return null;
    }
    try {
      return await keys.authenticate(request, audience);
    } catch (err) {
      if (err instanceof AppError && (err.statusCode === 401 || err.statusCode === 403)) {
        const description =
          err.statusCode === 401
            ? 'Send a Switchboard server key in the Authorization header (customHeaders: { Authorization: key }).'
            : 'Unleash SDKs evaluate locally and need a server key; client keys are for browsers.';
        unleashError(
          reply,
          err.statusCode,
          err.statusCode === 401 ? 'Token not valid' : 'invalid token: expected a server key',
          description,
        );
        return null;
      }
      request.log.warn({ err }, 'key check unavailable');
      reply.header('retry-after', '2');
      unleashError(reply, 503, 'The database is unavailable', 'Retry shortly.');
      return null;
    }
  }

  /** The key's environment from memory, or null once the refusal is sent. */
  async function stateOf(request: FastifyRequest, reply: FastifyReply, key: ActiveKey): Promise<EnvironmentState | null> {
    let state: EnvironmentState | undefined;
    try {
      state = await hub.state(key.environmentKey);
    } catch (err) {
      request.log.warn({ err }, 'environment state unavailable');
      reply.header('retry-after', '2');
      unleashError(reply, 503, 'The database is unavailable', 'Retry shortly.');
      return null;
    }
    // The key's environment was deleted under it: nothing to serve, as for a revoked key.
    if (!state) {
      unleashError(reply, 401, 'Token not valid', 'The environment of this key no longer exists.');
      return null;
    }
    return state;
  }

  async function countMetrics(key: ActiveKey, audience: Audience, body: Static<typeof MetricsBody>): Promise<void> {
    const report = Object.fromEntries(
      Object.entries(body.bucket.toggles).map(([name, t]) => [name, { yes: t.yes, no: t.no, variants: t.variants ?? {} }]),
    );
    const { kept } = await filter.filter(key.environmentKey, audience, report);
    const stop = body.bucket.stop ? new Date(body.bucket.stop) : new Date();
    // A clock far ahead would mark flags as used in the future; the server's clock bounds it.
    aggregator.add(key.environmentKey, kept, stop > new Date() ? new Date() : stop);
  }

  app.get(
    `${UNLEASH_API_PREFIX}/client/features`,
    { schema: { tags, querystring: FeaturesQuery, response: { 200: ClientFeatures, 304: Type.Null(), ...errors } } },
    async (request, reply) => {
      const key = await authenticated(request, reply);
      if (!key) return reply;
      const state = await stateOf(request, reply, key);
      if (!state) return reply;
      const { json, etag } = features.body(state, request.query.namePrefix);
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return (reply as FastifyReply).status(304).send();
      return (reply as FastifyReply).type('application/json').send(json);
    },
  );

  app.post(
    `${UNLEASH_API_PREFIX}/client/register`,
    { schema: { tags, body: RegisterBody, response: { 202: Type.Null(), ...errors } } },
    async (request, reply) => {
      const key = await authenticated(request, reply);
      if (!key) return reply;
      request.log.debug({ appName: request.body.appName, sdk: request.headers['unleash-sdk'] }, 'Unleash SDK registered');
      return (reply as FastifyReply).status(202).send();
    },
  );

  app.post(
    `${UNLEASH_API_PREFIX}/client/metrics`,
    { schema: { tags, body: MetricsBody, response: { 202: Type.Null(), ...errors } } },
    async (request, reply) => {
      const key = await authenticated(request, reply);
      if (!key) return reply;
      const wait = limit.take(key.id);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        return unleashError(reply, 429, `Too many metrics reports for this key; retry in ${wait} s`, 'Raise metricsInterval.');
      }
      await countMetrics(key, 'server', request.body);
      return (reply as FastifyReply).status(202).send();
    },
  );

  // Unleash's frontend API, for unleash-proxy-client in browsers (url: https://host/unleash/api/frontend).
  const frontend = new FrontendEvaluator();
  async function answerFrontend(request: FastifyRequest, reply: FastifyReply, context: Context): Promise<FastifyReply> {
    const key = await authenticated(request, reply, 'client');
    if (!key) return reply;
    const state = await stateOf(request, reply, key);
    if (!state) return reply;
    const json = JSON.stringify({ toggles: frontend.toggles(state, context) });
    const etag = `"f${createHash('sha256').update(json).digest('base64url').slice(0, 16)}"`;
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (request.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.type('application/json').send(json);
  }
  const frontendSchema = { tags, response: { 200: FrontendToggles, 304: Type.Null(), ...errors } };
  app.get(`${UNLEASH_API_PREFIX}/frontend`, { schema: { ...frontendSchema, querystring: FrontendQuery } }, async (request, reply) =>
    answerFrontend(request, reply, contextFromQuery(request.query)),
  );
  app.post(`${UNLEASH_API_PREFIX}/frontend`, { schema: { ...frontendSchema, body: FrontendBody } }, async (request, reply) =>
    answerFrontend(request, reply, contextFromBody(request.body)),
  );
  app.post(
    `${UNLEASH_API_PREFIX}/frontend/client/metrics`,
    { schema: { tags, body: MetricsBody, response: { 202: Type.Null(), ...errors } } },
    async (request, reply) => {
      const key = await authenticated(request, reply, 'client');
      if (!key) return reply;
      const wait = limit.take(key.id);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        return unleashError(reply, 429, `Too many metrics reports for this key; retry in ${wait} s`, 'Raise metricsInterval.');
      }
      await countMetrics(key, 'client', request.body);
      return (reply as FastifyReply).status(202).send();
    },
  );
};
