import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { packagePaths } from '../../package-paths.ts';

/** Vite names every file under `assets/` by a hash of its content: a changed file is a new URL. */
const HASHED = 'public, max-age=31536000, immutable';
/** Everything else (index.html above all) names the current hashed files: revalidate each time. */
const UNHASHED = 'no-cache';

/**
 * Serves the built admin UI at `/` (the package's own copy, or ADMIN_UI_DIR). Paths that are not
 * files get `index.html`, so the single-page app's own routes survive a reload; `/api/*` stays JSON.
 * Without a build, the API still runs and `/` says how to build the UI.
 *
 * The build writes a `.br` and a `.gz` beside each text file; the file sent is picked by
 * Accept-Encoding (`Vary: Accept-Encoding`), never compressed per request. Source maps answer 404
 * unless SERVE_SOURCE_MAPS is set: they would publish the UI's sources.
 */
export const adminUiRoutes: FastifyPluginAsync = async (app) => {
  const dir = resolve(app.config.adminUiDir ?? packagePaths.adminUi);
  if (!existsSync(join(dir, 'index.html'))) {
    app.log.warn(`No admin UI build in ${dir}; run \`pnpm --filter @switchboard/admin-ui build\` (pnpm start does)`);
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/plain')
        .send('Switchboard API is running. The admin UI is not built: pnpm --filter @switchboard/admin-ui build. API docs: /docs\n'),
    );
    return;
  }
  const hashedDir = join(dir, 'assets') + sep;
  await app.register(fastifyStatic, {
    root: dir,
    wildcard: false,
    index: ['index.html'],
    preCompressed: true,
    // Routes exist for the files a browser asks for; the compressed siblings are only picked.
    globIgnore: ['**/*.br', '**/*.gz', ...(app.config.serveSourceMaps ? [] : ['**/*.map'])],
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', path.startsWith(hashedDir) ? HASHED : UNHASHED);
    },
  });
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    // Unknown API paths stay JSON 404s; so do missing build assets (after a rebuild the old file
    // list is stale, and serving index.html as JavaScript would hide that) and hidden source maps.
    if (request.url.startsWith('/api/') || request.url.startsWith('/assets/')) return reply.callNotFound();
    return reply.sendFile('index.html');
  });
};
