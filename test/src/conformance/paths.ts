import { fileURLToPath } from 'node:url';

/** The repository root: this file is test/src/conformance/paths.ts. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The specification copy in shared/, beside the repository. */
export const defaultSpecDir = fileURLToPath(
  new URL('../shared/conformance/unleash-client-specification/specifications', new URL('../../../', import.meta.url)),
);
