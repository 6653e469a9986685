import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'tsdown';

const onDemandForScriptTag = fileURLToPath(new URL('src/script-tag/on-demand.ts', import.meta.url));

/** The ES modules bundlers import: dependencies stay imports, so `@switchboard/core` is shared with the app. */
const modules: UserConfig = {
  checks: { pluginTimings: false },
  entry: {
    index: 'src/index.ts',
    react: 'src/react/index.ts',
    openfeature: 'src/openfeature/index.ts',
    regex: 'src/regex.ts',
    server: 'src/server/index.ts',
    testing: 'src/testing.ts',
    'react-testing': 'src/react/testing.ts',
  },
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  fixedExtension: false,
  dts: true,
  sourcemap: true,
};

/**
 * `dist/script/switchboard.global.js`, for a `<script>` tag: everything `.` needs in one classic
 * script setting `window.Switchboard`. What it loads on demand is in `scriptTagOnDemand`.
 */
export const scriptTag: UserConfig = {
  checks: { pluginTimings: false },
  entry: { 'switchboard.global': 'src/script-tag/global.ts' },
  format: 'iife',
  globalName: 'Switchboard',
  platform: 'browser',
  target: 'es2022',
  outDir: 'dist/script',
  deps: { alwaysBundle: [/./], onlyBundle: false },
  minify: true,
  sourcemap: true,
  dts: false,
  outputOptions: { entryFileNames: '[name].js' },
  plugins: [
    {
      name: 'script-tag-on-demand',
      // The plug-ins, delivery (with the wire checks), server evaluation and usage reports are files beside the script, not inlined (an IIFE cannot split).
      resolveId: (source: string) => (source === './on-demand.ts' ? onDemandForScriptTag : null),
    },
  ],
};

/** The ES modules `switchboard.global.js` imports by URL, each with what it needs of core and re2js. */
export const scriptTagOnDemand: UserConfig = {
  checks: { pluginTimings: false },
  entry: {
    'switchboard.regex': 'src/regex.ts',
    'switchboard.semver': 'src/script-tag/semver.ts',
    'switchboard.cidr': 'src/script-tag/cidr.ts',
    'switchboard.remote': 'src/remote.ts',
    'switchboard.usage-report': 'src/usage-report.ts',
    'switchboard.polling': 'src/polling.ts',
    'switchboard.delivery': 'src/delivery.ts',
  },
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outDir: 'dist/script',
  deps: { alwaysBundle: [/./], onlyBundle: ['re2js'] },
  minify: true,
  sourcemap: true,
  dts: false,
  outputOptions: { entryFileNames: '[name].js' },
};

export default defineConfig([{ ...modules, clean: true }, scriptTag, scriptTagOnDemand]);
