import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagUsage } from '../src/db/schema/index.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/** The server flushes every 200 ms here; a loaded machine may take a few of those. */
const FLUSHED = { timeout: 10_000, interval: 100 };

describe.skipIf(!DATABASE_URL)('SDK usage metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { USAGE_FLUSH_MS: '200', USAGE_REPORTS_PER_MINUTE: '2000' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sums evaluation counts per flag and variant, and shows when each flag was last evaluated', async () => {
    const cookie = await server.login();
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'used', clientVisible: true } });
    await server.request('PATCH', '/api/admin/flags/used/environments/production', {
      cookie,
      headers: { 'if-match': '"1"' },
      body: { variants: [{ name: 'a', weight: 1 }] },
    });
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

    // The two accepted reports may land in two flushes: the first sets lastEvaluatedAt with half the
    // counts, so what is waited for is the sum of both.
    await expect.poll(async () => (await server.app.db.select().from(flagUsage)).find((r) => r.flagKey === 'used')?.yes, FLUSHED).toBe(6);
    const flag: { environments: Record<string, { lastEvaluatedAt: string | null }> } | undefined = (
      await server.request('GET', '/api/admin/flags/used', { cookie })
    ).body;
    expect(Date.parse(flag?.environments.production?.lastEvaluatedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(flag?.environments.staging?.lastEvaluatedAt).toBeNull();
    expect((await server.request('GET', '/api/admin/flags/unused', { cookie })).body.environments.production.lastEvaluatedAt).toBeNull();
    const rows = await server.app.db.select().from(flagUsage);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ flagKey: 'used', environmentKey: 'production', yes: 6, no: 2, variants: { a: 4 } });
  });

  it('keeps only flags the key can see and variants those flags have: 20,000 fake names land nowhere', async () => {
    const cookie = await server.login();
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'shown', clientVisible: true } });
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'backend-only' } });
    await server.request('PATCH', '/api/admin/flags/shown/environments/staging', {
      cookie,
      headers: { 'if-match': '"1"' },
      body: { enabled: true, variants: [{ name: 'blue', weight: 1 }], rules: [{ variants: [{ name: 'green', weight: 1 }] }] },
    });
    const clientKey = (
      await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'web', environment: 'staging', kind: 'client' } })
    ).body.secret;
    const serverKey = (
      await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'api', environment: 'staging', kind: 'server' } })
    ).body.secret;
    const first = await server.request('POST', '/api/sdk/metrics', {
      token: clientKey,
      body: { flags: { shown: { yes: 1, no: 1, variants: { blue: 1, green: 1, disabled: 1 } }, 'backend-only': { yes: 5, no: 0 } } },
    });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ accepted: 1, dropped: 1 });
    const fakes = Array.from({ length: 400 }, (_, r) => ({
      flags: {
        shown: { yes: 1, no: 0, variants: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`fake-${r}-${i}`, 1])) },
        __proto__x: { yes: 1, no: 0 },
      },
    }));
    for (let i = 0; i < fakes.length; i += 20) {
      const batch = await Promise.all(
        fakes.slice(i, i + 20).map((body) => server.request('POST', '/api/sdk/metrics', { token: clientKey, body })),
      );
      for (const res of batch) expect(res.body).toEqual({ accepted: 1, dropped: 51 });
    }
    // The server key sees the backend-only flag.
    expect(
      (await server.request('POST', '/api/sdk/metrics', { token: serverKey, body: { flags: { 'backend-only': { yes: 2, no: 0 } } } })).body,
    ).toEqual({ accepted: 1, dropped: 0 });
    const staging = async () => (await server.app.db.select().from(flagUsage)).filter((r) => r.environmentKey === 'staging');
    // The 402 reports span several flushes, which may commit out of order (the server-key report's
    // row before the last of the client key's): wait for every one of them, not for the last row.
    await expect
      .poll(async () => (await staging()).map((r) => [r.flagKey, r.yes, r.no]).sort(), FLUSHED)
      .toEqual([
        ['backend-only', 2, 0],
        ['shown', 401, 1],
      ]);
    const rows = await staging();
    const shown = rows.find((r) => r.flagKey === 'shown');
    expect(shown).toMatchObject({ yes: 401, no: 1, variants: { blue: 1, green: 1, disabled: 1 } });
    expect(Object.keys(shown?.variants ?? {})).toHaveLength(3);
    expect(rows.find((r) => r.flagKey === 'backend-only')).toMatchObject({ yes: 2, no: 0 });
  });

  it('counts a flag, variant or rule made a moment after the environment last reported', async () => {
    const cookie = await server.login();
    const key = (
      await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'fresh', environment: 'staging', kind: 'server' } })
    ).body.secret;
    const report = (body: unknown) => server.request('POST', '/api/sdk/metrics', { token: key, body });
    expect((await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'older' } })).status).toBe(201);
    // This report has the server read the environment's flags.
    expect((await report({ flags: { older: { yes: 1, no: 0 } } })).body).toEqual({ accepted: 1, dropped: 0 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'brand-new' } })).status).toBe(201);
    const made = await server.request('PATCH', '/api/admin/flags/brand-new/environments/staging', {
      cookie,
      headers: { 'if-match': '"1"' },
      body: {
        enabled: true,
        variants: [{ name: 'fresh', weight: 1 }],
        rules: [{ id: 'new-rule', rollout: { percentage: 50, stickiness: 'userId' } }],
      },
    });
    expect(made.status, made.text).toBe(200);
    expect((await report({ flags: { 'brand-new': { yes: 2, no: 1, variants: { fresh: 2 } } } })).body).toEqual({ accepted: 1, dropped: 0 });
    const tracked = await report({
      flags: {},
      metrics: [{ name: 'clicks', flag: 'brand-new', enabled: true, variant: 'fresh', ruleId: 'new-rule', count: 1, sum: 0 }],
    });
    expect(tracked.body).toMatchObject({ metrics: { accepted: 1, dropped: 0 } });
  });

  it('limits usage reports per key per minute with 429 and Retry-After', async () => {
    const limited = await startTestServer({ env: { USAGE_REPORTS_PER_MINUTE: '3' } });
    try {
      const cookie = await limited.login();
      const key = (
        await limited.request('POST', '/api/admin/keys', { cookie, body: { name: 'k', environment: 'production', kind: 'server' } })
      ).body.secret;
      const other = (
        await limited.request('POST', '/api/admin/keys', { cookie, body: { name: 'o', environment: 'production', kind: 'server' } })
      ).body.secret;
      const report = { flags: {} };
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await limited.request('POST', '/api/sdk/metrics', { token: key, body: report })).status);
      // The minute may roll over between two reports: then the window starts again, never more than 3 in it.
      if (statuses[3] === 202) statuses.push((await limited.request('POST', '/api/sdk/metrics', { token: key, body: report })).status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
      const refused = await limited.request('POST', '/api/sdk/metrics', { token: key, body: report });
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('RATE_LIMITED');
      const wait = Number(refused.headers.get('retry-after'));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60);
      expect((await limited.request('POST', '/api/sdk/metrics', { token: other, body: report })).status).toBe(202);
    } finally {
      await limited.close();
    }
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
