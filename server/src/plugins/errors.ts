import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { AppError, DatabaseUnavailableError, ErrorCode, isDatabaseUnavailable, sqlState } from '../errors.ts';

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

function fromFastify(err: FastifyError): { status: number; body: ErrorBody } | null {
  if (err.validation) {
    const details = err.validation.map((v) => ({
      path: v.instancePath || '/',
      message: v.message ?? 'invalid',
      ...(v.params ? { params: v.params } : {}),
    }));
    return {
      status: 400,
      body: {
        error: { code: ErrorCode.ValidationFailed, message: `Invalid ${err.validationContext ?? 'request'}: ${err.message}`, details },
      },
    };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { error: { code: ErrorCode.BodyTooLarge, message: 'The request body is too large' } } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: { error: { code: ErrorCode.UnsupportedMediaType, message: 'Send JSON with Content-Type: application/json' } },
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: { error: { code: ErrorCode.InvalidJson, message: 'The body is not valid JSON' } } };
  }
  if (err instanceof SyntaxError || err.name === 'SyntaxError') {
    return { status: 400, body: { error: { code: ErrorCode.InvalidJson, message: 'The body is not valid JSON' } } };
  }
  if (err.statusCode === 429) {
    return { status: 429, body: { error: { code: ErrorCode.RateLimited, message: err.message || 'Too many requests' } } };
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, body: { error: { code: err.code ?? 'BAD_REQUEST', message: err.message } } };
  }
  return null;
}

/** The one error handler: stable codes for 4xx, nothing internal for 5xx; JSON 404 for unknown routes. */
export const errorsPlugin = fp(
  async (app) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof AppError) {
        if (err.retryAfterSeconds !== undefined && !reply.hasHeader('retry-after'))
          reply.header('retry-after', String(err.retryAfterSeconds));
        const body: ErrorBody = { error: { code: err.code, message: err.message } };
        if (err.details !== undefined) body.error.details = err.details;
        return reply.status(err.statusCode).send(body);
      }
      const known = fromFastify(err);
      if (known) return reply.status(known.status).send(known.body);
      // The database is away (down, failing over, silent): the caller may retry; this is no bug.
      if (isDatabaseUnavailable(err)) {
        request.log.warn({ err: { message: err.message, cause: (err.cause as Error | undefined)?.message } }, 'database unavailable');
        const unavailable = new DatabaseUnavailableError();
        reply.header('retry-after', String(unavailable.retryAfterSeconds));
        return reply.status(503).send({ error: { code: unavailable.code, message: unavailable.message } });
      }
      // Races the pre-checks lost: two creates of one key, or two writes that deadlocked.
      const state = sqlState(err);
      if (state === '23505') {
        return reply.status(409).send({
          error: { code: ErrorCode.Conflict, message: 'Something with that key was created at the same moment; reload and retry' },
        });
      }
      if (state === '40P01' || state === '40001') {
        reply.header('retry-after', '1');
        return reply.status(503).send({ error: { code: ErrorCode.Unavailable, message: 'A concurrent change got in the way; retry' } });
      }
      request.log.error({ err }, 'unhandled error');
      return reply.status(500).send({ error: { code: ErrorCode.Internal, message: 'Internal server error' } });
    });
    app.setNotFoundHandler((request, reply) => {
      reply.status(404).send({ error: { code: ErrorCode.NotFound, message: `No route ${request.method} ${request.url.split('?')[0]}` } });
    });
  },
  { name: 'errors' },
);
