import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/test-server.ts';

// The embedded default: the same schema, migrations and services on PGlite, and data that survives a restart.
describe('storage on embedded PGlite', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-pglite-restart-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('migrates, writes flags with history and audit, and keeps them across a restart', async () => {
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
