import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, ErrorCode, NotFoundError } from '../../errors.ts';
import { ErrorResponse } from '../../http/schemas.ts';
import type { ActiveKey } from '../keys/store.ts';
import { ofrepRoutes } from '../ofrep/routes.ts';
import { DeliveryHub } from './delivery-hub.ts';
import type { EnvironmentState } from './environment-state.ts';
import { type Audience, StreamConnection } from './stream-connection.ts';
import { type StreamLimit, StreamSlots } from './stream-slots.ts';

const Snapshot = Type.Object(
  {
    environment: Type.String(),
    revision: Type.Integer(),
    flags: Type.Array(Type.Object({ key: Type.String(), enabled: Type.Boolean() }, { additionalProperties: true })),
  },
  {
    additionalProperties: true,
    description:
      'Server keys also get `segments`; client keys get segments inlined, and flags evaluated on the server for browsers as `{ key, enabled, remote: true }`.',
  },
);
const errors = { 401: ErrorResponse, 403: ErrorResponse, 429: ErrorResponse, 503: ErrorResponse };
const StreamQuery = Type.Object({
  key: Type.Optional(Type.String({ maxLength: 200 })),
  /** For a page resuming from its cache: EventSource sends Last-Event-ID only on its own reconnects. */
  lastEventId: Type.Optional(Type.String({ maxLength: 20 })),
});

declare module 'fastify' {
  interface FastifyInstance {
    /** Set on the SDK routes' scope (deliveryRoutes is registered with fastify-plugin there). */
    deliveryHub: DeliveryHub;
  }
}

const LIMIT_MESSAGES: Record<StreamLimit, string> = {
  pool: 'This replica holds as many streams of this kind as it may; retry later',
  key: 'This key holds as many streams on this replica as it may; retry later',
  address: 'Your address holds as many streams on this replica as it may; retry later',
};

function unavailable(reply: FastifyReply, message: string, code: ErrorCode = ErrorCode.Unavailable): never {
  reply.header('retry-after', String(1 + Math.floor(Math.random() * 5)));
  throw new AppError(503, code, message);
}

/**
 * The SDK side: snapshots with ETags and SSE streams, for server keys (`/api/sdk`, full config)
 * and client keys (`/api/client`, the client view, callable from any origin).
 */
export const deliveryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const config = app.config;
  const hub = new DeliveryHub({
    db: app.db,
    bus: app.bus,
    log: app.log,
    checkIntervalMs: config.deliveryCheckMs,
    staleAfterMs: config.deliveryCheckMs * config.deliveryStaleChecks,
    heartbeatMs: config.heartbeatMs,
    onStreamCount: (kind, delta) => app.metrics.connectedStreams.inc({ kind }, delta),
    onFanout: (seconds) => app.metrics.streamFanout.observe(seconds),
  });
  hub.start();
  // Other SDK-facing routes (the Unleash API) serve from the same in-memory states.
  app.decorate('deliveryHub', hub);
  app.readiness.add('delivery', () => (hub.isCurrent ? null : 'revision unconfirmed: the database does not answer'));
  // Streams must end before the server can close; clients are told when to come back.
  app.addHook('preClose', async () => {
    await hub.shutdown();
  });
  const keys = app.sdkKeys;
  const slots = new StreamSlots({
    server: config.maxServerStreams,
    client: config.maxClientStreams,
    perKey: config.maxStreamsPerKey,
    perAddress: config.maxStreamsPerAddress,
  });

  async function authenticated(request: FastifyRequest, reply: FastifyReply, audience: Audience): Promise<ActiveKey> {
    // Serving what was last heard while the database is away would pass old flags off as current.
    if (!hub.isCurrent)
      unavailable(reply, 'This replica cannot confirm it is current; retry (another replica)', ErrorCode.DatabaseUnavailable);
    try {
      return await keys.authenticate(request, audience);
    } catch (err) {
      if (err instanceof AppError) throw err;
      request.log.warn({ err }, 'key check unavailable');
      unavailable(reply, 'The database is unavailable; retry shortly', ErrorCode.DatabaseUnavailable);
    }
  }

  async function stateOf(request: FastifyRequest, reply: FastifyReply, key: ActiveKey): Promise<EnvironmentState> {
    let state: EnvironmentState | undefined;
    try {
      state = await hub.state(key.environmentKey);
    } catch (err) {
      if (err instanceof AppError) throw err;
      // The database is out of reach: no data is better than an empty flag set.
      request.log.warn({ err }, 'environment state unavailable');
      unavailable(reply, 'The database is unavailable; retry shortly', ErrorCode.DatabaseUnavailable);
    }
    if (!state) throw new NotFoundError(`Environment ${key.environmentKey}`);
    return state;
  }

  function register(scope: FastifyInstance, prefix: '/api/sdk' | '/api/client', audience: Audience) {
    const tags = [audience === 'server' ? 'sdk' : 'client'];
    scope.get(
      `${prefix}/snapshot`,
      { schema: { tags, querystring: StreamQuery, response: { 200: Snapshot, 304: Type.Null(), ...errors } } },
      async (request, reply) => {
        const state = await stateOf(request, reply, await authenticated(request, reply, audience));
        const etag = `"${state.revision}"`;
        reply.header('etag', etag).header('cache-control', 'no-cache');
        if (request.headers['if-none-match'] === etag) return reply.status(304).send();
        return reply.type('application/json').send(audience === 'server' ? state.serverSnapshot() : state.clientSnapshot());
      },
    );

    scope.get(`${prefix}/stream`, { schema: { tags, querystring: StreamQuery, response: errors } }, async (request, reply) => {
      if (hub.isClosing) unavailable(reply, 'This replica is shutting down; reconnect to another');
      const key = await authenticated(request, reply, audience);
      // Taken before the next await and given back however the stream ends: concurrent opens
      // cannot overshoot, and a failed open does not leak a slot.
      const slot = slots.reserve(audience, key.id, request.ip);
      if (!slot.ok) {
        reply.header('retry-after', String(1 + Math.floor(Math.random() * 10)));
        throw new AppError(429, ErrorCode.RateLimited, LIMIT_MESSAGES[slot.limit], { limit: slot.limit, audience });
      }
      let state: EnvironmentState;
      try {
        state = await stateOf(request, reply, key);
      } catch (err) {
        slot.release();
        throw err;
      }
      reply.hijack();
      const res = reply.raw;
      res.on('close', slot.release);
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      request.raw.socket.setNoDelay(true);
      const conn = new StreamConnection(res, state.environment, audience, key.id, config.streamBufferBytes, hub.forget);
      const header = request.headers['last-event-id'];
      try {
        await hub.open(conn, state, typeof header === 'string' ? header : (request.query as { lastEventId?: string }).lastEventId);
      } catch (err) {
        request.log.warn({ err }, 'opening a stream failed');
        conn.end();
        slot.release();
      }
    });
  }

  register(app, '/api/sdk', 'server');
  register(app, '/api/client', 'client');
  // OFREP evaluates on this replica's in-memory state: the hub's.
  await app.register(ofrepRoutes, { hub });
};
