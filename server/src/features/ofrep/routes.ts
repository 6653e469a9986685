import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { Type } from 'typebox';
import { AppError, ErrorCode, ForbiddenError, UnauthenticatedError } from '../../errors.ts';
import type { DeliveryHub } from '../delivery/delivery-hub.ts';
import type { EnvironmentState } from '../delivery/environment-state.ts';
import type { ActiveKey } from '../keys/store.ts';
import { RateLimit } from './rate-limit.ts';
import {
  BulkEvaluationFailure,
  BulkEvaluationRequest,
  BulkEvaluationSuccess,
  ConfigurationResponse,
  EvaluationFailure,
  EvaluationRequest,
  EvaluationSuccess,
  FlagNotFound,
  FlagParams,
  GeneralError,
} from './schemas.ts';
import { fixedSecurityHeaders } from './security-headers.ts';
import { type BulkKeys, contextFrom, evaluateBulk, evaluateOne, OfrepErrorCode } from './service.ts';

export interface OfrepOptions {
  hub: DeliveryHub;
}

/** The polling interval OFREP providers are told not to go under (configuration endpoint). */
const MIN_POLLING_MS = 10_000;

const CONFIGURATION = JSON.stringify({
  name: 'switchboard',
  capabilities: {
    cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: MIN_POLLING_MS } },
    flagEvaluation: { supportedTypes: ['boolean', 'string', 'int', 'float', 'object'] },
    // Answers change with every flag change: a server provider must not cache them.
    caching: { enabled: false },
  },
});
const CONFIGURATION_ETAG = `"${createHash('sha1').update(CONFIGURATION).digest('base64url')}"`;

/**
 * OFREP bodies are checked by a validator of their own: nothing of them is stored, so the
 * storability walk of the admin API's validator would only cost time on the hottest SDK path.
 */
const ajv = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false, strict: false });
const bodyValidator: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const validate = ajv.compile(schema as object);
  const checked = Object.assign(
    (data: unknown): boolean => {
      // No body at all (Fastify passes null) is an empty context: OFREP's request has nothing required.
      const ok = (httpPart === 'body' && (data === undefined || data === null)) || validate(data);
      checked.errors = ok ? null : validate.errors;
      return ok;
    },
    { errors: null as unknown },
  );
  return checked as unknown as ReturnType<FastifySchemaCompiler<unknown>>;
};

/** The key from `X-API-Key` or `Authorization: Bearer` (a bare value is accepted, as on the other SDK paths). */
function secretOf(request: FastifyRequest): string | undefined {
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return apiKey.trim();
  const header = request.headers.authorization;
  const bearer = typeof header === 'string' ? header.replace(/^Bearer\s+/i, '').trim() : '';
  return bearer === '' ? undefined : bearer;
}

/** Whether `If-None-Match` names `etag` (a list, weak forms and `*` included). */
function matchesEtag(header: string | string[] | undefined, etag: string): boolean {
  if (typeof header !== 'string') return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** Pre-serialized JSON goes out as it is (Fastify serializes only objects). */
function sendJson(reply: FastifyReply, json: string | Buffer) {
  return reply.type('application/json').send(json);
}

/** An OFREP 400: the single endpoint names the flag, the bulk one does not. */
function ofrepBadRequest(reply: FastifyReply, key: string | undefined, errorCode: OfrepErrorCode, errorDetails: string) {
  return reply
    .status(400)
    .type('application/json')
    .send(key === undefined ? { errorCode, errorDetails } : { key, errorCode, errorDetails });
}

/**
 * The OpenFeature Remote Evaluation Protocol: single and bulk evaluation and the configuration
 * extension, on this replica's in-memory state (the DeliveryHub's). A server key evaluates every
 * flag of its environment; a client key only client-visible ones (the others do not exist for it).
 */
export const ofrepRoutes: FastifyPluginAsyncTypebox<OfrepOptions> = async (app, { hub }) => {
  const keys = app.sdkKeys;
  const perKey = new RateLimit(app.config.ofrepKeyRate);
  const perAddress = new RateLimit(app.config.ofrepAddressRate);
  const tags = ['ofrep'];
  const securityHeaders = fixedSecurityHeaders(app.config.secureCookies);
  // Routes of this scope skip @fastify/helmet (`helmet: false`): the same headers, computed once.
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of securityHeaders) reply.raw.setHeader(name, value);
    done();
  });

  // Bad bodies get OFREP's answers (never a 500); everything else our usual shape with
  // OFREP's `errorDetails` beside it.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const key = (request.params as { key?: string } | undefined)?.key;
    if (err.validation) {
      const first = err.validation[0];
      const path = first?.instancePath ?? '';
      const invalidContext = path === '/context' || path.startsWith('/context/');
      const details = `${path || 'body'} ${first?.message ?? 'is invalid'}`;
      return ofrepBadRequest(reply, key, invalidContext ? OfrepErrorCode.InvalidContext : OfrepErrorCode.ParseError, details);
    }
    if (err instanceof AppError) {
      if (err.retryAfterSeconds !== undefined && !reply.hasHeader('retry-after'))
        reply.header('retry-after', String(err.retryAfterSeconds));
      const error = { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) };
      return reply.status(err.statusCode).send({ errorDetails: err.message, error });
    }
    const status = err.statusCode;
    if (status === 413)
      return reply.status(413).send({ errorCode: OfrepErrorCode.ParseError, errorDetails: 'The request body is too large' });
    if (
      (status !== undefined && status >= 400 && status < 500) ||
      err instanceof SyntaxError ||
      err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
    ) {
      // Not JSON, or not a JSON body: the body could not be parsed.
      return ofrepBadRequest(reply, key, OfrepErrorCode.ParseError, 'The body must be JSON: { "context": { ... } }');
    }
    request.log.error({ err }, 'OFREP request failed');
    return reply.status(500).send({ errorDetails: 'Internal error' });
  });

  /** Limits, then the key: a flood of bad keys costs no key lookups. */
  async function authenticated(request: FastifyRequest, reply: FastifyReply): Promise<{ key: ActiveKey; state: EnvironmentState }> {
    if (!perAddress.take(request.ip)) {
      reply.header('retry-after', '1');
      throw new AppError(429, ErrorCode.RateLimited, 'Your address sends more OFREP requests than this replica takes; retry shortly', {
        limit: 'address',
      });
    }
    if (!hub.isCurrent) {
      reply.header('retry-after', String(1 + Math.floor(Math.random() * 5)));
      throw new AppError(503, ErrorCode.DatabaseUnavailable, 'This replica cannot confirm it is current; retry (another replica)');
    }
    const secret = secretOf(request);
    if (secret === undefined) throw new UnauthenticatedError('Send an SDK key as X-API-Key or Authorization: Bearer');
    let key: ActiveKey | undefined;
    let state: EnvironmentState | undefined;
    try {
      key = await keys.lookup(secret);
      if (key) state = await hub.state(key.environmentKey);
    } catch (err) {
      request.log.warn({ err }, 'OFREP key or state unavailable');
      reply.header('retry-after', String(1 + Math.floor(Math.random() * 5)));
      throw new AppError(503, ErrorCode.DatabaseUnavailable, 'The database is unavailable; retry shortly');
    }
    if (!key) throw new UnauthenticatedError('Unknown or revoked SDK key');
    if (!state) throw new ForbiddenError(`The environment of this key (${key.environmentKey}) no longer exists`);
    if (!perKey.take(key.id)) {
      reply.header('retry-after', '1');
      throw new AppError(429, ErrorCode.RateLimited, 'This key sends more OFREP requests than this replica takes; retry shortly', {
        limit: 'key',
      });
    }
    return { key, state };
  }

  const failures = { 401: GeneralError, 403: GeneralError, 429: GeneralError, 500: GeneralError, 503: GeneralError };

  app.post(
    '/ofrep/v1/evaluate/flags/:key',
    {
      validatorCompiler: bodyValidator,
      helmet: false,
      schema: {
        tags,
        summary: 'OFREP single flag evaluation',
        params: FlagParams,
        body: EvaluationRequest,
        response: { 200: EvaluationSuccess, 400: EvaluationFailure, 404: FlagNotFound, ...failures },
      },
    },
    async (request, reply) => {
      const { key: flagKey } = request.params;
      const { key, state } = await authenticated(request, reply);
      const parsed = contextFrom(request.body?.context);
      if ('problem' in parsed) return ofrepBadRequest(reply, flagKey, OfrepErrorCode.InvalidContext, parsed.problem);
      const visible = key.kind === 'server' || state.isClientVisible(flagKey);
      const evaluated = visible ? evaluateOne(state.compiled(), flagKey, parsed.context) : undefined;
      if (evaluated === undefined) {
        return reply
          .status(404)
          .send({ key: flagKey, errorCode: OfrepErrorCode.FlagNotFound, errorDetails: `No flag ${flagKey} in this environment` });
      }
      // A flag that could not be evaluated (a stored configuration core cannot compile) is no success.
      if (evaluated.result.reason === 'ERROR') reply.status(400);
      reply.header('cache-control', 'no-store');
      return sendJson(reply, evaluated.json);
    },
  );

  app.post(
    '/ofrep/v1/evaluate/flags',
    {
      validatorCompiler: bodyValidator,
      helmet: false,
      schema: {
        tags,
        summary: 'OFREP bulk evaluation',
        headers: Type.Object({ 'if-none-match': Type.Optional(Type.String()) }),
        body: BulkEvaluationRequest,
        response: { 200: BulkEvaluationSuccess, 304: Type.Null(), 400: BulkEvaluationFailure, ...failures },
      },
    },
    async (request, reply) => {
      const { key, state } = await authenticated(request, reply);
      const parsed = contextFrom(request.body?.context);
      if ('problem' in parsed) return ofrepBadRequest(reply, undefined, OfrepErrorCode.InvalidContext, parsed.problem);
      const wanted = request.body?.flags;
      let keys: BulkKeys;
      if (wanted === undefined) keys = key.kind === 'server' ? { all: true } : { list: state.clientVisibleKeys() };
      else {
        const unique = new Set(wanted);
        keys = { names: key.kind === 'server' ? unique : [...unique].filter((k) => state.isClientVisible(k)) };
      }
      const { body, etag } = evaluateBulk(state.compiled(), keys, parsed.context);
      reply.header('etag', etag).header('cache-control', 'no-cache');
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.status(304).send(null);
      return sendJson(reply, body);
    },
  );

  app.get(
    '/ofrep/v1/configuration',
    {
      helmet: false,
      schema: {
        tags,
        summary: 'OFREP provider configuration',
        headers: Type.Object({ 'if-none-match': Type.Optional(Type.String()) }),
        response: { 200: ConfigurationResponse, 304: Type.Null(), ...failures },
      },
    },
    async (request, reply) => {
      await authenticated(request, reply);
      reply.header('etag', CONFIGURATION_ETAG).header('cache-control', 'no-cache');
      if (matchesEtag(request.headers['if-none-match'], CONFIGURATION_ETAG)) return reply.status(304).send(null);
      return sendJson(reply, CONFIGURATION);
    },
  );
};
