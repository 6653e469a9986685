import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { startTestServer } from './helpers/test-server.ts';

// The embedded default: the same schema, migrations and services on PGlite, and data that survives a restart.
describe('storage on embedded PGlite', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-pglite-restart-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // Two PGlite (WASM) starts with migrations: 12 s alone, and past 30 s once with other suites running.
  it('migrates, writes flags with history and audit, and keeps them across a restart', { timeout: 90_000 }, async () => {
    const first = await startTestServer({ database: 'pglite', dataDir });
    const cookie = await first.login();
    const req = (s: typeof first, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      s.request(method, `/api/admin${path}`, { body, cookie, headers });
    expect((await req(first, 'POST', '/flags', { key: 'persisted', tags: ['a'] })).status).toBe(201);
    expect(
      (
        await req(first, 'POST', '/segments', {
          key: 'staff',
          conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.io'] }],
        })
      ).status,
    ).toBe(201);
    const patched = await req(
      first,
      'PATCH',
      '/flags/persisted/environments/production',
      { enabled: true, rules: [{ id: 'r1', segments: ['staff'] }] },
      { 'if-match': '"1"' },
    );
    expect(patched.status).toBe(200);
    const stale = await req(first, 'PATCH', '/flags/persisted/environments/production', { enabled: false }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    await first.close();

    const second = await startTestServer({ database: 'pglite', dataDir });
    const cookie2 = await second.login();
    const got = await second.request('GET', '/api/admin/flags/persisted/environments/production', { cookie: cookie2 });
    expect(got.body).toMatchObject({ enabled: true, version: 2, rules: [{ id: 'r1', segments: ['staff'] }] });
    const audit = await second.request('GET', '/api/admin/flags/persisted/audit', { cookie: cookie2 });
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual(['flag.configured', 'flag.created']);
    const envs = await second.request('GET', '/api/admin/environments', { cookie: cookie2 });
    expect(envs.body.environments.map((e: { key: string }) => e.key)).toEqual(['development', 'staging', 'production']);
    await second.close();
  });
});

describe('the embedded database folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'sb-pglite-mode-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const modeOf = (p: string) => statSync(p).mode & 0o777;

  const dir = join(root, 'fresh', 'switchboard');

  it('is created readable by its owner only, parents included, whatever the umask', { timeout: 90_000 }, async () => {
    const umask = process.umask(0o002);
    try {
      const db = await openDatabase({ databaseUrl: undefined, dataDir: dir });
      await db.close();
    } finally {
      process.umask(umask);
    }
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(join(root, 'fresh'))).toBe(0o700);
  });

  it('tightens an existing folder others can read, with a warning', { timeout: 90_000 }, async () => {
    // The database made above, opened again after someone loosened its folder.
    chmodSync(dir, 0o755);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const db = await openDatabase({ databaseUrl: undefined, dataDir: dir });
      await db.close();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(modeOf(dir)).toBe(0o700);
    expect(warnings.map((w) => w.message).join('\n')).toContain(`DATA_DIR ${dir} was readable by other users (mode 755)`);
  });
});
