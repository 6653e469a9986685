import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_LAUNCH } from '../support/chromium.ts';
import { createDatabase } from '../support/databases.ts';
import { adminClient, type ServerProcess, startServerProcess } from '../support/server-process.ts';
import {
  BUNDLED_ENTRY,
  bundledPage,
  CONSUMER_CTS,
  CONSUMER_TS,
  FLAG,
  NODE_CJS,
  NODE_ESM,
  REGEX_FLAG,
  RESOLUTIONS,
  scriptTagPage,
  tsconfigFor,
} from './app-files.ts';
import { buildSdks, installApp, packSdks, runIn, SDK_PACKAGES, type SdkPackage } from './pack-sdks.ts';

/**
 * The three library packages as an application gets them: built, packed by pnpm, installed by npm
 * from the tarballs into a folder outside the workspace (no workspace links, no tsx), then used for
 * real against a live server: Node ESM and CommonJS, TypeScript under three module resolutions,
 * publint and attw, and the browser SDK in Chromium (bundled with and without code splitting, and
 * the script-tag build).
 */

const { DATABASE_URL } = process.env;
const skip = !DATABASE_URL || !existsSync(CHROMIUM);
if (skip) {
  console.warn(
    `\n*** The packaging tests are SKIPPED: ${!DATABASE_URL ? 'DATABASE_URL is not set' : `${CHROMIUM} is missing`}. .ci/run sets it. ***\n`,
  );
}

type Admin = Awaited<ReturnType<typeof adminClient>>;

/** esbuild is a dependency of sdk-browser, not of this package: borrow that one (as the browser test does). */
interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<{ metafile: { inputs: Record<string, unknown>; outputs: Record<string, unknown> } }>;
}
const loadEsbuild = async (): Promise<EsbuildApi> =>
  import(pathToFileURL(createRequire(new URL('../../../sdk-browser/package.json', import.meta.url)).resolve('esbuild')).href);

/** The `attw` bin: the package exports nothing else but its package.json. */
const attwBin = join(createRequire(import.meta.url).resolve('@arethetypeswrong/cli/package.json'), '..', 'dist', 'index.js');

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json' };

/** The pages and their scripts, from their own origin (the API is on another, as in production). */
async function startStaticServer(dir: string, config: unknown): Promise<{ url: string; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    if (path === '/config.json') return res.writeHead(200, { 'content-type': TYPES['.json'] }).end(JSON.stringify(config));
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(dir) || !existsSync(file)) return res.writeHead(404).end();
    readFile(file).then((body) => res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

async function toggle(admin: Admin, flag: string, enabled: boolean): Promise<void> {
  const current = await admin('GET', `/flags/${flag}/environments/production`);
  const res = await admin('PATCH', `/flags/${flag}/environments/production`, { enabled }, { 'if-match': `"${current.body.version}"` });
  if (res.status !== 200) throw new Error(`toggle failed: ${res.status} ${JSON.stringify(res.body)}`);
}

describe.skipIf(skip)('the SDK packages, packed and installed outside the workspace', () => {
  let root: string;
  let app: string;
  let tarballs: Record<SdkPackage, string>;
  let server: ServerProcess;
  let admin: Admin;
  let serverKey: string;
  let clientKey: string;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sb-packaging-'));
    app = join(root, 'app');
    // The build takes both cores of a small machine: the server starts while npm installs instead.
    await buildSdks();
    tarballs = await packSdks(join(root, 'tarballs'));
    const installed = installApp(app, tarballs);
    const db = await createDatabase(DATABASE_URL as string, 'sb_packaging');
    dropDatabase = db.drop;
    server = await startServerProcess({ DATABASE_URL: db.url, DELIVERY_CHECK_MS: '500' });
    admin = await adminClient(server.url);
    const ok = async <T>(p: Promise<{ status: number; body: T }>) => {
      const res = await p;
      if (res.status >= 300) throw new Error(`seeding failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res;
    };
    // On for version 2 and up: evaluating it needs the SEMVER plug-in, which browsers load on demand.
    await ok(admin('POST', '/flags', { key: FLAG, clientVisible: true }));
    const v2 = { id: 'v2', conditions: [{ attribute: 'appVersion', operator: 'SEMVER_GTE', values: ['2.0.0'] }] };
    await ok(admin('PATCH', `/flags/${FLAG}/environments/production`, { enabled: true, rules: [v2] }, { 'if-match': '"1"' }));
    await ok(admin('POST', '/flags', { key: REGEX_FLAG, clientVisible: true }));
    const staff = { id: 'staff', conditions: [{ attribute: 'login', operator: 'REGEX', values: ['^[a-z]+@acme\\.io$'] }] };
    await ok(admin('PATCH', `/flags/${REGEX_FLAG}/environments/production`, { enabled: true, rules: [staff] }, { 'if-match': '"1"' }));
    serverKey = (await ok(admin('POST', '/keys', { name: 'node-app', environment: 'production', kind: 'server' }))).body.secret;
    clientKey = (await ok(admin('POST', '/keys', { name: 'web-app', environment: 'production', kind: 'client' }))).body.secret;
    await installed;
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await dropDatabase?.();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('ships what a release should: built files, declarations, LICENSE, a versioned core, no sources or tests', async () => {
    for (const p of SDK_PACKAGES) {
      const dir = join(app, 'node_modules', '@switchboard', p);
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
      expect(pkg.private).toBeUndefined();
      expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(await readFile(join(dir, 'LICENSE'), 'utf8')).toContain('Apache License');
      expect(JSON.stringify(pkg.exports)).not.toContain('/src/');
      expect(existsSync(join(dir, 'src'))).toBe(false);
      expect(existsSync(join(dir, 'test'))).toBe(false);
      if (p !== 'core') expect(pkg.dependencies['@switchboard/core']).toBe(pkg.version);
    }
  });

  it('passes publint (strict) and attw for each package', async () => {
    const problems: string[] = [];
    for (const p of SDK_PACKAGES) {
      const { messages, pkg } = await publint({ pkgDir: join(app, 'node_modules', '@switchboard', p), pack: false, strict: true });
      for (const m of messages) problems.push(`publint ${p}: ${formatMessage(m, pkg)}`);
    }
    // The browser SDK is ES modules only: a CommonJS `require` from Node is not a way it is meant to be used.
    const attw = await Promise.all(
      SDK_PACKAGES.map((p) =>
        runIn(root, process.execPath, [
          attwBin,
          tarballs[p],
          '--format',
          'ascii',
          ...(p === 'sdk-browser' ? ['--profile', 'esm-only'] : []),
        ])
          .then(() => null)
          .catch((e: Error) => `attw ${p}: ${e.message}`),
      ),
    );
    problems.push(...attw.filter((m) => m !== null));
    expect(problems).toEqual([]);
  }, 120_000);

  it.each([
    ['ES module import', 'esm.mjs', NODE_ESM, 'dist/index.js'],
    ['CommonJS require', 'cjs.cjs', NODE_CJS, 'dist/index.cjs'],
  ])('evaluates a flag from the live server in plain Node by %s', async (_, file, source, built) => {
    await writeFile(join(app, file), source);
    const { stdout } = await runIn(app, process.execPath, [file], {
      ...process.env,
      NODE_OPTIONS: '',
      SWITCHBOARD_URL: server.url,
      SWITCHBOARD_KEY: serverKey,
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
    expect(out.resolved).toContain(join(app, 'node_modules', '@switchboard', 'sdk-node', built).replace(/\\/g, '/'));
    expect(out).toMatchObject({ ready: true, evaluation: { enabled: true, reason: 'RULE_MATCH', ruleId: 'v2' } });
  });

  it('typechecks a strict TypeScript consumer of every subpath under NodeNext, Bundler and Node10', async () => {
    await writeFile(join(app, 'consumer.ts'), CONSUMER_TS);
    await writeFile(join(app, 'consumer.cts'), CONSUMER_CTS);
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    const results = await Promise.all(
      (Object.keys(RESOLUTIONS) as Array<keyof typeof RESOLUTIONS>).map(async (resolution) => {
        await writeFile(join(app, `tsconfig.${resolution}.json`), tsconfigFor(resolution));
        return runIn(app, process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`])
          .then(() => `${resolution}: ok`)
          .catch((e: Error) => `${resolution}: ${e.message}`);
      }),
    );
    expect(results).toEqual(['NodeNext: ok', 'Bundler: ok', 'Node10: ok']);
    // skipLibCheck: false checks all of @types/node and @types/react too: seconds each when idle, a minute on a busy machine.
  }, 240_000);

  describe('the browser SDK in Chromium', () => {
    let browser: Browser;
    let site: Awaited<ReturnType<typeof startStaticServer>>;
    const pages: Record<'split' | 'unsplit' | 'script', Page | undefined> = { split: undefined, unsplit: undefined, script: undefined };
    const bundles: Record<string, { inputs: string[]; outputs: string[] }> = {};
    const logs: string[] = [];

    beforeAll(async () => {
      const web = join(app, 'web');
      await mkdir(web, { recursive: true });
      await writeFile(join(web, 'entry.js'), BUNDLED_ENTRY);
      const { build } = await loadEsbuild();
      for (const splitting of [true, false]) {
        const name = splitting ? 'split' : 'unsplit';
        const outdir = join(web, name);
        const result = await build({
          absWorkingDir: app,
          entryPoints: { app: join(web, 'entry.js') },
          bundle: true,
          format: 'esm',
          splitting,
          minify: true,
          outdir,
          target: 'chrome120',
          metafile: true,
          logLevel: 'silent',
        });
        bundles[name] = { inputs: Object.keys(result.metafile.inputs), outputs: Object.keys(result.metafile.outputs) };
        await writeFile(join(outdir, 'index.html'), bundledPage('app.js'));
      }
      // The script-tag files, copied from the installed package as a site would host them.
      await cp(join(app, 'node_modules/@switchboard/sdk-browser/dist/script'), join(web, 'script'), { recursive: true });
      await writeFile(join(web, 'script', 'index.html'), scriptTagPage('switchboard.global.js'));
      site = await startStaticServer(web, { url: server.url, clientKey });
      browser = await chromium.launch({
        ...CHROMIUM_LAUNCH,
      });
      for (const name of ['split', 'unsplit', 'script'] as const) {
        const page = await browser.newPage();
        page.on('console', (m) => logs.push(`${name} ${m.type()}: ${m.text()}`));
        page.on('pageerror', (e) => logs.push(`${name} pageerror: ${e.message}`));
        pages[name] = page;
      }
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((r) => site?.server.close(r));
    });

    const shows = async (name: keyof typeof pages, id: string, text: string, timeout = 5000) => {
      const page = pages[name] as Page;
      try {
        await page.waitForFunction(([i, t]) => document.getElementById(i as string)?.textContent === t, [id, text], { timeout });
      } catch (error) {
        throw new Error(`${name}: #${id} is ${await page.textContent(`#${id}`)}, not ${text}\n${logs.join('\n')}`, { cause: error });
      }
    };

    it('bundles the installed package, with REGEX out of the unsplit bundle and SEMVER in a chunk of its own when split', () => {
      for (const { inputs } of Object.values(bundles)) {
        expect(inputs.some((i) => i.startsWith('node_modules/@switchboard/sdk-browser/dist/'))).toBe(true);
        expect(inputs.some((i) => i.includes('re2js'))).toBe(false);
      }
      expect(bundles.unsplit?.outputs.filter((o) => o.endsWith('.js'))).toHaveLength(1);
      expect(bundles.split?.outputs.filter((o) => o.endsWith('.js')).length).toBeGreaterThan(1);
    });

    it('shows the live value on each page, REGEX only where it is loaded (the script tag) or opted into', async () => {
      for (const name of ['split', 'unsplit', 'script'] as const) await pages[name]?.goto(`${site.url}/${name}/`);
      for (const name of ['split', 'unsplit', 'script'] as const) await shows(name, 'flag', 'true');
      await shows('script', 'regex', 'true');
      // Bundled pages did not pass `operators: { regex }`: the condition cannot match, and no engine was fetched.
      await shows('split', 'regex', 'false');
      await shows('unsplit', 'regex', 'false');
      // The script tag's on-demand files came from beside it; the unsplit page fetched one script.
      expect(site.requests).toEqual(expect.arrayContaining(['/script/switchboard.semver.js', '/script/switchboard.regex.js']));
      expect(site.requests.filter((r) => r.startsWith('/unsplit/') && r.endsWith('.js'))).toEqual(['/unsplit/app.js']);
    });

    it('follows a toggle through the admin API on each page', async () => {
      await toggle(admin, FLAG, false);
      for (const name of ['split', 'unsplit', 'script'] as const) await shows(name, 'flag', 'false', 3000);
      await toggle(admin, FLAG, true);
      for (const name of ['split', 'unsplit', 'script'] as const) await shows(name, 'flag', 'true', 3000);
    });
  });
});
