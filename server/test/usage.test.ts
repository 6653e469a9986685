import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagUsage } from '../src/db/schema/index.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

describe.skipIf(!DATABASE_URL)('SDK usage metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { USAGE_FLUSH_MS: '200' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sums evaluation counts per flag and variant, and shows when each flag was last evaluated', async () => {
    const cookie = await server.login();
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'used' } });
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'unused' } });
    const serverKey = (
      await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'k', environment: 'production', kind: 'server' } })
    ).body.secret;
    const clientKey = (
      await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'c', environment: 'production', kind: 'client' } })
    ).body.secret;
    const report = { flags: { used: { yes: 3, no: 1, variants: { a: 2 } }, ghost: { yes: 1, no: 0 } } };
    expect((await server.request('POST', '/api/sdk/metrics', { token: serverKey, body: report })).status).toBe(202);
    expect((await server.request('POST', `/api/sdk/metrics?key=${clientKey}`, { body: report })).status).toBe(202);
    expect(
      (await server.request('POST', '/api/sdk/metrics', { token: serverKey, body: { flags: { used: { yes: -1, no: 0 } } } })).status,
    ).toBe(400);
    expect((await server.request('POST', '/api/sdk/metrics', { body: report })).status).toBe(401);

    let flag: { environments: Record<string, { lastEvaluatedAt: string | null }> } | undefined;
    for (let i = 0; i < 50; i++) {
      flag = (await server.request('GET', '/api/admin/flags/used', { cookie })).body;
      if (flag?.environments.production?.lastEvaluatedAt) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Date.parse(flag?.environments.production?.lastEvaluatedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(flag?.environments.staging?.lastEvaluatedAt).toBeNull();
    expect((await server.request('GET', '/api/admin/flags/unused', { cookie })).body.environments.production.lastEvaluatedAt).toBeNull();
    const rows = await server.app.db.select().from(flagUsage);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ flagKey: 'used', environmentKey: 'production', yes: 6, no: 2, variants: { a: 4 } });
  });

  it('lets pages on other origins report usage (preflight and response headers)', async () => {
    const preflight = await fetch(`${server.url}/api/sdk/metrics`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(Number(preflight.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    const post = await fetch(`${server.url}/api/sdk/metrics?key=nope`, {
      method: 'POST',
      headers: { origin: 'https://shop.example', 'content-type': 'application/json' },
      body: '{"flags":{}}',
    });
    expect(post.status).toBe(401);
    expect(post.headers.get('access-control-allow-origin')).toBe('*');
    expect(post.headers.get('access-control-expose-headers')).toContain('retry-after');
  });
});
