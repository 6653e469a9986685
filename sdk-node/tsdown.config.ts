import { defineConfig } from 'tsdown';

/** The published build (`pnpm build`): ESM and CommonJS with declarations for each; dependencies stay imports. */
export default defineConfig({
  entry: { index: 'src/index.ts', openfeature: 'src/openfeature/index.ts', testing: 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  platform: 'node',
  target: 'node20.19',
  fixedExtension: false,
  dts: true,
  checks: { pluginTimings: false, legacyCjs: false },
  sourcemap: true,
  clean: true,
});
