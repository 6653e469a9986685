import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type pg from 'pg';
import { DATABASE_DEFAULTS, type DatabaseTimeouts } from '../config.ts';
import { prepareDataDir } from './data-dir.ts';
import { createGuardedPool } from './guarded-client.ts';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
/** Either driver; transactions are databases too, so stores take this for both. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Runs `fn` holding a database-wide lock (e.g. migrations from several replicas at once). */
  withExclusiveLock<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATION_LOCK = 724_242;
/** How often a replica waiting for another's migration asks for the lock again. */
const LOCK_POLL_MS = 200;

/**
 * Pool options that bound every wait on the database: opening a connection (and waiting for a free
 * one), each query (client side, for connections gone silent, with the statement timeout a little
 * shorter so Postgres normally cancels first), a session idle inside a transaction (server side,
 * so its locks go), and TCP keepalive for peers that vanished without a word.
 */
export function poolOptions(databaseUrl: string, t: DatabaseTimeouts): pg.PoolConfig {
  return {
    connectionString: databaseUrl,
    max: 10,
    connectionTimeoutMillis: t.connectTimeoutMs,
    query_timeout: t.queryTimeoutMs,
    statement_timeout: t.statementTimeoutMs,
    idle_in_transaction_session_timeout: t.idleInTransactionTimeoutMs,
    keepAlive: t.keepAliveMs > 0,
    keepAliveInitialDelayMillis: t.keepAliveMs,
  };
}

export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  database?: DatabaseTimeouts;
}): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = createGuardedPool(poolOptions(options.databaseUrl, options.database ?? DATABASE_DEFAULTS));
    // An idle client that loses its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    const db = drizzlePg(pool, { schema }) as unknown as Database;
    return {
      db,
      kind: 'postgres',
      async withExclusiveLock(fn) {
        const client = await pool.connect();
        try {
          // Polled rather than awaited in one statement, which the statement timeout would cut off
          // while another replica migrates.
          for (;;) {
            const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [MIGRATION_LOCK]);
            if (rows[0]?.locked) break;
            await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
          }
          return await fn(drizzlePg(client, { schema }) as unknown as Database);
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
          client.release();
        }
      },
      async ping() {
        await pool.query('select 1');
      },
      close: () => pool.end(),
    };
  }
  prepareDataDir(options.dataDir);
  const client = await PGlite.create(options.dataDir);
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    // PGlite is one connection in one process: there is nobody to lock out.
    withExclusiveLock: (fn) => fn(db),
    async ping() {
      await client.query('select 1');
    },
    close: () => client.close(),
  };
}
