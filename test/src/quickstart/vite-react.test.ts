import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM, CHROMIUM_LAUNCH } from '../support/chromium.ts';

const example = fileURLToPath(new URL('../../../examples/vite-react/', import.meta.url));
const skip = !DATABASE_URL || !existsSync(CHROMIUM);
if (skip) {
  console.warn(
    `\n*** The Vite React quickstart test is SKIPPED: ${!DATABASE_URL ? 'DATABASE_URL is not set' : `${CHROMIUM} is missing`}. ***\n`,
  );
}

/** Vite is the example's own dependency: load that one, as `vite build` in its folder would. */
interface ViteApi {
  build(config: Record<string, unknown>): Promise<unknown>;
}
const loadVite = async (): Promise<ViteApi> => import(pathToFileURL(createRequire(join(example, 'package.json')).resolve('vite')).href);

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** The built app from its own origin, as a static host serves it (the API is on another origin). */
async function serveStatic(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir) || !existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * The Vite React quickstart as a reader runs it: `vite build` of `examples/vite-react` with the
 * server and client key in `VITE_*` variables, the built files served, the page in Chromium, a
 * flag toggled on a real server.
 */
describe.skipIf(skip)('Vite React quickstart (examples/vite-react)', () => {
  let server: TestServer;
  let cookie: string;
  let site: { url: string; server: Server };
  let browser: Browser;
  let page: Page;
  const out = mkdtempSync(join(tmpdir(), 'sb-vite-react-'));
  const pageErrors: string[] = [];
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { cookie, body, headers });

  beforeAll(async () => {
    server = await startTestServer({ env: { DELIVERY_CHECK_MS: '500' } });
    cookie = await server.login();
    // Browsers see only client-visible flags.
    await admin('POST', '/flags', { key: 'new-checkout', name: 'New checkout', clientVisible: true });
    const key = (await admin('POST', '/keys', { name: 'web', environment: 'production', kind: 'client' })).body.secret;
    // What a `.env` file or the CI's environment gives `vite build`.
    process.env.VITE_SWITCHBOARD_URL = server.url;
    process.env.VITE_SWITCHBOARD_CLIENT_KEY = key;
    try {
      const { build } = await loadVite();
      await build({ root: example, mode: 'production', logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
    } finally {
      delete process.env.VITE_SWITCHBOARD_URL;
      delete process.env.VITE_SWITCHBOARD_CLIENT_KEY;
    }
    site = await serveStatic(out);
    browser = await chromium.launch(CHROMIUM_LAUNCH);
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Failed requests by URL (the console names no URL); the favicon no example ships is not one.
    page.on('response', (res) => {
      if (res.status() >= 400 && !res.url().endsWith('/favicon.ico')) pageErrors.push(`${res.status()} ${res.url()}`);
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => site?.server.close(r));
    await server?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('builds with Vite, renders the flag in Chromium and re-renders when it changes', async () => {
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
    await page.goto(site.url);
    await page.waitForFunction(() => document.querySelector('#checkout')?.textContent === 'Classic checkout', null, { timeout: 10_000 });

    expect((await admin('PATCH', '/flags/new-checkout/environments/production', { enabled: true }, { 'if-match': '"1"' })).status).toBe(
      200,
    );
    await page.waitForFunction(() => document.querySelector('#checkout')?.textContent === 'New checkout', null, { timeout: 10_000 });

    // The page's context (plan: pro) meets a rule of the flag in the page itself.
    const rule = { conditions: [{ attribute: 'plan', operator: 'IN', values: ['enterprise'] }] };
    expect((await admin('PATCH', '/flags/new-checkout/environments/production', { rules: [rule] }, { 'if-match': '"2"' })).status).toBe(
      200,
    );
    await page.waitForFunction(() => document.querySelector('#checkout')?.textContent === 'Classic checkout', null, { timeout: 10_000 });
    expect(pageErrors).toEqual([]);
  });
});
