import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { ADMIN } from '../../../server/test/helpers/test-server.ts';

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

export async function logIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor();
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
