import { fileURLToPath } from 'node:url';

/**
 * The server package's own files, wherever the package is: run from its sources (`src/*.ts` through
 * tsx, in this repository) or from its build (`dist/*.mjs`, in an installed package). This module
 * sits one folder below the package root either way (the build writes its entries and chunks flat
 * into `dist/`), so nothing here depends on the working directory.
 */
const root = new URL('../', import.meta.url);
const fromSources = import.meta.url.endsWith('.ts');

export const packagePaths = {
  /** The committed SQL migrations, shipped in the package. */
  migrations: fileURLToPath(new URL('drizzle', root)),
  /**
   * The built admin UI: the build copies it into `dist/admin-ui`; from sources, the workspace's own
   * admin-ui build, so `pnpm --filter @switchboard/admin-ui build` is all a developer reruns.
   */
  adminUi: fileURLToPath(fromSources ? new URL('../admin-ui/dist', root) : new URL('dist/admin-ui', root)),
};
