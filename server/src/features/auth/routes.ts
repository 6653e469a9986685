import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Redis } from 'ioredis';
import { AppError, ErrorCode, UnauthenticatedError } from '../../errors.ts';
import { ErrorResponse, errorResponses, Ok } from '../../http/schemas.ts';
import { actorOf, SESSION_COOKIE } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { findUserById } from '../users/store.ts';
import { LoginBody, Me, SessionUser } from './schemas.ts';
import { login, logout, SESSION_TTL_SECONDS, sessionUserView } from './service.ts';

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps = changeDeps(app);
  const tags = ['auth'];
  const cookieOptions = { httpOnly: true, sameSite: 'lax', path: '/', secure: app.config.secureCookies } as const;

  // Registered here, not globally, and switched on per route: only password guessing is limited.
  // With Redis the count is shared by every replica, so N replicas do not mean N times the attempts.
  const redis = app.config.redisUrl
    ? new Redis(app.config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false })
    : undefined;
  redis?.on('error', (err) => app.log.warn({ err }, 'rate-limit redis error'));
  app.addHook('onClose', async () => {
    redis?.disconnect();
  });
  await app.register(rateLimit, {
    global: false,
    // When Redis is unreachable, logins stay possible (limited by nothing) rather than all refused.
    ...(redis ? { redis, skipOnError: true } : {}),
    // Thrown as an AppError so the one error handler shapes it like every other error; the plugin
    // sets Retry-After before throwing.
    errorResponseBuilder: (_request, context) =>
      new AppError(429, ErrorCode.RateLimited, `Too many login attempts; retry in ${context.after}`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });

  app.post(
    '/login',
    {
      config: { role: 'public', rateLimit: { max: app.config.loginRateLimit, timeWindow: 60_000 } },
      schema: { tags, body: LoginBody, response: { 200: SessionUser, ...errorResponses, 429: ErrorResponse } },
    },
    async (request, reply) => {
      const { user, secret } = await login(deps, { ...request.body, ip: request.ip });
      reply.setCookie(SESSION_COOKIE, secret, { ...cookieOptions, maxAge: SESSION_TTL_SECONDS });
      return sessionUserView(user);
    },
  );

  app.post(
    '/logout',
    { config: { role: 'viewer' }, schema: { tags, response: { 200: Ok, ...errorResponses } } },
    async (request, reply) => {
      const secret = request.cookies[SESSION_COOKIE];
      // A token caller has no session; there is nothing to end, but clearing the cookie is harmless.
      if (secret) await logout(deps, actorOf(request), secret);
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return { ok: true as const };
    },
  );

  app.get('/me', { config: { role: 'viewer' }, schema: { tags, response: { 200: Me, ...errorResponses } } }, async (request) => {
    const actor = actorOf(request);
    if (actor.kind === 'user') {
      const user = await findUserById(app.db, actor.id);
      if (!user) throw new UnauthenticatedError();
      return { kind: 'user' as const, ...sessionUserView(user) };
    }
    return { kind: 'token' as const, id: actor.id, name: actor.name, role: actor.role };
  });
};
