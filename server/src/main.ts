#!/usr/bin/env node
import type { FastifyInstance } from 'fastify';
import { createServer } from './app.ts';
import { bootstrap } from './bootstrap.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openDatabase } from './db/client.ts';
import { runMigrations } from './db/migrate.ts';
import { databaseTarget, describeDatabaseFailure, isDatabaseError, waitForDatabase } from './db/wait-for-database.ts';

// `pnpm start`: configure, migrate (the explicit step, run here too), bootstrap, listen.
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}

const database = await openDatabase(config);
let app: FastifyInstance;
try {
  if (config.databaseUrl) {
    await waitForDatabase(database, config.database.connectRetryMs, () =>
      console.error(
        `Waiting up to ${config.database.connectRetryMs} ms (DATABASE_CONNECT_RETRY_MS) for the database at ${databaseTarget(config.databaseUrl ?? '')}`,
      ),
    );
  }
  await runMigrations(database);
  app = await createServer({ config, database });
  // Replicas starting together take turns, so only one creates the first environments and admin.
  await database.withExclusiveLock(() => bootstrap(app));
  await app.listen({ port: config.port, host: config.host });
} catch (err) {
  // A database that cannot be reached is an operations problem, not a bug: one line, no stack.
  if (!config.databaseUrl || !isDatabaseError(err)) throw err;
  console.error(`Switchboard cannot start: ${describeDatabaseFailure(err, config.databaseUrl, config.database)}`);
  // Connections to a silent database would hold the process open: leave without closing them.
  process.exit(1);
}
app.log.info(
  `Switchboard on http://${config.host}:${config.port} (database: ${database.kind}${config.databaseUrl ? '' : ` in ${config.dataDir}`}, bus: ${app.bus.kind}); API docs at /docs`,
);

let closing = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    app.log.info(`${signal}: closing`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    // The database closes after the app, whose plugins may still write on their way out.
    app.close().then(
      () => database.close().then(() => process.exit(0)),
      (err) => {
        app.log.error({ err }, 'error while closing');
        process.exit(1);
      },
    );
  });
}
