import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_LAUNCH } from '../support/chromium.ts';

/** esbuild is a dependency of sdk-browser, not of this package: borrow that one. */
interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<unknown>;
}
const loadEsbuild = async (): Promise<EsbuildApi> =>
  import(pathToFileURL(createRequire(new URL('../../../sdk-browser/package.json', import.meta.url)).resolve('esbuild')).href);

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json' };
const PAGE =
  '<!doctype html><meta charset="utf-8"><p id="flag">-</p><p id="guest">-</p><p id="beta">-</p><p id="guestBeta">-</p>' +
  '<p id="status">-</p><script type="module" src="/app.js"></script>';

/** What the page reads from /config.json. */
export interface PageConfig {
  url: string;
  clientKey: string;
  /** The flag shown in #flag and #guest; default `new-checkout`. */
  flag?: string;
}

export interface PageSite {
  url: string;
  /** Every request the page made to its own origin. */
  requests: string[];
  close(): Promise<void>;
}

/** page/app.ts bundled as an application would (code splitting on: the SDK's on-demand chunks are files). */
export async function bundlePage(): Promise<{ dir: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-browser-bundle-'));
  const { build } = await loadEsbuild();
  await build({
    entryPoints: { app: fileURLToPath(new URL('./page/app.ts', import.meta.url)) },
    bundle: true,
    format: 'esm',
    splitting: true,
    outdir: dir,
    target: 'chrome120',
    logLevel: 'silent',
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The page and the bundle, from their own origin (the API is on another: CORS is part of the test). */
export async function startPageSite(dir: string, config: PageConfig): Promise<PageSite> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(req.url ?? '');
    if (path === '/') return res.writeHead(200, { 'content-type': TYPES['.html'] }).end(PAGE);
    if (path === '/config.json') return res.writeHead(200, { 'content-type': TYPES['.json'] }).end(JSON.stringify(config));
    const file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Chromium with a profile of its own (localStorage survives reloads), its console and page errors kept. */
export async function launchPage(): Promise<{ context: BrowserContext; page: Page; console: string[]; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'sb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { ...CHROMIUM_LAUNCH });
  const page = context.pages()[0] ?? (await context.newPage());
  const lines: string[] = [];
  page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
  return {
    context,
    page,
    console: lines,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the element's text is `text` (or passes `test`). */
export async function waitForText(page: Page, id: string, text: string | RegExp, timeout = 5000): Promise<void> {
  await page.waitForFunction(
    ([i, t, isRegex]) => {
      const content = document.getElementById(i as string)?.textContent ?? '';
      return isRegex ? new RegExp(t as string).test(content) : content === t;
    },
    [id, typeof text === 'string' ? text : text.source, typeof text !== 'string'] as const,
    { timeout },
  );
}
