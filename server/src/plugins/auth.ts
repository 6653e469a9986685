import cookie from '@fastify/cookie';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { apiTokens, sessions, users } from '../db/schema/index.ts';
import { type Actor, type Role, roleAtLeast } from '../domain/actor.ts';
import { hashSecret, TOKEN_PREFIX } from '../domain/secrets.ts';
import { ForbiddenError, UnauthenticatedError } from '../errors.ts';

export const SESSION_COOKIE = 'sb_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on admin routes once the caller is known. */
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /**
     * Least role an admin route needs; `public` for login and the like. Admin routes that say
     * nothing need `admin`, so forgetting it fails closed.
     */
    role?: Role | 'public';
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/** Resolves who calls the admin API: a bearer API token or the session cookie. */
export async function authenticate(request: FastifyRequest): Promise<Actor | null> {
  const db = request.server.db;
  const token = bearer(request);
  if (token !== undefined) {
    if (token.startsWith(TOKEN_PREFIX.serverKey) || token.startsWith(TOKEN_PREFIX.clientKey)) {
      throw new ForbiddenError('SDK keys cannot call the admin API; use an API token');
    }
    const [row] = await db
      .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role })
      .from(apiTokens)
      .where(and(eq(apiTokens.tokenHash, hashSecret(token)), isNull(apiTokens.revokedAt)))
      .limit(1);
    if (!row) throw new UnauthenticatedError('Unknown or revoked API token');
    return { kind: 'token', id: row.id, name: row.name, role: row.role as Role };
  }
  const sessionSecret = request.cookies[SESSION_COOKIE];
  if (!sessionSecret) return null;
  const [row] = await db
    .select({ id: users.id, email: users.email, role: users.role })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, hashSecret(sessionSecret)), gt(sessions.expiresAt, new Date()), isNull(users.disabledAt)))
    .limit(1);
  return row ? { kind: 'user', id: row.id, name: row.email, role: row.role as Role } : null;
}

/** Authentication and role checks for everything under /api/admin/. */
export const authPlugin = fp(
  async (app) => {
    await app.register(cookie);
    app.decorateRequest('actor', null);
    // onRequest: callers are identified before their body is parsed or validated, so an anonymous
    // request learns nothing about a route but 401. The matched route pattern decides, not the raw
    // URL, which percent-encoding or an absolute-form target could disguise.
    app.addHook('onRequest', async (request) => {
      if (!request.routeOptions.url?.startsWith('/api/admin/')) return;
      const required = request.routeOptions.config.role ?? 'admin';
      if (required === 'public') return;
      const actor = await authenticate(request);
      if (!actor) throw new UnauthenticatedError();
      if (!roleAtLeast(actor.role, required)) {
        throw new ForbiddenError(`This needs the ${required} role; you are ${actor.role}`);
      }
      request.actor = actor;
    });
  },
  { name: 'auth', dependencies: ['infrastructure'] },
);

/** The authenticated actor of an admin route (the onRequest hook guarantees one). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError();
  return request.actor;
}
