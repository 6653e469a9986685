import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { ADMIN, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM_LAUNCH } from '../support/chromium.ts';

/** What the admin UI's Chromium suites (and bench:admin-list) share: the build, screenshots, seeding, log-in and axe-core. */

export const ADMIN_UI = fileURLToPath(new URL('../../../admin-ui/', import.meta.url));
export const SHOTS = fileURLToPath(new URL('../../output/screenshots/', import.meta.url));

/**
 * The UI built with the package's own Vite into `outDir`, a folder of the caller's (not
 * admin-ui/dist, which others may be serving). A dozen suites need the same build, so it is made
 * once per content of admin-ui (sources, config, lockfile) into a cache folder of the machine's
 * temporary directory, with a lock so that parallel workers wait for one build, then copied.
 */
export function buildAdminUi(outDir: string): void {
  const cached = cachedBuild();
  rmSync(outDir, { recursive: true, force: true });
  cpSync(cached, outDir, { recursive: true });
}

function cachedBuild(): string {
  const root = join(tmpdir(), 'sb-admin-ui-builds');
  const dir = join(root, buildKey());
  const done = join(dir, '.complete');
  if (existsSync(done)) return dir;
  mkdirSync(root, { recursive: true });
  const lock = `${dir}.lock`;
  for (const until = Date.now() + 300_000; ; ) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(done)) return dir;
      // A lock older than a build can take is left by a killed run.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 240_000)
        rmSync(lock, { recursive: true, force: true });
      if (Date.now() > until) throw new Error(`no admin UI build in ${dir} after 5 minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (existsSync(done)) return dir;
    const vite = join(ADMIN_UI, 'node_modules/vite/bin/vite.js');
    execFileSync(process.execPath, [vite, 'build', '--outDir', dir, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: ADMIN_UI,
      // Vitest sets NODE_ENV=test, which would give a development build.
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    writeFileSync(done, '');
    return dir;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A hash of everything the build reads of ours: admin-ui without node_modules and dist, and the lockfile. */
function buildKey(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) hash.update(path).update(readFileSync(path));
    }
  };
  walk(ADMIN_UI);
  hash.update(readFileSync(join(ADMIN_UI, '../pnpm-lock.yaml')));
  return hash.digest('hex').slice(0, 16);
}

export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  // From the top, so the sticky bar is not painted mid-page in the full-page image.
  if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

export async function logIn(page: Page, url: string, who: { email: string; password: string } = ADMIN): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor();
}

export interface UiSuiteOptions {
  /** Names the suite's temporary build folder. */
  name: string;
  /** The server's environment on top of ADMIN_UI_DIR. */
  env?: Record<string, string>;
}

export interface UiPageOptions extends BrowserContextOptions {
  /** The context's default timeout for actions and waits; 10 s unless said. */
  timeout?: number;
  /** Who logs in through the login page; `false` leaves the page logged out, for the suite to log in itself. */
  as?: { email: string; password: string } | false;
}

export interface UiSuite {
  server: TestServer;
  browser: Browser;
  /** The admin's session cookie, for the admin API. */
  cookie: string;
  /** Uncaught errors of every page `newPage` opened. */
  pageErrors: string[];
  /** The admin API as the admin; throws on any status from 300. */
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any>;
  /** A page in a context of its own (closed with the suite), logged in as the admin unless `as` says otherwise. */
  newPage(options?: UiPageOptions): Promise<Page>;
  /** Something to end before the browser and server close (an SDK client, so its last report reaches the server). */
  onClose(end: () => Promise<unknown> | unknown): void;
  /** Ends it all; tries every part even when one fails or never started. */
  close(): Promise<void>;
}

/**
 * What each Chromium suite of the admin UI starts: the UI built into a folder of its own, a server
 * serving it, Chromium, the admin's cookie. When a part fails to start, what did start is closed
 * before the error is thrown, so a suite's `afterAll(() => ui?.close())` has nothing left to leak.
 */
export async function startUiSuite(options: UiSuiteOptions): Promise<UiSuite> {
  mkdirSync(SHOTS, { recursive: true });
  const dist = mkdtempSync(join(tmpdir(), `sb-admin-ui-${options.name}-`));
  const contexts: BrowserContext[] = [];
  const ends: Array<() => Promise<unknown> | unknown> = [];
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let closed: Promise<void> | undefined;

  const close = () => {
    closed ??= (async () => {
      const failures: unknown[] = [];
      const settle = async (parts: Array<() => Promise<unknown> | unknown>) => {
        for (const r of await Promise.allSettled(parts.map(async (part) => part()))) if (r.status === 'rejected') failures.push(r.reason);
      };
      // In order: SDKs still report to the server, pages still talk to it, and the browser owns the contexts.
      await settle(ends);
      await settle(contexts.map((c) => () => c.close()));
      await settle([() => browser?.close()]);
      await settle([() => server?.close()]);
      rmSync(dist, { recursive: true, force: true });
      if (failures.length > 0) throw new AggregateError(failures, `closing the ${options.name} UI suite`);
    })();
    return closed;
  };

  try {
    buildAdminUi(dist);
    const [started, launched] = await Promise.allSettled([
      startTestServer({ env: { ADMIN_UI_DIR: dist, ...options.env } }),
      chromium.launch(CHROMIUM_LAUNCH),
    ]);
    if (started.status === 'fulfilled') server = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    const ready = server as TestServer;
    const cookie = await ready.login();
    const pageErrors: string[] = [];
    return {
      server: ready,
      browser: browser as Browser,
      cookie,
      pageErrors,
      async admin(method, path, body, headers) {
        const res = await ready.request(method, `/api/admin${path}`, { cookie, body, headers });
        if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
        return res.body;
      },
      async newPage({ timeout = 10_000, as = ADMIN, ...contextOptions } = {}) {
        const context = await (browser as Browser).newContext(contextOptions);
        contexts.push(context);
        context.setDefaultTimeout(timeout);
        const page = await context.newPage();
        page.on('pageerror', (e) => pageErrors.push(e.message));
        if (as) await logIn(page, ready.url, as);
        return page;
      },
      onClose(end) {
        ends.push(end);
      },
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/** Creates flags through the admin API, a few at a time (the server's real write path). */
export async function seedFlags(
  request: (method: string, path: string, body: unknown) => Promise<{ status: number; text: string }>,
  keys: string[],
  bodyOf: (key: string, i: number) => Record<string, unknown> = () => ({}),
  parallel = 6,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      const key = keys[i] as string;
      const res = await request('POST', '/api/admin/flags', { key, ...bodyOf(key, i) });
      if (res.status !== 201) throw new Error(`creating ${key}: ${res.status} ${res.text}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

const axeSource: string = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/**
 * axe-core on the page as it is now (injected through the debugger, so the UI's strict CSP needs no
 * exception); fails the test on any serious or critical violation, naming each.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  })) as AxeViolation[];
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length > 0) {
    throw new Error(
      `axe-core on ${what}:\n${bad.map((v) => `${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`).join('\n')}`,
    );
  }
}

/** One SDK usage report as `POST /api/sdk/metrics` takes it, at a time of the test's choosing (`stop`). */
export interface UsageReport {
  at: Date;
  flags: Record<string, { yes: number; no: number; variants?: Record<string, number> }>;
}

/**
 * Reports evaluations as an SDK would, with a server key of the environment, each report dated
 * (counts land in the hour of `stop`), then waits until the server's flush has written them: until
 * the admin API counts `expected7d` evaluations of `waitFor` in the last 7 days there.
 */
export async function seedUsage(
  request: (
    method: string,
    path: string,
    options: { token?: string; cookie?: string; body?: unknown },
  ) => Promise<{ status: number; text: string; body: any }>,
  o: { cookie: string; serverKey: string; environment: string; reports: UsageReport[]; waitFor: string; expected7d: number },
): Promise<void> {
  for (const r of o.reports) {
    const res = await request('POST', '/api/sdk/metrics', { token: o.serverKey, body: { stop: r.at.toISOString(), flags: r.flags } });
    if (res.status !== 202) throw new Error(`usage report: ${res.status} ${res.text}`);
  }
  const path = `/api/admin/flags/${encodeURIComponent(o.waitFor)}/usage?environment=${encodeURIComponent(o.environment)}`;
  for (let i = 0; i < 100; i++) {
    const res = await request('GET', path, { cookie: o.cookie });
    if (res.body?.last7d?.total === o.expected7d) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`usage of ${o.waitFor} in ${o.environment} never reached ${o.expected7d}`);
}
