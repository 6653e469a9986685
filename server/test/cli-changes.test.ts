import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, row, runCli } from './cli-support.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/** `switchboard changes list|show|approve|reject|apply` against a real server, with two people's tokens. */
describe.skipIf(!DATABASE_URL)('CLI change requests', () => {
  let bin: string;
  let remove: () => void;
  let server: TestServer;
  let admin: string;
  let aliceToken: string;
  let bobToken: string;
  let adminToken: string;
  const cli = (token: string, ...args: string[]) => runCli(bin, args, { url: server.url, token });
  const api = async (cookie: string, method: string, path: string, body?: unknown) =>
    (await server.request(method, `/api/admin${path}`, { cookie, body })).body;

  beforeAll(async () => {
    ({ bin, remove } = await buildCli());
    server = await startTestServer();
    admin = await server.login();
    const tokenOf = async (email: string, role: string) => {
      await api(admin, 'POST', '/users', { email, name: email.split('@')[0], password: 'a-good-password', role });
      const cookie = await server.login(email, 'a-good-password');
      // Requests and reviews name their actor as the audit log does: a token by its name.
      return (await api(cookie, 'POST', '/tokens', { name: `${email.split('@')[0]}-cli`, role })).secret as string;
    };
    aliceToken = await tokenOf('alice@example.test', 'admin');
    bobToken = await tokenOf('bob@example.test', 'admin');
    adminToken = (await api(admin, 'POST', '/tokens', { name: 'cli', role: 'admin' })).secret as string;
    await api(admin, 'POST', '/flags', { key: 'checkout' });
    const env = await api(admin, 'GET', '/environments/production');
    await api(admin, 'PATCH', '/environments/production/settings', { requiredApprovals: 1, version: env.version });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    remove?.();
  });

  it('lists, shows, refuses self-approval, approves, applies once, and rejects', async () => {
    const alice = await server.request('POST', '/api/admin/change-requests', {
      token: aliceToken,
      body: {
        environment: 'production',
        title: 'Checkout on',
        change: { kind: 'flag-config', flagKey: 'checkout', baseVersion: 1, config: { enabled: true } },
      },
    });
    expect(alice.status).toBe(201);
    const id = alice.body.id as string;

    const list = await cli(bobToken, 'changes', 'list', '-e', 'production', '--view', 'to-review');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual(['ID', 'ENVIRONMENT', 'STATE', 'APPROVALS', 'AUTHOR', 'TARGET', 'TITLE']);
    expect(row(list.stdout, id)).toEqual([id, 'production', 'open', '0/1', 'alice-cli', 'flag-config flag checkout', 'Checkout on']);

    const self = await cli(aliceToken, 'changes', 'approve', id);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('SELF_APPROVAL');

    const approved = await cli(bobToken, 'changes', 'approve', id, '--comment', 'ship it');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`change request ${id}: approved`);
    expect(approved.stdout).toContain('bob-cli approve: ship it');

    const shown = await cli(bobToken, 'changes', 'show', id, '--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, state: 'approved', approvals: 1 });

    // A freeze: refused, then applied by an admin with a justification.
    const w = await api(admin, 'POST', '/environments/production/freeze-windows', {
      start: new Date(Date.now() - 1000).toISOString(),
      end: new Date(Date.now() + 3_600_000).toISOString(),
      reason: 'Release freeze',
      recurrence: 'none',
      mode: 'refuse',
    });
    const frozen = await cli(aliceToken, 'changes', 'apply', id);
    expect(frozen.code).toBe(1);
    expect(frozen.stderr).toContain('ENVIRONMENT_FROZEN');
    const applied = await cli(aliceToken, 'changes', 'apply', id, '--override', 'checkout outage fix, approved by bob');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain(`change request ${id}: applied`);
    await api(admin, 'DELETE', `/environments/production/freeze-windows/${w.id}`);
    const again = await cli(bobToken, 'changes', 'apply', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('CONFLICT');
    expect((await api(admin, 'GET', '/flags/checkout/environments/production')).enabled).toBe(true);

    const second = await server.request('POST', '/api/admin/change-requests', {
      token: aliceToken,
      body: {
        environment: 'production',
        title: 'Off',
        change: { kind: 'flag-config', flagKey: 'checkout', baseVersion: 2, config: { enabled: false } },
      },
    });
    const rejected = await cli(adminToken, 'changes', 'reject', second.body.id, '--comment', 'not now');
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain(': rejected');
    const all = await cli(bobToken, 'changes', 'list', '--state', 'rejected', '--json');
    expect(JSON.parse(all.stdout).items.map((i: { id: string }) => i.id)).toEqual([second.body.id]);
    expect((await cli(bobToken, 'changes', 'list', '--state', 'bogus')).code).toBe(64);
  });
});
