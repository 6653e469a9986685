import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM, CHROMIUM_LAUNCH } from '../support/chromium.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';
import { EMAILS, HIDDEN, type Seeded, seed, VISIBLE } from './seed.ts';

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
if (skip) {
  console.warn(
    `\n*** The browser SDK tests in Chromium are SKIPPED: ${!DATABASE_URL ? 'DATABASE_URL is not set' : `${CHROMIUM} is missing`}. ***\n`,
  );
}

/** esbuild is a dependency of sdk-browser, not of this package: borrow that one. */
interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<unknown>;
}
const loadEsbuild = async (): Promise<EsbuildApi> =>
  import(pathToFileURL(createRequire(new URL('../../../sdk-browser/package.json', import.meta.url)).resolve('esbuild')).href);

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json' };
const PAGE =
  '<!doctype html><meta charset="utf-8"><p id="flag">-</p><p id="guest">-</p><p id="status">-</p><script type="module" src="/app.js"></script>';

/** The page and the bundle, from their own origin (the API is on another: CORS is part of the test). */
async function startStaticServer(dir: string, config: unknown): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(req.url ?? '');
    if (path === '/') return res.writeHead(200, { 'content-type': TYPES['.html'] }).end(PAGE);
    if (path === '/config.json') return res.writeHead(200, { 'content-type': TYPES['.json'] }).end(JSON.stringify(config));
    const file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

describe.skipIf(skip)('browser SDK in Chromium against a real server', () => {
  let server: TestServer;
  let serverClosed = false;
  let s: Seeded;
  let proxy: RecordingProxy;
  let site: Awaited<ReturnType<typeof startStaticServer>>;
  let context: BrowserContext;
  let page: Page;
  const dirs: string[] = [];
  const consoleLines: string[] = [];
  const flagText = () => page.textContent('#flag');

  beforeAll(async () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-browser-bundle-'));
    dirs.push(out);
    const [started] = await Promise.all([
      startTestServer({ env: { DELIVERY_CHECK_MS: '500' } }),
      loadEsbuild().then(({ build }) =>
        build({
          entryPoints: { app: fileURLToPath(new URL('./page/app.ts', import.meta.url)) },
          bundle: true,
          format: 'esm',
          // SEMVER, IN_CIDR and the digest code are chunks of their own, loaded only when needed.
          splitting: true,
          outdir: out,
          target: 'chrome120',
          logLevel: 'silent',
        }),
      ),
    ]);
    server = started;
    s = await seed(server);
    proxy = await startRecordingProxy(server.url);
    site = await startStaticServer(out, { url: proxy.url, clientKey: s.clientKey });
    const profile = mkdtempSync(join(tmpdir(), 'sb-chromium-'));
    dirs.push(profile);
    context = await chromium.launchPersistentContext(profile, {
      ...CHROMIUM_LAUNCH,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await proxy?.close();
    await new Promise((r) => site?.server.close(r));
    if (!serverClosed) await server?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('shows the flag, evaluated on digests of the sensitive email', async () => {
    await page.goto(`${site.url}/#email=${encodeURIComponent(EMAILS[1])}`);
    await page.waitForFunction(() => document.getElementById('flag')?.textContent === 'on', undefined, { timeout: 5000 });
    await page.waitForFunction(() => document.getElementById('guest')?.textContent === 'false', undefined, { timeout: 5000 });
    expect(await page.textContent('#status')).toBe('live ');
    // Two clients, one stream.
    expect(proxy.exchanges.filter((e) => e.url.startsWith('/api/client/stream'))).toHaveLength(1);
  });

  it('updates without a reload within a second of a change through the admin API', async () => {
    const started = Date.now();
    await s.toggle(VISIBLE, false);
    await page.waitForFunction(() => document.getElementById('flag')?.textContent === 'off', undefined, { timeout: 1000 });
    expect(Date.now() - started).toBeLessThan(1000);
    await s.toggle(VISIBLE, true);
    await page.waitForFunction(() => document.getElementById('flag')?.textContent === 'on', undefined, { timeout: 1000 });
  });

  it('shows the cached values after a reload while the server is down', async () => {
    await server.close();
    serverClosed = true;
    await page.reload();
    await page.waitForFunction(() => document.getElementById('flag')?.textContent === 'on', undefined, { timeout: 3000 });
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('stale'), undefined, { timeout: 10_000 });
    expect(await flagText()).toBe('on');
  });

  it('let no sensitive value and no hidden flag key cross the network or reach storage', async () => {
    const traffic = proxy.traffic();
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(stored).toContain(VISIBLE);
    // The capture did see the stream: the snapshot and the patches of the two toggles.
    expect(traffic).toContain('event: snapshot');
    expect(traffic.match(/event: patch/g)?.length).toBeGreaterThanOrEqual(2);
    expect(traffic).toContain(VISIBLE);
    const pageRequests = site.requests.join('\n');
    for (const secret of [...EMAILS, ...HIDDEN, 'executives', encodeURIComponent(EMAILS[1])]) {
      expect(traffic, secret).not.toContain(secret);
      expect(pageRequests, secret).not.toContain(secret);
      expect(stored, secret).not.toContain(secret);
    }
    expect(consoleLines.filter((l) => l.startsWith('pageerror'))).toEqual([]);
  });
});
