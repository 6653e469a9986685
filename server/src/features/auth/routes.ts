import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Redis } from 'ioredis';
import type { Actor, Role } from '../../domain/actor.ts';
import { hashSecret } from '../../domain/secrets.ts';
import { AppError, ErrorCode, UnauthenticatedError, WrongPasswordError } from '../../errors.ts';
import { ErrorResponse, errorResponses, Ok } from '../../http/schemas.ts';
import { actorOf, SESSION_COOKIE } from '../../plugins/auth.ts';
import { changeDeps } from '../change-deps.ts';
import { normaliseEmail } from '../users/service.ts';
import { findUserById } from '../users/store.ts';
import { AccountThrottle } from './account-throttle.ts';
import { ChangePasswordBody, LoginBody, Me, SessionUser } from './schemas.ts';
import { changeOwnPassword, login, logout, SESSION_TTL_SECONDS, sessionUserView } from './service.ts';

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
  const accounts = new AccountThrottle(redis, app.config.loginAccountLimit, app.log);
  /** 429 while the account is over its failed-login limit, whatever the password. */
  const refuseWhileThrottled = async (email: string, reply: FastifyReply) => {
    const waitMs = await accounts.retryAfterMs(email);
    if (waitMs === 0) return;
    const seconds = Math.ceil(waitMs / 1000);
    reply.header('retry-after', String(seconds));
    throw new AppError(429, ErrorCode.RateLimited, `Too many failed logins for this account; retry in ${seconds} s`, {
      retryAfterSeconds: seconds,
    });
  };

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
      const email = normaliseEmail(request.body.email);
      await refuseWhileThrottled(email, reply);
      let result: Awaited<ReturnType<typeof login>>;
      try {
        result = await login(deps, { ...request.body, ip: request.ip });
      } catch (err) {
        if (err instanceof UnauthenticatedError) await accounts.recordFailure(email);
        throw err;
      }
      await accounts.reset(email);
      const { user, secret } = result;
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

  app.post(
    '/me/password',
    {
      config: { role: 'viewer' },
      schema: {
        tags,
        description:
          'Changes your own password (any role); needs the current one. Ends your other sessions. Wrong current passwords count toward the per-account login limit.',
        body: ChangePasswordBody,
        response: { 200: Ok, ...errorResponses, 429: ErrorResponse },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const user = actor.kind === 'user' ? await findUserById(app.db, actor.id) : undefined;
      if (user) await refuseWhileThrottled(user.email, reply);
      const session = request.cookies[SESSION_COOKIE];
      try {
        await changeOwnPassword(deps, actor, request.body, session ? hashSecret(session) : undefined);
      } catch (err) {
        if (err instanceof WrongPasswordError && user) await accounts.recordFailure(user.email);
        throw err;
      }
      return { ok: true as const };
    },
  );

  app.get('/me', { config: { role: 'viewer' }, schema: { tags, response: { 200: Me, ...errorResponses } } }, async (request) => {
    const actor = actorOf(request);
    if (actor.kind === 'user') {
      const user = await findUserById(app.db, actor.id);
      if (!user) throw new UnauthenticatedError();
      return { kind: 'user' as const, ...sessionUserView(user), ...environmentRolesOf(actor) };
    }
    return { kind: 'token' as const, id: actor.id, name: actor.name, role: actor.role, ...environmentRolesOf(actor) };
  });
};

function environmentRolesOf(actor: Actor): { environmentRoles?: Record<string, Role> } {
  const roles = actor.environmentRoles ?? {};
  return Object.keys(roles).length > 0 ? { environmentRoles: { ...roles } } : {};
}
