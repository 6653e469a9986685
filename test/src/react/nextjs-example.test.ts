import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM, CHROMIUM_LAUNCH } from '../support/chromium.ts';
import { type ReactSeed, seedReact } from './seed-react.ts';

/**
 * The Next.js App Router example (examples/nextjs), built with `next build` and served with
 * `next start` against a real server: the HTML a request gets is rendered on the server from
 * `getBrowserBootstrap`, and the page hydrates and follows changes live in Chromium. Building takes
 * about 40 s on this 2-core machine (measured), so the example is built rather than only rendered.
 */
const EXAMPLE = fileURLToPath(new URL('../../../examples/nextjs/', import.meta.url));
const NEXT = `${EXAMPLE}node_modules/next/dist/bin/next`;
const DIST = '.next';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

function runNext(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, [NEXT, ...args], {
    cwd: EXAMPLE,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => output, exited };
}

const skip = !DATABASE_URL || !existsSync(NEXT);
if (skip)
  console.warn(`\n*** The Next.js example test is SKIPPED: ${!DATABASE_URL ? 'DATABASE_URL is not set' : `${NEXT} is missing`}. ***\n`);

describe.skipIf(skip)('Next.js App Router example against a real server', () => {
  let server: TestServer;
  let s: ReactSeed;
  let app: ReturnType<typeof runNext> | undefined;
  let appUrl = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    rmSync(`${EXAMPLE}${DIST}`, { recursive: true, force: true });
    const build = runNext(['build'], {});
    [server] = await Promise.all([startTestServer({ env: { DELIVERY_CHECK_MS: '500' } }), build.exited]);
    if ((await build.exited) !== 0) throw new Error(`next build failed:\n${build.output()}`);
    s = await seedReact(server);
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    app = runNext(['start', '-p', String(port), '-H', '127.0.0.1'], {
      SWITCHBOARD_URL: server.url,
      SWITCHBOARD_CLIENT_KEY: s.clientKey,
    });
    const until = Date.now() + 30_000;
    while (!app.output().includes('Ready')) {
      if (Date.now() > until || app.child.exitCode !== null) throw new Error(`next start did not come up:\n${app.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (app && app.child.exitCode === null) {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    await server?.close();
    rmSync(`${EXAMPLE}${DIST}`, { recursive: true, force: true });
  });

  const page = async (user?: string) => (await fetch(`${appUrl}/`, { headers: user ? { cookie: `user=${user}` } : {} })).text();

  it('renders flags on the server for the request context, bootstrap in the page, no secret in it', async () => {
    const beta = await page('u-beta');
    expect(beta).toContain('<p id="checkout">new checkout</p>');
    expect(beta).toContain('<p id="banner">b: Hello</p>');
    expect(beta).toContain('<p id="status">ready</p>');
    const other = await page('someone-else');
    expect(other).toContain('<p id="checkout">old checkout</p>');
    // The browser gets the client view only: no server-only flag, anywhere in the page.
    expect(other).not.toContain('server-only');
    // `new-checkout` targets userId (sensitive by default): its rule's values stay on the server, the
    // page carries only the server's answer for this user.
    expect(other).not.toContain('u-beta');
    await s.toggle('new-checkout', false);
    expect(await page('u-beta')).toContain('<p id="checkout">old checkout</p>');
    await s.toggle('new-checkout', true);
  });

  it.skipIf(!existsSync(CHROMIUM))('hydrates without a mismatch and follows a change live in Chromium', async () => {
    browser = await chromium.launch(CHROMIUM_LAUNCH);
    const context = await browser.newContext();
    await context.addCookies([{ name: 'user', value: 'u-beta', url: appUrl }]);
    const tab = await context.newPage();
    const problems: string[] = [];
    // Resource failures are judged by URL below (the example has no favicon); anything else logged as an error counts.
    tab.on('console', (m) => {
      if ((m.type() === 'error' && !m.text().startsWith('Failed to load resource')) || /hydrat/i.test(m.text())) problems.push(m.text());
    });
    tab.on('pageerror', (e) => problems.push(e.message));
    tab.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
    });
    // The client is made after hydration and opens the stream, from the page's origin to the server's.
    const streaming = tab.waitForResponse((r) => r.url().startsWith(`${server.url}/api/client/stream`), { timeout: 10_000 });
    await tab.goto(`${appUrl}/`);
    expect(await tab.textContent('#checkout')).toBe('new checkout');
    expect((await streaming).status()).toBe(200);
    const started = Date.now();
    await s.toggle('new-checkout', false);
    await tab.waitForFunction(() => document.querySelector('#checkout')?.textContent === 'old checkout', undefined, { timeout: 5000 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(problems).toEqual([]);
  });
});
