import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * The admin UI as browsers and caches get it: a real Vite build of the UI (with the compressed
 * files its build writes), served by a real server on embedded PGlite, read over raw HTTP so that
 * no client decompresses anything for us.
 */

const ADMIN_UI = fileURLToPath(new URL('../../admin-ui/', import.meta.url));
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** The body as the browser would read it after undoing the content encoding. */
function decoded(res: RawResponse): Buffer {
  if (res.headers['content-encoding'] === 'br') return brotliDecompressSync(res.body);
  if (res.headers['content-encoding'] === 'gzip') return gunzipSync(res.body);
  return res.body;
}

describe('admin UI static files', () => {
  const dist = mkdtempSync(join(tmpdir(), 'sb-admin-ui-static-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-admin-ui-static-db-'));
  let server: TestServer;
  let script = '';
  let scriptMap = '';

  beforeAll(async () => {
    // The UI's own build, into a folder of this run (admin-ui/dist may be in use by other runs).
    const vite = join(ADMIN_UI, 'node_modules/vite/bin/vite.js');
    execFileSync(process.execPath, [vite, 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: ADMIN_UI,
      // Vitest sets NODE_ENV=test, which would give a development build of React.
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const assets = readdirSync(join(dist, 'assets'));
    // The largest script: small chunks compress less, and the ratio below is about real payloads.
    script =
      assets
        .filter((f) => f.endsWith('.js'))
        .sort((a, b) => statSync(join(dist, 'assets', b)).size - statSync(join(dist, 'assets', a)).size)[0] ?? '';
    scriptMap = assets.find((f) => f === `${script}.map`) ?? '';
    server = await startTestServer({ database: 'pglite', dataDir, env: { ADMIN_UI_DIR: dist } });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dist, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('builds brotli and gzip files beside each text asset, and a source map', () => {
    const assets = readdirSync(join(dist, 'assets'));
    expect(script).not.toBe('');
    expect(scriptMap).not.toBe('');
    for (const file of assets.filter((f) => /\.(js|css)$/.test(f))) {
      const original = readFileSync(join(dist, 'assets', file));
      expect(brotliDecompressSync(readFileSync(join(dist, 'assets', `${file}.br`)))).toEqual(original);
      expect(gunzipSync(readFileSync(join(dist, 'assets', `${file}.gz`)))).toEqual(original);
    }
    expect(assets.filter((f) => f.endsWith('.map.br') || f.endsWith('.map.gz'))).toEqual([]);
  });

  it('sends the brotli file to a client that accepts br, cached for a year as immutable', async () => {
    const original = readFileSync(join(dist, 'assets', script));
    const res = await rawGet(`${server.url}/assets/${script}`, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(res.headers['cache-control']).toBe(IMMUTABLE);
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.body.length).toBeLessThan(original.length / 2);
    expect(decoded(res)).toEqual(original);
  });

  it('sends gzip to a client without br, and the plain file to one that accepts no encoding', async () => {
    const original = readFileSync(join(dist, 'assets', script));
    const gz = await rawGet(`${server.url}/assets/${script}`, { 'accept-encoding': 'gzip, deflate' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['cache-control']).toBe(IMMUTABLE);
    expect(decoded(gz)).toEqual(original);
    // A lower weight for br lets gzip win.
    const weighted = await rawGet(`${server.url}/assets/${script}`, { 'accept-encoding': 'br;q=0.5, gzip' });
    expect(weighted.headers['content-encoding']).toBe('gzip');

    const plain = await rawGet(`${server.url}/assets/${script}`);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    expect(plain.headers['cache-control']).toBe(IMMUTABLE);
    expect(plain.body).toEqual(original);
  });

  it('serves index.html at / and for the app routes with no-cache, compressed when accepted', async () => {
    const index = readFileSync(join(dist, 'index.html'));
    for (const path of ['/', '/index.html', '/flags/new-checkout']) {
      const res = await rawGet(`${server.url}${path}`, { 'accept-encoding': 'br' });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(res.headers['content-encoding']).toBe('br');
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers.vary).toMatch(/accept-encoding/i);
      expect(decoded(res)).toEqual(index);
    }
    const plain = await rawGet(`${server.url}/flags/new-checkout`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['cache-control']).toBe('no-cache');
    expect(plain.body).toEqual(index);
  });

  it('revalidates index.html with its ETag: 304 for the same encoding', async () => {
    const first = await rawGet(`${server.url}/`, { 'accept-encoding': 'br' });
    const etag = String(first.headers.etag);
    expect(etag).not.toBe('undefined');
    const again = await rawGet(`${server.url}/`, { 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.status).toBe(304);
    // The plain file is another representation, with another tag.
    const plain = await rawGet(`${server.url}/`);
    expect(plain.headers.etag).not.toBe(etag);
  });

  it('hides source maps and the compressed files as addresses of their own; a missing asset is a JSON 404', async () => {
    for (const path of [`/assets/${scriptMap}`, `/assets/${script}.br`, `/assets/${script}.gz`, '/assets/index-gone.js']) {
      const res = await rawGet(`${server.url}${path}`, { 'accept-encoding': 'br' });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.headers['cache-control']).toBeUndefined();
      expect(JSON.parse(res.body.toString()).error.code).toBe('NOT_FOUND');
    }
  });

  it('serves source maps when SERVE_SOURCE_MAPS is true', async () => {
    const withMaps = await startTestServer({ database: 'pglite', dataDir, env: { ADMIN_UI_DIR: dist, SERVE_SOURCE_MAPS: 'true' } });
    try {
      const res = await rawGet(`${withMaps.url}/assets/${scriptMap}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(readFileSync(join(dist, 'assets', scriptMap)));
      expect(res.headers['cache-control']).toBe(IMMUTABLE);
    } finally {
      await withMaps.close();
    }
  });

  it('checks SERVE_SOURCE_MAPS at start', () => {
    expect(loadConfig({}).serveSourceMaps).toBe(false);
    expect(loadConfig({ SERVE_SOURCE_MAPS: 'true' }).serveSourceMaps).toBe(true);
    expect(() => loadConfig({ SERVE_SOURCE_MAPS: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadConfig({ SERVE_SOURCE_MAPS: 'sometimes' })).toThrow(/SERVE_SOURCE_MAPS must be true or false/);
  });
});
