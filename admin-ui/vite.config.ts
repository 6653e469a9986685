import { constants } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';

// The server serves `dist/` at `/` (with a fallback to index.html for the app's own paths), so the
// build uses absolute asset URLs. `pnpm dev` proxies the API to a server on the default port.
// Every text asset gets a `.br` and a `.gz` sibling at the highest levels, once at build time, so the
// server only picks a file by Accept-Encoding and never compresses per request. Source maps are
// built for debugging but left uncompressed: the server hides them unless SERVE_SOURCE_MAPS is set.
// The code is written against React's API and types, and runs on Preact (preact/compat): React DOM
// alone was ~57 KB gzipped of the first screen's ~83 KB, Preact with compat ~5 KB, which puts the
// first screen (shell, router, login and the flags list) under half of the original 100 KB script.
// Measured as Chromium loads it and held there by test/src/admin-ui/first-screen-size.test.ts.
// Only exact specifiers are aliased: `react`, `react-dom`, their `client` and JSX runtimes.
const preact = [
  { find: /^react$/, replacement: 'preact/compat' },
  { find: /^react-dom$/, replacement: 'preact/compat' },
  { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
  { find: /^react\/jsx-runtime$/, replacement: 'preact/jsx-runtime' },
  { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/jsx-dev-runtime' },
];

export default defineConfig({
  base: '/',
  resolve: { alias: preact },
  plugins: [
    react(),
    compression({
      algorithms: [
        defineAlgorithm('brotliCompress', { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } }),
        defineAlgorithm('gzip', { level: 9 }),
      ],
      exclude: [/\.map$/],
      logLevel: 'silent',
    }),
  ],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:4242', changeOrigin: false } },
  },
});
