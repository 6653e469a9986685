import { fileURLToPath } from 'node:url';

/** The repository root: this file is test/src/conformance/paths.ts. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The specification copy in shared/, beside the repository. */
export const defaultSpecDir = fileURLToPath(
  new URL('../shared/conformance/unleash-client-specification/specifications', new URL('../../../', import.meta.url)),
);

/** The same specification as published on npm (6.1.0), with every upstream row. */
export const upstreamSpecDir = fileURLToPath(new URL('../../node_modules/@unleash/client-specification/specifications', import.meta.url));
