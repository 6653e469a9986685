import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagUsage } from '../src/db/schema/index.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/** What an Unleash SDK sends besides the key (unleash-client 6). */
const SDK_HEADERS = {
  'unleash-appname': 'checkout-service',
  'unleash-connection-id': '6a4b7d32-1b2c-4d5e-8f90-123456789abc',
  'unleash-sdk': 'unleash-node-sdk:6.12.1',
  'unleash-instanceid': 'pod-1',
  'unleash-interval': '15000',
  'unleash-client-spec': '5.2.0',
};

describe.skipIf(!DATABASE_URL)('Unleash client API (/unleash/api)', () => {
  let server: TestServer;
  let cookie: string;
  let serverKey: string;
  let clientKey: string;
  const features = (headers: Record<string, string> = {}, query = '') =>
    fetch(`${server.url}/unleash/api/client/features${query}`, { headers: { authorization: serverKey, ...SDK_HEADERS, ...headers } });

  beforeAll(async () => {
    server = await startTestServer({ env: { USAGE_FLUSH_MS: '200', DELIVERY_CHECK_MS: '300' } });
    cookie = await server.login();
    await server.request('POST', '/api/admin/segments', {
      cookie,
      body: { key: 'nordics', conditions: [{ attribute: 'country', operator: 'IN', values: ['se', 'no'] }] },
    });
    for (const key of ['checkout', 'banner', 'other']) await server.request('POST', '/api/admin/flags', { cookie, body: { key } });
    const res = await server.request('PATCH', '/api/admin/flags/checkout/environments/production', {
      cookie,
      headers: { 'if-match': '"1"' },
      body: {
        enabled: true,
        rules: [{ id: 'north', segments: ['nordics'], rollout: { percentage: 12.5 }, variants: [{ name: 'a', weight: 1 }] }],
        variants: [{ name: 'z', weight: 1, payload: { type: 'string', value: 'zed' } }],
      },
    });
    expect(res.status).toBe(200);
    serverKey = (
      await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'k', environment: 'production', kind: 'server' } })
    ).body.secret;
    clientKey = (
      await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'c', environment: 'production', kind: 'client' } })
    ).body.secret;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the environment in the client-features format, with the key bare in Authorization', async () => {
    const res = await features();
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.version).toBe(2);
    expect(body.segments).toEqual([
      {
        id: 1,
        name: 'nordics',
        constraints: [{ contextName: 'country', operator: 'IN', values: ['se', 'no'], inverted: false, caseInsensitive: false }],
      },
    ]);
    const checkout = body.features.find((f: { name: string }) => f.name === 'checkout');
    expect(checkout).toMatchObject({
      enabled: true,
      strategies: [
        { id: 'north', name: 'flexibleRollout', parameters: { rollout: '12', stickiness: 'default', groupId: 'checkout' }, segments: [1] },
      ],
      variants: [{ name: 'z', weight: 1, payload: { type: 'string', value: 'zed' } }],
    });
    expect(body.features.map((f: { name: string }) => f.name).sort()).toEqual(['banner', 'checkout', 'other']);
    // Bearer works too, and namePrefix filters as Unleash does.
    const some = (await (await features({ authorization: `Bearer ${serverKey}` }, '?namePrefix=ban')).json()) as any;
    expect(some.features.map((f: { name: string }) => f.name)).toEqual(['banner']);
  });

  it('answers an unchanged poll with 304 and a changed one with the change and a new ETag', async () => {
    const first = await features();
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"u\d+"$/);
    expect((await features({ 'if-none-match': etag })).status).toBe(304);
    const prefixed = await features({ 'if-none-match': etag }, '?namePrefix=ban');
    expect(prefixed.status).toBe(200);
    const current = (await server.request('GET', '/api/admin/flags/banner/environments/production', { cookie })).body.version;
    await server.request('PATCH', '/api/admin/flags/banner/environments/production', {
      cookie,
      headers: { 'if-match': `"${current}"` },
      body: { enabled: true },
    });
    let changed: Response | undefined;
    for (let i = 0; i < 50; i++) {
      changed = await features({ 'if-none-match': etag });
      if (changed.status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(changed?.status).toBe(200);
    expect(changed?.headers.get('etag')).not.toBe(etag);
    expect(((await (changed as Response).json()) as any).features.find((f: { name: string }) => f.name === 'banner').enabled).toBe(true);
  });

  it('refuses a bad key with 401 and a client key with 403, in the shape Unleash servers use', async () => {
    for (const authorization of ['sbs_not-a-key', '']) {
      const res = await features({ authorization });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        name: 'InvalidTokenError',
        message: 'Token not valid',
        id: expect.any(String),
        details: [{ message: 'Token not valid' }],
      });
    }
    const res = await features({ authorization: clientKey });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ name: 'NoAccessError' });
    const metrics = await fetch(`${server.url}/unleash/api/client/metrics`, {
      method: 'POST',
      headers: { authorization: 'nope', 'content-type': 'application/json' },
      body: JSON.stringify({ appName: 'a', bucket: { toggles: {} } }),
    });
    expect(metrics.status).toBe(401);
  });

  it('accepts registration and counts metrics into usage: last evaluated, yes/no and variants', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}/unleash/api/client/${path}`, {
        method: 'POST',
        headers: { authorization: serverKey, 'content-type': 'application/json', ...SDK_HEADERS },
        body: JSON.stringify(body),
      });
    const register = await post('register', {
      appName: 'checkout-service',
      instanceId: 'pod-1',
      sdkVersion: 'unleash-client-node:6.12.1',
      strategies: ['default', 'flexibleRollout'],
      started: new Date().toISOString(),
      interval: 60000,
      platformName: 'node',
      yggdrasilVersion: null,
    });
    expect(register.status).toBe(202);
    const bucket = {
      start: new Date(Date.now() - 60_000).toISOString(),
      stop: new Date().toISOString(),
      toggles: { checkout: { yes: 7, no: 3, variants: { a: 2, z: 5, ghost: 9 } }, nope: { yes: 1, no: 0, variants: {} } },
    };
    expect((await post('metrics', { appName: 'checkout-service', instanceId: 'pod-1', bucket, platformName: 'node' })).status).toBe(202);
    expect((await post('metrics', { appName: 'x', bucket: { toggles: { checkout: { yes: -1, no: 0 } } } })).status).toBe(400);
    expect((await post('register', { instanceId: 'no app name' })).status).toBe(400);
    let rows: (typeof flagUsage.$inferSelect)[] = [];
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await server.app.db.select().from(flagUsage);
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ flagKey: 'checkout', environmentKey: 'production', yes: 7, no: 3, variants: { a: 2, z: 5 } });
    const flag = (await server.request('GET', '/api/admin/flags/checkout', { cookie })).body;
    expect(Date.parse(flag.environments.production.lastEvaluatedAt)).toBeGreaterThan(Date.now() - 60_000);
  });
  it('tells the flag page what Unleash SDKs will see differently', async () => {
    const res = await server.request('GET', '/api/admin/unleash/flags/checkout/environments/production', { cookie });
    expect(res.status).toBe(200);
    expect(res.body.differences).toEqual([
      {
        flag: 'checkout',
        ruleId: 'north',
        code: 'FRACTIONAL_ROLLOUT',
        message: expect.stringContaining('roll out to 12% instead of 12.5%'),
      },
    ]);
    expect((await server.request('GET', '/api/admin/unleash/flags/other/environments/production', { cookie })).body.differences).toEqual(
      [],
    );
    expect((await server.request('GET', '/api/admin/unleash/flags/ghost/environments/production', { cookie })).status).toBe(404);
    expect((await server.request('GET', '/api/admin/unleash/flags/checkout/environments/production')).status).toBe(401);
  });
});
