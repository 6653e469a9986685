import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagMetrics, flagUsage, flagUsageHourly } from '../src/db/schema/index.ts';
import { HOURLY_RETENTION_MS, UsageAggregator } from '../src/features/usage/usage-aggregator.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * Issue 16, point 5: evaluation counts per flag and environment for the last 24 hours and 7 days,
 * split by result, from our SDKs' reports and Unleash SDKs' metrics alike, into the same hourly
 * rows; read by the flag page (`GET /flags/:key/usage`) and the list (`evaluations` per environment).
 */

const HOUR = 3_600_000;
const hourOf = (t: number) => Math.floor(t / HOUR) * HOUR;

describe.each([
  ['postgres', !DATABASE_URL],
  ['pglite', false],
] as const)('evaluation counts by hour (%s)', (database, skip) => {
  let server: TestServer;
  let cookie: string;
  let serverKey: string;
  const t0 = Date.now();

  beforeAll(async () => {
    if (skip) return;
    server = await startTestServer({ database, env: { USAGE_FLUSH_MS: '200', USAGE_REPORTS_PER_MINUTE: '2000' } });
    cookie = await server.login();
    for (const key of ['checkout', 'quiet', 'reborn'])
      expect((await server.request('POST', '/api/admin/flags', { cookie, body: { key } })).status).toBe(201);
    const patched = await server.request('PATCH', '/api/admin/flags/checkout/environments/production', {
      cookie,
      headers: { 'if-match': '"1"' },
      body: {
        enabled: true,
        variants: [
          { name: 'a', weight: 1 },
          { name: 'b', weight: 1 },
        ],
      },
    });
    expect(patched.status).toBe(200);
    serverKey = (
      await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'k', environment: 'production', kind: 'server' } })
    ).body.secret;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const usage = (query = 'environment=production', flag = 'checkout') =>
    server.request('GET', `/api/admin/flags/${flag}/usage?${query}`, { cookie });

  it.skipIf(skip)("puts our SDKs' and Unleash SDKs' counts into the same hours, split by variant, 24 h and 7 days apart", async () => {
    const now = new Date(t0).toISOString();
    const earlier = new Date(t0 - 30 * HOUR).toISOString();
    const sdk = (body: unknown) => server.request('POST', '/api/sdk/metrics', { token: serverKey, body });
    expect((await sdk({ stop: now, flags: { checkout: { yes: 10, no: 4, variants: { a: 6, b: 3 } } } })).status).toBe(202);
    // Thirty hours ago: in the 7 days, not in the last 24 hours.
    expect((await sdk({ stop: earlier, flags: { checkout: { yes: 7, no: 0, variants: { b: 7 } } } })).status).toBe(202);
    const unleash = await fetch(`${server.url}/unleash/api/client/metrics`, {
      method: 'POST',
      headers: { authorization: serverKey, 'content-type': 'application/json', 'unleash-appname': 'checkout-service' },
      // Unleash SDKs count the "disabled" variant for answers without one: on, no variant here.
      body: JSON.stringify({
        appName: 'checkout-service',
        bucket: { start: now, stop: now, toggles: { checkout: { yes: 5, no: 1, variants: { a: 2, disabled: 3 } } } },
      }),
    });
    expect(unleash.status).toBe(202);

    await expect.poll(async () => (await usage()).body.last7d?.total, { timeout: 10_000, interval: 100 }).toBe(27);
    const res = await usage();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ flag: 'checkout', environment: 'production' });
    expect(Date.parse(res.body.lastEvaluatedAt)).toBeGreaterThanOrEqual(hourOf(t0));
    expect(res.body.last24h.total).toBe(20);
    expect(res.body.last24h.byResult).toEqual([
      { enabled: true, variant: 'a', count: 8 },
      { enabled: false, variant: null, count: 5 },
      { enabled: true, variant: null, count: 4 },
      { enabled: true, variant: 'b', count: 3 },
    ]);
    expect(res.body.last7d.byResult).toEqual([
      { enabled: true, variant: 'b', count: 10 },
      { enabled: true, variant: 'a', count: 8 },
      { enabled: false, variant: null, count: 5 },
      { enabled: true, variant: null, count: 4 },
    ]);
    // 168 hours, oldest first, zeros where nothing was evaluated; each report in its own hour.
    const hourly = res.body.hourly as Array<{ hour: string; on: number; off: number }>;
    expect(hourly).toHaveLength(168);
    expect(hourly.reduce((n, h) => n + h.on + h.off, 0)).toBe(27);
    expect(hourly.find((h) => Date.parse(h.hour) === hourOf(t0 - 30 * HOUR))).toEqual({
      hour: new Date(hourOf(t0 - 30 * HOUR)).toISOString(),
      on: 7,
      off: 0,
    });
    expect(hourly.find((h) => Date.parse(h.hour) === hourOf(t0))).toMatchObject({ on: 15, off: 5 });
    expect(Date.parse(res.body.to)).toBe(Date.parse(hourly.at(-1)?.hour ?? '') + HOUR);
  });

  it.skipIf(skip)('gives the list each environment’s counts, zeros where nothing was reported', async () => {
    const list = await server.request('GET', '/api/admin/flags?sort=name&order=asc', { cookie });
    expect(list.status).toBe(200);
    const byKey = Object.fromEntries((list.body.flags as Array<{ key: string }>).map((f) => [f.key, f])) as Record<string, any>;
    expect(byKey.checkout.environments.production.evaluations).toEqual({ last24h: 20, last7d: 27 });
    expect(byKey.checkout.environments.staging.evaluations).toEqual({ last24h: 0, last7d: 0 });
    expect(byKey.quiet.environments.production.evaluations).toEqual({ last24h: 0, last7d: 0 });
    const one = await server.request('GET', '/api/admin/flags/checkout', { cookie });
    expect(one.body.environments.production.evaluations).toEqual({ last24h: 20, last7d: 27 });
    // A write's answer leaves the counts out rather than claim zeros.
    const written = await server.request('PATCH', '/api/admin/flags/quiet', {
      cookie,
      headers: { 'if-match': '"1"' },
      body: { name: 'Quiet' },
    });
    expect(written.status).toBe(200);
    expect(written.body.environments.production.evaluations).toBeUndefined();
    const quiet = (await usage('environment=production', 'quiet')).body;
    expect(quiet).toMatchObject({ lastEvaluatedAt: null, last24h: { total: 0, byResult: [] }, last7d: { total: 0, byResult: [] } });
  });

  it.skipIf(skip)('answers bad reads with stable errors', async () => {
    expect((await usage('')).status).toBe(400);
    expect((await usage('environment=production&x=1')).status).toBe(400);
    const missingEnv = await usage('environment=nowhere');
    expect(missingEnv.status).toBe(404);
    expect(missingEnv.body.error.code).toBe('NOT_FOUND');
    expect((await usage('environment=production', 'ghost')).status).toBe(404);
    expect((await server.request('GET', '/api/admin/flags/checkout/usage?environment=production')).status).toBe(401);
  });

  it.skipIf(skip)('documents the read API and the list’s counts in the OpenAPI description', async () => {
    const doc = (await server.request('GET', '/docs/json')).body;
    const get = doc.paths['/api/admin/flags/{key}/usage']?.get;
    expect(get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['environment', 'key']);
    const answer = JSON.stringify(get.responses['200']);
    for (const field of ['last24h', 'last7d', 'byResult', 'hourly']) expect(answer).toContain(field);
    expect(JSON.stringify(doc.paths['/api/admin/flags'].get.responses['200'])).toContain('evaluations');
  });

  it.skipIf(skip)('forgets an environment’s hours with the environment', async () => {
    await server.request('POST', '/api/admin/environments', { cookie, body: { key: 'qa', name: 'QA' } });
    await server.app.db
      .insert(flagUsageHourly)
      .values({ flagKey: 'quiet', environmentKey: 'qa', hour: new Date(hourOf(t0)), enabled: false, variant: '', count: 3 });
    expect((await server.request('DELETE', '/api/admin/environments/qa', { cookie })).status).toBe(200);
    expect(await server.app.db.select().from(flagUsageHourly).where(eq(flagUsageHourly.environmentKey, 'qa'))).toEqual([]);
  });

  it.skipIf(skip)('forgets a deleted flag’s counts, so one re-created under its key starts at none', async () => {
    const now = new Date().toISOString();
    const reported = await server.request('POST', '/api/sdk/metrics', {
      token: serverKey,
      body: { stop: now, flags: { reborn: { yes: 3, no: 2 } } },
    });
    expect(reported.status).toBe(202);
    await expect
      .poll(async () => (await usage('environment=production', 'reborn')).body.last7d?.total, { timeout: 10_000, interval: 100 })
      .toBe(5);
    // Tracked events are counts of the flag too; a row as the metrics flush writes it.
    await server.app.db.insert(flagMetrics).values({
      environmentKey: 'production',
      flagKey: 'reborn',
      minute: new Date(Math.floor(t0 / 60_000) * 60_000),
      metric: 'checkout.completed',
      enabled: true,
      variant: '',
      ruleId: '',
      count: 1,
      sum: 1,
    });

    expect((await server.request('POST', '/api/admin/flags/reborn/archive', { cookie })).status).toBe(200);
    expect((await server.request('DELETE', '/api/admin/flags/reborn', { cookie })).status).toBe(200);
    expect((await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'reborn' } })).status).toBe(201);

    const res = await usage('environment=production', 'reborn');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lastEvaluatedAt: null, last24h: { total: 0, byResult: [] }, last7d: { total: 0, byResult: [] } });
    expect((res.body.hourly as Array<{ on: number; off: number }>).every((h) => h.on + h.off === 0)).toBe(true);
    const one = await server.request('GET', '/api/admin/flags/reborn', { cookie });
    expect(one.body.environments.production.evaluations).toEqual({ last24h: 0, last7d: 0 });
    expect(await server.app.db.select().from(flagUsage).where(eq(flagUsage.flagKey, 'reborn'))).toEqual([]);
    expect(await server.app.db.select().from(flagMetrics).where(eq(flagMetrics.flagKey, 'reborn'))).toEqual([]);
  });

  it.skipIf(skip)('prunes hours past the 8-day retention on a flush, and keeps the rest', async () => {
    const row = (at: number) => ({
      flagKey: 'quiet',
      environmentKey: 'staging',
      hour: new Date(hourOf(at)),
      enabled: true,
      variant: '',
      count: 1,
    });
    await server.app.db.insert(flagUsageHourly).values([row(t0 - HOURLY_RETENTION_MS - 2 * HOUR), row(t0 - 6 * 24 * HOUR)]);
    const errors: unknown[] = [];
    const aggregator = new UsageAggregator(server.app.db, (err) => errors.push(err));
    await aggregator.flush();
    expect(errors).toEqual([]);
    const left = await server.app.db
      .select()
      .from(flagUsageHourly)
      .where(and(eq(flagUsageHourly.flagKey, 'quiet'), eq(flagUsageHourly.environmentKey, 'staging')));
    expect(left.map((r) => r.hour.getTime())).toEqual([hourOf(t0 - 6 * 24 * HOUR)]);
    const list = await server.request('GET', '/api/admin/flags?sort=name&order=asc', { cookie });
    const quiet = (list.body.flags as Array<{ key: string; environments: Record<string, unknown> }>).find((f) => f.key === 'quiet');
    expect(quiet?.environments.staging).toMatchObject({ evaluations: { last24h: 0, last7d: 1 } });
  });
});
