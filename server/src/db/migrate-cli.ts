import { loadConfig } from '../config.ts';
import { openDatabase } from './client.ts';
import { runMigrations } from './migrate.ts';

// `pnpm --filter @switchboard/server migrate`: the explicit migrate step.
const config = loadConfig();
const handle = await openDatabase(config);
try {
  await runMigrations(handle);
  console.log(`migrations applied (${handle.kind})`);
} finally {
  await handle.close();
}
