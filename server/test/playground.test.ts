import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './cli-support.ts';
import { seedPlayground } from './helpers/playground-seed.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * The playground: POST /api/admin/evaluate answers, for one environment and one context, every
 * flag's result with its reason, the rule that decided (id, place, description) and the variant,
 * as an SDK would compute it; and `switchboard evaluate` prints the same.
 */
describe.skipIf(!DATABASE_URL)('playground: evaluate a context', () => {
  let server: TestServer;
  let cookie: string;
  let viewerToken = '';
  const admin = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await server.request(method, `/api/admin${path}`, { cookie, body, headers });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const evaluate = (body: unknown, auth: { token?: string; cookie?: string } = { cookie }) =>
    server.request('POST', '/api/admin/evaluate', { ...auth, body });

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    await seedPlayground(admin, {
      deProRollout: { percentage: 100 },
      moreRules: [
        { id: 'from-2099', conditions: [{ attribute: 'currentTime', operator: 'DATE_AFTER', values: ['2099-01-01T00:00:00Z'] }] },
      ],
    });
    await admin('POST', '/flags', { key: 'needs-checkout' });
    await admin(
      'PATCH',
      '/flags/needs-checkout/environments/production',
      { enabled: true, dependencies: [{ flag: 'new-checkout' }] },
      { 'if-match': '"1"' },
    );
    await admin('POST', '/flags', { key: 'dark' });
    viewerToken = (await admin('POST', '/tokens', { name: 'viewer', role: 'viewer' })).secret;
  });
  afterAll(async () => {
    await server?.close();
  });

  const byFlag = (results: Array<{ flag: string }>) => Object.fromEntries(results.map((r) => [r.flag, r])) as Record<string, any>;

  it('names the rule that decides, by place and description, for a user in DE on pro', async () => {
    const res = await evaluate({ environment: 'production', context: { userId: 'u1', properties: { country: 'DE', plan: 'pro' } } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.environment).toBe('production');
    expect(res.body.revision).toBeGreaterThan(0);
    const r = byFlag(res.body.results);
    expect(Object.keys(r).sort()).toEqual(['banner', 'dark', 'needs-checkout', 'new-checkout']);
    expect(r['new-checkout']).toEqual({
      flag: 'new-checkout',
      name: 'New checkout',
      enabled: true,
      reason: 'RULE_MATCH',
      rule: { id: 'de-pro', index: 2, description: 'Germany on Pro' },
      variant: { name: 'disabled', enabled: false },
    });
    expect(r.banner).toMatchObject({
      enabled: true,
      reason: 'ON',
      rule: null,
      variant: { name: 'red', enabled: true, payload: { type: 'json', value: '{"color":"red"}' } },
    });
    expect(r['needs-checkout']).toMatchObject({ enabled: true, reason: 'ON' });
    expect(r.dark).toMatchObject({ enabled: false, reason: 'OFF', rule: null });
  });

  it('follows segments, dependencies, the first matching rule, and a chosen time', async () => {
    const staff = byFlag(
      (
        await evaluate({
          environment: 'production',
          context: { userId: 'u2', properties: { email: 'a@example.com', country: 'DE', plan: 'pro' } },
        })
      ).body.results,
    );
    expect(staff['new-checkout'].rule).toEqual({ id: 'staff', index: 1, description: 'Our own people' });

    const nobody = byFlag(
      (await evaluate({ environment: 'production', context: { userId: 'u3', properties: { country: 'US' } } })).body.results,
    );
    expect(nobody['new-checkout']).toMatchObject({ enabled: false, reason: 'NO_RULE_MATCH', rule: null });
    expect(nobody['needs-checkout']).toMatchObject({ enabled: false, reason: 'DEPENDENCY_FAILED' });

    const later = byFlag(
      (await evaluate({ environment: 'production', context: { userId: 'u3', currentTime: '2099-06-01T00:00:00Z' } })).body.results,
    );
    expect(later['new-checkout']).toMatchObject({ enabled: true, rule: { id: 'from-2099', index: 3 } });

    const staging = byFlag((await evaluate({ environment: 'staging', context: { userId: 'u1' } })).body.results);
    expect(staging['new-checkout']).toMatchObject({ enabled: false, reason: 'OFF' });
  });

  it('evaluates only the flags asked for; an unknown one is FLAG_NOT_FOUND', async () => {
    const res = await evaluate({ environment: 'production', context: {}, flags: ['banner', 'nope'] });
    expect(res.body.results.map((r: any) => [r.flag, r.reason])).toEqual([
      ['banner', 'ON'],
      ['nope', 'FLAG_NOT_FOUND'],
    ]);
  });

  it('is open to viewers and closed to strangers; bad input is a 400 or 404, never a 500', async () => {
    expect((await evaluate({ environment: 'production', context: {} }, { token: viewerToken })).status).toBe(200);
    expect((await evaluate({ environment: 'production', context: {} }, {})).status).toBe(401);
    const missing = await evaluate({ environment: 'nowhere', context: {} });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
    for (const body of [
      { environment: 'production' },
      { environment: 'production', context: { country: 'DE' } },
      { environment: 'production', context: { properties: { nested: { a: 1 } } } },
      { environment: 'production', context: { currentTime: 'tomorrow' } },
    ]) {
      const res = await evaluate(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  /** The CLI from its sources in a child process (cli.test.ts covers the built binary). */
  const cli = (args: string[]): Promise<CliResult> =>
    runCli(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)), args, {
      url: server.url,
      token: viewerToken,
      nodeArgs: ['--import', 'tsx'],
    });

  it('switchboard evaluate prints each flag with the rule that decided, from flat JSON context', async () => {
    const res = await cli(['evaluate', '-e', 'production', '--context', '{"targetingKey":"u1","country":"DE","plan":"pro"}']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch('production at revision');
    const line = res.stdout.split('\n').find((l) => l.startsWith('new-checkout '));
    expect(line?.split(/\s{2,}/)).toEqual(['new-checkout', 'on', 'disabled', 'RULE_MATCH', 'rule 2: Germany on Pro']);

    const json = await cli(['evaluate', '-e', 'production', '--flag', 'dark', '--json']);
    expect(JSON.parse(json.stdout).results).toEqual([
      { flag: 'dark', name: 'dark', enabled: false, reason: 'OFF', rule: null, variant: { name: 'disabled', enabled: false } },
    ]);

    const bad = await cli(['evaluate', '-e', 'production', '--context', '[1]']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch('--context must be a JSON object');
    const noEnv = await cli(['evaluate']);
    expect(noEnv.code).toBe(64);
  });
});
