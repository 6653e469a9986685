import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, freePort } from '../support/server-process.ts';

/**
 * The server as a user installs it: built, packed with `pnpm pack`, installed with `npm install`
 * from the tarball into a fresh folder outside the workspace (no workspace links, no tsx), and
 * started through its `switchboard-server` bin with only Node, on the embedded database in the
 * default DATA_DIR under the folder it runs in. The installed `switchboard` CLI then talks to it.
 */

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Raw HTTP, so nothing decompresses the body behind our back. */
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

/**
 * Only what a user's shell would have: no workspace variables (pnpm's npm_* settings, a
 * DATABASE_URL or REDIS_URL of the test run, NODE_OPTIONS with a loader), Node on the PATH.
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter),
    HOME: process.env.HOME ?? tmpdir(),
    ...extra,
  };
}

/** How this machine reaches the registry (proxies, a registry, certificates), for `npm install` only. */
function registryEnv(): Record<string, string> {
  const names = /^(https?_proxy|no_proxy|npm_config_(registry|cafile|strict_ssl|proxy|https_proxy)|node_extra_ca_certs|ssl_cert_file)$/i;
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => names.test(e[0]) && e[1] !== undefined));
}

describe('the packed server', () => {
  const work = mkdtempSync(join(tmpdir(), 'sb-server-package-'));
  const app = join(work, 'app');
  let tarball = '';
  let server: ChildProcess | undefined;
  let url = '';
  let output = '';

  beforeAll(async () => {
    // The build `pnpm start` runs (the admin UI, then the server with the UI and core inside), less
    // core's own build: the SDK packaging test builds core's dist at the same time, and the server
    // bundles core from its sources anyway.
    execFileSync('pnpm', ['--filter', '@switchboard/admin-ui', '--filter', '@switchboard/server', 'build'], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
    execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: join(repoRoot, 'server'), stdio: 'pipe' });
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')) ?? 'missing.tgz');

    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-app', version: '1.0.0', private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], {
      cwd: app,
      env: userEnv(registryEnv()),
      stdio: 'pipe',
    });

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(join(app, 'node_modules/.bin/switchboard-server'), [], {
      cwd: app,
      env: userEnv({ PORT: String(port), ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (d) => {
      output += d;
    });
    server.stderr?.on('data', (d) => {
      output += d;
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the packed server exited with ${server.exitCode}:\n${output}`);
      const ready = await rawGet(`${url}/readyz`).catch(() => undefined);
      if (ready?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`the packed server was not ready in 60 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 180_000);

  afterAll(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('holds the build, the migrations and the license, and no sources, tests or workspace links', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(files).toEqual(
      expect.arrayContaining(['package/LICENSE', 'package/dist/main.mjs', 'package/dist/cli.mjs', 'package/dist/admin-ui/index.html']),
    );
    expect(files.some((f) => /^package\/drizzle\/\d+_.+\.sql$/.test(f))).toBe(true);
    expect(files).toContain('package/drizzle/meta/_journal.json');
    expect(files.some((f) => /^package\/dist\/admin-ui\/assets\/.+\.js\.br$/.test(f))).toBe(true);
    expect(files.filter((f) => /^package\/(src|test|bin)\/|\.ts$/.test(f))).toEqual([]);

    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/@switchboard/server/package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    expect(manifest.engines.node).toBe('>=20.19');
    expect(manifest.bin).toEqual({ 'switchboard-server': './dist/main.mjs', switchboard: './dist/cli.mjs' });
    // core is bundled in: nothing of ours is needed from a registry.
    expect(Object.keys(manifest.dependencies).filter((d) => d.startsWith('@switchboard/'))).toEqual([]);
    expect(JSON.stringify(manifest.dependencies)).not.toContain('workspace:');
    expect(readFileSync(join(app, 'node_modules/@switchboard/server/LICENSE'), 'utf8')).toContain('Apache License');
    // Only Node runs it: tsx is a tool of the workspace, not of the package.
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
    expect(readdirSync(join(app, 'node_modules/@switchboard'))).toEqual(['server']);
  });

  it('starts on the embedded database in DATA_DIR’s default, under the folder it runs in', async () => {
    expect((await rawGet(`${url}/readyz`)).status).toBe(200);
    expect(existsSync(join(app, '.data/switchboard/PG_VERSION'))).toBe(true);
  });

  it('serves the admin UI from the package, its hashed assets precompressed and immutable', async () => {
    const index = await rawGet(`${url}/`);
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body.toString())?.[1];
    expect(script).toBeDefined();

    const asset = await rawGet(`${url}${script}`, { 'accept-encoding': 'br' });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-encoding']).toBe('br');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.vary).toMatch(/accept-encoding/i);
    expect((await rawGet(`${url}${script}.map`)).status).toBe(404);
  });

  it('is driven by the installed switchboard CLI', async () => {
    const login = await fetch(`${url}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const admin = (path: string, body: unknown) =>
      fetch(`${url}/api/admin${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify(body),
      });
    const token = (await (await admin('/tokens', { name: 'packaging test', role: 'editor' })).json()).secret as string;
    expect((await admin('/flags', { key: 'packed-flag', name: 'Packed flag' })).status).toBe(201);

    const cli = (...args: string[]) =>
      execFileSync(join(app, 'node_modules/.bin/switchboard'), args, {
        cwd: app,
        env: userEnv({ SWITCHBOARD_URL: url, SWITCHBOARD_TOKEN: token }),
        encoding: 'utf8',
      });
    expect(cli('--version').trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(cli('flags', 'enable', 'packed-flag', '-e', 'staging')).toMatch(/^packed-flag is now on in staging/);
    const listed = JSON.parse(cli('flags', 'list', '-e', 'staging', '--json'));
    expect(JSON.stringify(listed)).toContain('packed-flag');
    const table = cli('flags', 'list', '-e', 'staging');
    const row = table
      .split('\n')
      .find((l) => l.startsWith('packed-flag '))
      ?.split(/\s{2,}/);
    expect(row?.slice(0, 3)).toEqual(['packed-flag', 'Packed flag', 'on']);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => server?.once('exit', (code) => resolve(code)));
    server?.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
