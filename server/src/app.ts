import cors from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/client.ts';
import { activityRoutes } from './features/activity/routes.ts';
import { adminUiRoutes } from './features/admin-ui/routes.ts';
import { attributeRoutes } from './features/attributes/routes.ts';
import { auditRoutes } from './features/audit/routes.ts';
import { authRoutes } from './features/auth/routes.ts';
import { changeRequestRoutes } from './features/change-requests/routes.ts';
import { deliveryRoutes } from './features/delivery/routes.ts';
import { SdkKeyAuth } from './features/delivery/sdk-auth.ts';
import { environmentRoutes } from './features/environments/routes.ts';
import { flagRoutes } from './features/flags/routes.ts';
import { freezeWindowRoutes } from './features/freeze-windows/routes.ts';
import { healthRoutes } from './features/health/routes.ts';
import { importRoutes } from './features/import/routes.ts';
import { keyRoutes } from './features/keys/routes.ts';
import { playgroundRoutes } from './features/playground/routes.ts';
import { rampRoutes } from './features/ramps/routes.ts';
import { schedulerPlugin } from './features/scheduler/scheduler.ts';
import { scheduleRoutes } from './features/schedules/routes.ts';
import { segmentRoutes } from './features/segments/routes.ts';
import { tokenRoutes } from './features/tokens/routes.ts';
import { transferRoutes } from './features/transfer/routes.ts';
import { unleashAdminRoutes } from './features/unleash-api/admin-routes.ts';
import { unleashApiRoutes } from './features/unleash-api/routes.ts';
import { flagMetricRoutes, usageRoutes } from './features/usage/routes.ts';
import { userRoutes } from './features/users/routes.ts';
import { webhookRoutes } from './features/webhooks/routes.ts';
import { authPlugin } from './plugins/auth.ts';
import { csrfPlugin } from './plugins/csrf.ts';
import { errorsPlugin } from './plugins/errors.ts';
import { infrastructurePlugin } from './plugins/infrastructure.ts';
import { metricsPlugin } from './plugins/metrics.ts';
import { openapiPlugin } from './plugins/openapi.ts';
import { peopleRedaction } from './plugins/people-redaction.ts';
import { securityHeadersPlugin } from './plugins/security-headers.ts';
import { validatorCompiler } from './plugins/validation.ts';

/** Preflights are cached; `retry-after` and `etag` are readable by pages. */
const SDK_CORS = {
  origin: '*',
  methods: ['GET', 'POST'],
  // unleash-*: what unleash-proxy-client sends to the Unleash frontend API.
  allowedHeaders: [
    'authorization',
    'x-api-key',
    'content-type',
    'if-none-match',
    'last-event-id',
    'unleash-appname',
    'unleash-connection-id',
    'unleash-sdk',
  ],
  exposedHeaders: ['etag', 'retry-after'],
  maxAge: 600,
};

/** Paths called from pages on any origin: SDK delivery and usage, OFREP, Unleash's frontend API. */
const SDK_PREFIXES = ['/api/sdk/', '/api/client/', '/ofrep/', '/unleash/api/frontend'];

export interface AppOptions {
  config: Config;
  database: DatabaseHandle;
}

/** The whole service as one plugin: infrastructure first, then one plugin per feature. */
export const switchboardApp: FastifyPluginAsync<AppOptions> = async (app, opts) => {
  await app.register(infrastructurePlugin, opts);
  await app.register(errorsPlugin);
  await app.register(securityHeadersPlugin);
  await app.register(metricsPlugin);
  await app.register(openapiPlugin);
  // Before authentication: a forged request is refused without a database lookup.
  await app.register(csrfPlugin);
  await app.register(authPlugin);
  await app.register(healthRoutes);
  await app.register(async (sdk) => {
    // SDK routes are called from browsers on any origin (client keys); no cookies are involved.
    // The plugin's preflight route is `OPTIONS *`, which would answer for admin paths too; only SDK
    // paths get CORS, so no page on another origin is ever told it may call the admin API.
    await sdk.register(cors, {
      hideOptionsRoute: true,
      delegator: (request, callback) => {
        const path = request.url.split('?')[0] ?? '';
        callback(null, SDK_PREFIXES.some((p) => path.startsWith(p)) ? SDK_CORS : { origin: false });
      },
    });
    // Pages on any origin read these; raw, because streams write their head themselves.
    sdk.addHook('onRequest', async (_request, reply) => {
      reply.raw.setHeader('cross-origin-resource-policy', 'cross-origin');
    });
    // One key cache for streams, snapshots and usage reports alike.
    sdk.decorate('sdkKeys', new SdkKeyAuth(sdk.db));
    // Unwrapped by fastify-plugin, so its hub is visible to the Unleash API beside it.
    await sdk.register(fp(deliveryRoutes));
    await sdk.register(usageRoutes);
    await sdk.register(unleashApiRoutes);
  });
  await app.register(adminUiRoutes);
  await app.register(schedulerPlugin);
  await app.register(
    async (admin) => {
      // Its hook applies to every route registered after it in this scope.
      await peopleRedaction(admin, {});
      await admin.register(authRoutes);
      await admin.register(environmentRoutes);
      await admin.register(flagRoutes);
      await admin.register(flagMetricRoutes);
      await admin.register(segmentRoutes);
      await admin.register(keyRoutes);
      await admin.register(tokenRoutes);
      await admin.register(userRoutes);
      await admin.register(auditRoutes);
      await admin.register(attributeRoutes);
      await admin.register(activityRoutes);
      await admin.register(rampRoutes);
      await admin.register(scheduleRoutes);
      await admin.register(transferRoutes);
      await admin.register(importRoutes);
      await admin.register(webhookRoutes);
      await admin.register(playgroundRoutes);
      await admin.register(unleashAdminRoutes);
      await admin.register(changeRequestRoutes);
      await admin.register(freezeWindowRoutes);
    },
    { prefix: '/api/admin' },
  );
};

/** A Fastify instance with the server's options and the app registered. */
export async function createServer(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: opts.config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
    bodyLimit: opts.config.bodyLimit,
    // Node bounds only the receiving of a request with these, never the response, so SSE streams
    // stay open for hours; connectionTimeout is an idle cut, which their heartbeats keep away.
    requestTimeout: opts.config.requestTimeoutMs,
    keepAliveTimeout: opts.config.keepAliveTimeoutMs,
    connectionTimeout: opts.config.connectionTimeoutMs,
    http: {
      headersTimeout: opts.config.headersTimeoutMs,
      requestTimeout: opts.config.requestTimeoutMs,
      // Node looks for overdue requests this often (30 s by default, which would stretch every cut).
      connectionsCheckingInterval: Math.min(1000, opts.config.headersTimeoutMs),
    },
    trustProxy: (_address: string, hop: number) => hop < opts.config.trustProxyHops,
    // Ids we hand out (flag keys) may be long; the default of 100 is tight for some keys encoded.
    routerOptions: { maxParamLength: 500 },
    // Errors the router raises before any handler (a malformed URL, an overlong parameter) get the
    // same JSON shape as the rest, without echoing the URL back.
    frameworkErrors: (error, _request, reply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const body = {
        error: { code: tooLong ? 'URL_TOO_LONG' : 'BAD_URL', message: tooLong ? 'A path parameter is too long' : 'The URL is malformed' },
      };
      (reply as FastifyReply).status(tooLong ? 414 : 400).send(body);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // An empty body with a JSON content type is no body (many clients always send the header); the
  // route's schema then decides whether a body was required. Anything else: Fastify's own parser,
  // prototype-poisoning protection included.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
  // Unencapsulated, so the decorations (db, bus, config) are visible on the instance we return.
  await app.register(fp(switchboardApp, { name: 'switchboard' }), opts);
  return app;
}
