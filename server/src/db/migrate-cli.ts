import { loadConfig } from '../config.ts';
import { openDatabase } from './client.ts';
import { runMigrations } from './migrate.ts';
import { describeDatabaseFailure, isDatabaseError, waitForDatabase } from './wait-for-database.ts';

// `pnpm --filter @switchboard/server migrate`: the explicit migrate step.
const config = loadConfig();
const handle = await openDatabase(config);
try {
  if (config.databaseUrl) await waitForDatabase(handle, config.database.connectRetryMs);
  await runMigrations(handle);
  console.log(`migrations applied (${handle.kind})`);
  await handle.close();
} catch (err) {
  if (!config.databaseUrl || !isDatabaseError(err)) throw err;
  console.error(`Migrations not applied: ${describeDatabaseFailure(err, config.databaseUrl, config.database)}`);
  process.exit(1);
}
