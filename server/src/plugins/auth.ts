import cookie from '@fastify/cookie';
import { and, eq, gt, isNull, lt, or } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { apiTokens, sessions, users } from '../db/schema/index.ts';
import {
  type Actor,
  cappedEnvironmentRoles,
  highestRole,
  lowerRole,
  lowestRole,
  parseEnvironmentRoles,
  type Role,
  roleAtLeast,
  roleIn,
} from '../domain/actor.ts';
import { hashSecret, TOKEN_PREFIX } from '../domain/secrets.ts';
import { AppError, ErrorCode, ForbiddenError, UnauthenticatedError } from '../errors.ts';
import { routeScope } from '../features/environments/route-scopes.ts';
import { SessionCache } from './session-cache.ts';

export const SESSION_COOKIE = 'sb_session';

/** The audit resource type of users and their sessions: a change to one clears `SessionCache`. */
export const USER_RESOURCE = 'user';

/** `lastUsedAt` of a token is written at most this often, so reads do not all turn into writes. */
export const TOKEN_LAST_USED_EVERY_MS = 60_000;

/** An admin route as registered: what the role matrix tests enumerate. */
export interface AdminRoute {
  method: string;
  url: string;
  /** The role the route declared; undefined when it declared none (and so needs admin). */
  role: Role | 'public' | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route under /api/admin/, collected as it is registered. */
    adminRoutes: AdminRoute[];
    /** Recent session lookups; cleared on any change to users or sessions. */
    sessionCache: SessionCache;
  }
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

/** The bearer credential, if the request sends one (browsers never attach these by themselves). */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isReadMethod(method: string): boolean {
  return READ_METHODS.has(method);
}

interface AuthenticateOptions {
  /**
   * Whether this request counts as use: it slides the session's idle timeout and stamps the
   * token's `lastUsedAt`. Re-checks of an open stream do not, or an open tab would never idle out.
   */
  touch?: boolean;
}

async function authenticateToken(request: FastifyRequest, token: string, touch: boolean): Promise<Actor> {
  const db = request.server.db;
  const [row] = await db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      role: apiTokens.role,
      scope: apiTokens.scope,
      environmentRoles: apiTokens.environmentRoles,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
      ownerId: users.id,
      ownerRole: users.role,
      ownerEnvironmentRoles: users.environmentRoles,
      ownerDisabledAt: users.disabledAt,
    })
    .from(apiTokens)
    .leftJoin(users, eq(users.id, apiTokens.ownerUserId))
    .where(and(eq(apiTokens.tokenHash, hashSecret(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (!row) throw new UnauthenticatedError('Unknown or revoked API token');
  const now = new Date();
  if (row.expiresAt !== null && row.expiresAt <= now) throw new UnauthenticatedError('This API token has expired');
  // A token is its owner's delegate: it stops with a disabled owner and never exceeds the owner's role.
  if (row.ownerId === null || row.ownerRole === null || row.ownerDisabledAt !== null)
    throw new UnauthenticatedError("This API token's owner is disabled or gone");
  if (touch && (row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() >= TOKEN_LAST_USED_EVERY_MS)) {
    // Conditional, so replicas racing on one token write once per interval.
    await db
      .update(apiTokens)
      .set({ lastUsedAt: now })
      .where(
        and(
          eq(apiTokens.id, row.id),
          or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, new Date(now.getTime() - TOKEN_LAST_USED_EVERY_MS))),
        ),
      );
  }
  return {
    kind: 'token',
    id: row.id,
    name: row.name,
    role: lowerRole(row.role as Role, row.ownerRole as Role),
    environmentRoles: cappedEnvironmentRoles(
      row.role as Role,
      parseEnvironmentRoles(row.environmentRoles),
      row.ownerRole as Role,
      parseEnvironmentRoles(row.ownerEnvironmentRoles),
    ),
    userId: row.ownerId,
    readOnly: row.scope === 'read',
  };
}

async function authenticateSession(request: FastifyRequest, secret: string, touch: boolean): Promise<Actor | null> {
  const app = request.server;
  const idleMs = app.config.sessionIdleTimeoutMs;
  const now = new Date();
  const tokenHash = hashSecret(secret);
  const idleSince = now.getTime() - idleMs;
  let session = app.sessionCache.get(tokenHash, now.getTime());
  if (session && (session.expiresAt <= now || session.lastSeenAt.getTime() <= idleSince)) session = undefined;
  if (!session) {
    const [row] = await app.db
      .select({
        id: users.id,
        email: users.email,
        role: users.role,
        environmentRoles: users.environmentRoles,
        expiresAt: sessions.expiresAt,
        lastSeenAt: sessions.lastSeenAt,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.tokenHash, tokenHash),
          gt(sessions.expiresAt, now),
          gt(sessions.lastSeenAt, new Date(idleSince)),
          isNull(users.disabledAt),
        ),
      )
      .limit(1);
    if (!row) return null;
    const actor: Actor = {
      kind: 'user',
      id: row.id,
      name: row.email,
      role: row.role as Role,
      environmentRoles: parseEnvironmentRoles(row.environmentRoles),
      userId: row.id,
    };
    session = { actor, expiresAt: row.expiresAt, lastSeenAt: row.lastSeenAt };
    // Only what was read goes in: a hit does not extend its own life, so every session is read
    // again at least once per TTL whatever the bus delivers.
    app.sessionCache.set(tokenHash, session, now.getTime());
  }
  // Sliding idle timeout, written at most every quarter of it (and at least every minute).
  if (touch && now.getTime() - session.lastSeenAt.getTime() >= Math.min(60_000, idleMs / 4)) {
    await app.db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.tokenHash, tokenHash));
    session.lastSeenAt = now;
  }
  // A copy: one cached actor serves many requests, and none may change what the others see.
  return { ...session.actor };
}

/** Resolves who calls the admin API: a bearer API token or the session cookie. */
export async function authenticate(request: FastifyRequest, options: AuthenticateOptions = {}): Promise<Actor | null> {
  const touch = options.touch ?? true;
  const token = bearerToken(request);
  if (token !== undefined) {
    if (token.startsWith(TOKEN_PREFIX.serverKey) || token.startsWith(TOKEN_PREFIX.clientKey)) {
      throw new ForbiddenError('SDK keys cannot call the admin API; use an API token');
    }
    return authenticateToken(request, token, touch);
  }
  const sessionSecret = request.cookies[SESSION_COOKIE];
  if (!sessionSecret) return null;
  return authenticateSession(request, sessionSecret, touch);
}

/** Authentication and role checks for everything under /api/admin/. */
export const authPlugin = fp(
  async (app) => {
    await app.register(cookie);
    app.decorateRequest('actor', null);
    const sessionCache = new SessionCache(app.config.sessionCacheMs);
    app.decorate('sessionCache', sessionCache);
    // Another replica's log-out, disabling or role change (this replica's own clear at once, in
    // `changeDeps`, without waiting for the bus to bring them back).
    const unsubscribe = app.bus.subscribe('activity', (event) => {
      if (event.resourceType === USER_RESOURCE) sessionCache.clear();
    });
    app.addHook('onClose', async () => unsubscribe());
    const adminRoutes: AdminRoute[] = [];
    app.decorate('adminRoutes', adminRoutes);
    app.addHook('onRoute', (route) => {
      if (!route.url.startsWith('/api/admin/')) return;
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD') adminRoutes.push({ method, url: route.url, role: route.config?.role });
      }
    });
    // onRequest: callers are identified before their body is parsed or validated, so an anonymous
    // request learns nothing about a route but 401. The matched route pattern decides, not the raw
    // URL, which percent-encoding or an absolute-form target could disguise.
    app.addHook('onRequest', async (request) => {
      if (!request.routeOptions.url?.startsWith('/api/admin/')) return;
      const required = request.routeOptions.config.role ?? 'admin';
      if (required === 'public') return;
      const actor = await authenticate(request);
      if (!actor) throw new UnauthenticatedError();
      if (actor.readOnly && !isReadMethod(request.method)) {
        throw new AppError(403, ErrorCode.ReadOnlyToken, 'This API token is read-only');
      }
      // Per-environment roles: a route about one environment is first let through if the caller
      // holds the role anywhere, then checked against that environment once its body is parsed.
      const scope = routeScope(request.method, request.routeOptions.url);
      const held = scope === 'global' ? actor.role : scope === 'every' ? lowestRole(actor) : highestRole(actor);
      if (!roleAtLeast(held, required)) {
        const where = scope === 'every' ? ' in every environment' : '';
        throw new ForbiddenError(`This needs the ${required} role${where}; you are ${held}`);
      }
      request.actor = actor;
    });
    // Before body validation, so a caller without the role learns 403, not what the body lacks.
    app.addHook('preValidation', async (request) => {
      const actor = request.actor;
      if (!actor || !request.routeOptions.url?.startsWith('/api/admin/')) return;
      const scope = routeScope(request.method, request.routeOptions.url);
      if (typeof scope !== 'function') return;
      const required = request.routeOptions.config.role ?? 'admin';
      if (required === 'public') return;
      const envs = await scope(request, request.server.db);
      if (envs.length === 0 && !roleAtLeast(actor.role, required)) {
        throw new ForbiddenError(`This needs the ${required} role; you are ${actor.role}`);
      }
      for (const env of envs) {
        const role = roleIn(actor, env);
        if (!roleAtLeast(role, required)) throw new ForbiddenError(`This needs the ${required} role in ${env}; you are ${role} there`);
      }
    });
  },
  { name: 'auth', dependencies: ['infrastructure'] },
);

/** The authenticated actor of an admin route (the onRequest hook guarantees one). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError();
  return request.actor;
}
