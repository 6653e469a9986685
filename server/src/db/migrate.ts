import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { packagePaths } from '../package-paths.ts';
import type { DatabaseHandle } from './client.ts';

const migrationsFolder = packagePaths.migrations;

/** Applies the committed SQL migrations. Explicit: nothing migrates at import time. */
export async function runMigrations(handle: DatabaseHandle): Promise<void> {
  await handle.withExclusiveLock(async (db) => {
    if (handle.kind === 'postgres') {
      await migratePg(db as Parameters<typeof migratePg>[0], { migrationsFolder });
    } else {
      await migratePglite(db as Parameters<typeof migratePglite>[0], { migrationsFolder });
    }
  });
}
