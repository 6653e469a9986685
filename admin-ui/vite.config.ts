import { constants } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';

// The server serves `dist/` at `/` (with a fallback to index.html for the app's own paths), so the
// build uses absolute asset URLs. `pnpm dev` proxies the API to a server on the default port.
// Every text asset gets a `.br` and a `.gz` sibling at the highest levels, once at build time, so the
// server only picks a file by Accept-Encoding and never compresses per request. Source maps are
// built for debugging but left uncompressed: the server hides them unless SERVE_SOURCE_MAPS is set.
export default defineConfig({
  base: '/',
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
