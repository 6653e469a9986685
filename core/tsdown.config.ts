import { defineConfig } from 'tsdown';

/** The published build (`pnpm build`): ESM and CommonJS with declarations for each, one file per subpath. */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    operators: 'src/operators.ts',
    regex: 'src/regex.ts',
    semver: 'src/semver.ts',
    cidr: 'src/cidr.ts',
    validation: 'src/validation.ts',
    'wire-validation': 'src/wire-validation.ts',
    unleash: 'src/unleash/index.ts',
    browser: 'src/browser.ts',
    'protocol-rules': 'src/protocol-rules.ts',
    ofrep: 'src/ofrep.ts',
    stats: 'src/stats.ts',
  },
  format: ['esm', 'cjs'],
  platform: 'neutral',
  target: 'es2022',
  fixedExtension: false,
  dts: true,
  checks: { pluginTimings: false, legacyCjs: false },
  sourcemap: true,
  clean: true,
});
