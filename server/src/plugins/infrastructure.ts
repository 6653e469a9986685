import fp from 'fastify-plugin';
import { type Bus, createMemoryBus, createRedisBus } from '../bus/bus.ts';
import type { Config } from '../config.ts';
import type { Database, DatabaseHandle } from '../db/client.ts';
import { Readiness } from '../features/health/readiness.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Database;
    database: DatabaseHandle;
    bus: Bus;
    /** What `/readyz` asks besides the database; features add their conditions. */
    readiness: Readiness;
  }
}

export interface InfrastructureOptions {
  config: Config;
  /** Opened (and migrated) by the caller, who also closes it; the app only borrows it. */
  database: DatabaseHandle;
}

/** Config, database and bus as decorations; the bus is opened here and closed on close. */
export const infrastructurePlugin = fp<InfrastructureOptions>(
  async (app, { config, database }) => {
    app.decorate('config', config);
    app.decorate('database', database);
    app.decorate('db', database.db);
    app.decorate('readiness', new Readiness());
    const bus = config.redisUrl ? createRedisBus(config.redisUrl, (err) => app.log.warn({ err }, 'redis bus error')) : createMemoryBus();
    app.decorate('bus', bus);
    app.addHook('onClose', async () => {
      await bus.close();
    });
  },
  { name: 'infrastructure' },
);
