import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'tsdown';

const packageDir = fileURLToPath(new URL('.', import.meta.url));
const adminUiBuild = fileURLToPath(new URL('../admin-ui/dist', import.meta.url));

/**
 * The server (`switchboard-server`) and the `switchboard` CLI as plain JavaScript for Node, so the
 * package runs without tsx. `@switchboard/core` is bundled in (the packed server needs no other
 * workspace package); everything in `dependencies` stays external and is installed with the package
 * (PGlite, the argon2 native module, Fastify, pg, ioredis, ...). Entries and chunks are written flat
 * into `dist/`, which `src/package-paths.ts` relies on to find `drizzle/` and `dist/admin-ui/` from
 * inside the bundle. The admin UI's build (with its precompressed files) is copied in, so the package
 * serves it. Exported so the CLI test can build the CLI the same way into a folder of its own.
 */
export const serverBuild = {
  cwd: packageDir,
  entry: { main: 'src/main.ts', cli: 'src/cli/main.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  outDir: 'dist',
  clean: true,
  dts: false,
  deps: { alwaysBundle: ['@switchboard/core'] },
  hooks: {
    'build:prepare': () => {
      if (!existsSync(`${adminUiBuild}/index.html`))
        throw new Error('The admin UI is not built: run `pnpm --filter @switchboard/admin-ui build` first (`pnpm start` does).');
    },
  },
  copy: (config) => [{ from: adminUiBuild, to: config.outDir, rename: 'admin-ui' }],
} satisfies UserConfig;

export default defineConfig(serverBuild);
