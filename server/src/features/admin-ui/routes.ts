import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** The admin UI's build, beside the server in this repository, unless ADMIN_UI_DIR says otherwise. */
const defaultDir = fileURLToPath(new URL('../../../../admin-ui/dist', import.meta.url));

/**
 * Serves the built admin UI at `/`. Paths that are not files get `index.html`, so the single-page
 * app's own routes survive a reload; `/api/*` stays JSON. Without a build, the API still runs and
 * `/` says how to build the UI.
 */
export const adminUiRoutes: FastifyPluginAsync = async (app) => {
  const dir = app.config.adminUiDir ?? defaultDir;
  if (!existsSync(`${dir}/index.html`)) {
    app.log.warn(`No admin UI build in ${dir}; run \`pnpm --filter @switchboard/admin-ui build\` (pnpm start does)`);
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/plain')
        .send('Switchboard API is running. The admin UI is not built: pnpm --filter @switchboard/admin-ui build. API docs: /docs\n'),
    );
    return;
  }
  await app.register(fastifyStatic, { root: dir, wildcard: false, index: ['index.html'] });
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    // Unknown API paths stay JSON 404s; so do missing build assets (after a rebuild the old file
    // list is stale, and serving index.html as JavaScript would hide that).
    if (request.url.startsWith('/api/') || request.url.startsWith('/assets/')) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
};
