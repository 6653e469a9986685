import { eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../../db/client.ts';
import { changeRequests, rampPlans, scheduledChanges, sdkKeys } from '../../db/schema/index.ts';

/**
 * Which environment(s) each admin route acts on, so per-environment roles (`environmentRoles` of
 * users and tokens) apply where they should. Every admin route has an entry: the role-matrix test
 * (`test/environment-roles.test.ts`) fails for a route added without a decision, and at run time a
 * route missing here is treated as reaching every environment (fail closed).
 *
 * - `global`: about no environment in particular (users, tokens, webhooks, reads); the global role.
 * - `every`: reaches every environment's SDKs (flag metadata and lifecycle, segments, sensitive
 *   attributes, JSON import); it needs the role in every environment, i.e. the lowest one held.
 * - a resolver: the environment(s) named by the path, body, query or the resource the path names;
 *   the role held in each of them. A resolver finding none (unknown id) falls back to `global`, and
 *   the route answers its own 404.
 *
 * Reads need `viewer`, which everyone holds everywhere, so they are `global`.
 */
export type EnvironmentResolver = (request: FastifyRequest, db: Database) => Promise<string[]>;
export type RouteScope = 'global' | 'every' | EnvironmentResolver;

function field(where: 'params' | 'body' | 'query', name: string): EnvironmentResolver {
  return async (request) => {
    const value = (request[where] as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? [value] : [];
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function byId(lookup: (db: Database, id: string) => Promise<string | undefined>): EnvironmentResolver {
  return async (request, db) => {
    const id = (request.params as Record<string, unknown> | undefined)?.id;
    if (typeof id !== 'string' || !UUID.test(id)) return [];
    const env = await lookup(db, id);
    return env === undefined ? [] : [env];
  };
}

const envParam = field('params', 'env');
const envBody = field('body', 'environment');
const rampEnv = byId(async (db, id) => {
  const [row] = await db.select({ env: rampPlans.environmentKey }).from(rampPlans).where(eq(rampPlans.id, id)).limit(1);
  return row?.env;
});
const scheduleEnv = byId(async (db, id) => {
  const [row] = await db
    .select({ env: scheduledChanges.environmentKey })
    .from(scheduledChanges)
    .where(eq(scheduledChanges.id, id))
    .limit(1);
  return row?.env;
});
const keyEnv = byId(async (db, id) => {
  const [row] = await db.select({ env: sdkKeys.environmentKey }).from(sdkKeys).where(eq(sdkKeys.id, id)).limit(1);
  return row?.env;
});
const changeRequestEnv = byId(async (db, id) => {
  const [row] = await db.select({ env: changeRequests.environmentKey }).from(changeRequests).where(eq(changeRequests.id, id)).limit(1);
  return row?.env;
});

const A = '/api/admin';

/** `METHOD /api/admin/path` (Fastify's spelling) -> scope. */
export const ROUTE_SCOPES: Readonly<Record<string, RouteScope>> = {
  // auth and people
  [`POST ${A}/login`]: 'global',
  [`POST ${A}/logout`]: 'global',
  [`GET ${A}/me`]: 'global',
  [`POST ${A}/me/password`]: 'global',
  [`GET ${A}/users`]: 'global',
  [`POST ${A}/users`]: 'global',
  [`PATCH ${A}/users/:id`]: 'global',
  [`DELETE ${A}/users/:id`]: 'global',
  [`GET ${A}/tokens`]: 'global',
  [`POST ${A}/tokens`]: 'global',
  [`DELETE ${A}/tokens/:id`]: 'global',
  [`GET ${A}/webhooks`]: 'global',
  [`POST ${A}/webhooks`]: 'global',
  [`PATCH ${A}/webhooks/:id`]: 'global',
  [`DELETE ${A}/webhooks/:id`]: 'global',
  [`GET ${A}/webhooks/:id/deliveries`]: 'global',
  [`POST ${A}/webhooks/:id/test`]: 'global',
  [`POST ${A}/webhooks/:id/rotate-secret`]: 'global',
  [`GET ${A}/audit`]: 'global',
  [`GET ${A}/stream`]: 'global',
  // environments: creating and deleting one is global; its name, settings and freezes are its own
  [`GET ${A}/environments`]: 'global',
  [`GET ${A}/environments/:env`]: 'global',
  [`POST ${A}/environments`]: 'global',
  [`PATCH ${A}/environments/:env`]: envParam,
  [`DELETE ${A}/environments/:env`]: 'global',
  [`PATCH ${A}/environments/:env/settings`]: envParam,
  [`GET ${A}/environments/:env/freeze-windows`]: 'global',
  [`POST ${A}/environments/:env/freeze-windows`]: envParam,
  [`PATCH ${A}/environments/:env/freeze-windows/:id`]: envParam,
  [`DELETE ${A}/environments/:env/freeze-windows/:id`]: envParam,
  // flags: the flag itself reaches every environment; its configuration one
  [`GET ${A}/flags`]: 'global',
  [`POST ${A}/flags`]: 'every',
  [`GET ${A}/flags/:key`]: 'global',
  [`PATCH ${A}/flags/:key`]: 'every',
  [`POST ${A}/flags/:key/archive`]: 'every',
  [`POST ${A}/flags/:key/restore`]: 'every',
  [`DELETE ${A}/flags/:key`]: 'every',
  [`GET ${A}/flags/:key/environments/:env`]: 'global',
  [`PATCH ${A}/flags/:key/environments/:env`]: envParam,
  [`GET ${A}/flags/:key/environments/:env/versions`]: 'global',
  [`POST ${A}/flags/:key/environments/:env/revert`]: envParam,
  [`POST ${A}/flags/:key/environments/:env/schedule`]: envParam,
  [`GET ${A}/flags/:key/audit`]: 'global',
  [`GET ${A}/flags/:key/metrics`]: 'global',
  [`GET ${A}/flags/:key/usage`]: 'global',
  [`GET ${A}/unleash/flags/:key/environments/:env`]: 'global',
  [`POST ${A}/evaluate`]: envBody,
  // segments and attributes are shared by every environment
  [`GET ${A}/segments`]: 'global',
  [`GET ${A}/segments/:key`]: 'global',
  [`POST ${A}/segments`]: 'every',
  [`PATCH ${A}/segments/:key`]: 'every',
  [`DELETE ${A}/segments/:key`]: 'every',
  [`GET ${A}/attributes`]: 'global',
  [`PUT ${A}/attributes/:name`]: 'every',
  // SDK keys belong to one environment
  [`GET ${A}/keys`]: 'global',
  [`POST ${A}/keys`]: envBody,
  [`DELETE ${A}/keys/:id`]: keyEnv,
  // import and export
  [`GET ${A}/export`]: 'global',
  [`POST ${A}/import`]: 'every',
  [`POST ${A}/import/unleash`]: envBody,
  // ramps and schedules act in the environment of their plan
  [`GET ${A}/ramps`]: 'global',
  [`GET ${A}/ramps/:id`]: 'global',
  [`GET ${A}/ramps/:id/guard`]: 'global',
  [`POST ${A}/ramps`]: envBody,
  [`POST ${A}/ramps/:id/start`]: rampEnv,
  [`POST ${A}/ramps/:id/pause`]: rampEnv,
  [`POST ${A}/ramps/:id/resume`]: rampEnv,
  [`POST ${A}/ramps/:id/abort`]: rampEnv,
  [`POST ${A}/ramps/:id/signals`]: rampEnv,
  [`GET ${A}/schedules`]: 'global',
  [`DELETE ${A}/schedules/:id`]: scheduleEnv,
  // change requests: proposing, reviewing and applying happen in the request's environment
  [`GET ${A}/change-requests`]: 'global',
  [`POST ${A}/change-requests`]: envBody,
  [`GET ${A}/change-requests/:id`]: 'global',
  [`POST ${A}/change-requests/:id/reviews`]: changeRequestEnv,
  [`POST ${A}/change-requests/:id/apply`]: changeRequestEnv,
  [`POST ${A}/change-requests/:id/rebase`]: changeRequestEnv,
  [`POST ${A}/change-requests/:id/withdraw`]: changeRequestEnv,
};

/** The scope of the route a request matched (HEAD answers as GET); `every` when undecided. */
export function routeScope(method: string, url: string | undefined): RouteScope {
  return ROUTE_SCOPES[`${method === 'HEAD' ? 'GET' : method} ${url ?? ''}`] ?? 'every';
}
