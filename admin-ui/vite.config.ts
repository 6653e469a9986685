import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server serves `dist/` at `/` (with a fallback to index.html for the app's own paths), so the
// build uses absolute asset URLs. `pnpm dev` proxies the API to a server on the default port.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    proxy: { '/api': { target: 'http://127.0.0.1:4242', changeOrigin: false } },
  },
});
