import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagMetrics, flagUsage } from '../src/db/schema/index.ts';
import { MAX_METRIC_NAMES_PER_FLAG } from '../src/features/usage/metric-aggregator.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * Tracked metrics (contract 4): `metrics` entries of `POST /api/sdk/metrics`, filtered like flag
 * counts, summed per minute into `flag_metrics`, read back with `GET /api/admin/flags/:key/metrics`.
 * Real server, real Postgres.
 */
describe.skipIf(!DATABASE_URL)('tracked metrics', () => {
  let server: TestServer;
  let cookie: string;
  let serverKey: string;
  let clientKey: string;
  let viewerToken: string;
  let ruleId: string;
  const admin = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { cookie, body, headers });
  // One fixed minute for every report, so a minute that ends during the test cannot split the sums.
  const minuteStart = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
  const stop = new Date(minuteStart + 10_000).toISOString();
  const report = (key: string, body: object) => server.request('POST', '/api/sdk/metrics', { token: key, body: { stop, ...body } });
  const read = (flag: string, query: string, token = viewerToken) =>
    server.request('GET', `/api/admin/flags/${flag}/metrics?${query}`, { token });
  const entry = (over: Record<string, unknown> = {}) => ({
    name: 'checkout.completed',
    flag: 'banner',
    enabled: true,
    variant: 'blue',
    ruleId,
    count: 1,
    sum: 10,
    ...over,
  });
  /** Rows reach the table at the next flush (200 ms here). */
  async function rowsOf(flag: string, until: (rows: Array<typeof flagMetrics.$inferSelect>) => boolean) {
    let rows: Array<typeof flagMetrics.$inferSelect> = [];
    for (let i = 0; i < 50; i++) {
      rows = (await server.app.db.select().from(flagMetrics)).filter((r) => r.flagKey === flag);
      if (until(rows)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return rows;
  }

  beforeAll(async () => {
    server = await startTestServer({ env: { USAGE_FLUSH_MS: '200', USAGE_REPORTS_PER_MINUTE: '5000' } });
    cookie = await server.login();
    await admin('POST', '/flags', { key: 'banner', clientVisible: true });
    const patched = await admin(
      'PATCH',
      '/flags/banner/environments/production',
      {
        enabled: true,
        variants: [
          { name: 'blue', weight: 1 },
          { name: 'green', weight: 1 },
        ],
        rules: [{ id: 'beta', conditions: [{ attribute: 'plan', operator: 'IN', values: ['beta'] }] }, { rollout: { percentage: 50 } }],
      },
      { 'if-match': '"1"' },
    );
    expect(patched.status).toBe(200);
    ruleId = patched.body.rules[1].id;
    await admin('POST', '/flags', { key: 'backend-only' });
    await admin('POST', '/flags', { key: 'noisy', clientVisible: true });
    // A latency metric on a flag rolled out to half: the rule's result (treatment) and the fall-through.
    await admin('POST', '/flags', { key: 'latency' });
    const latency = await admin(
      'PATCH',
      '/flags/latency/environments/production',
      { enabled: true, rules: [{ id: 'main', rollout: { percentage: 50 } }] },
      { 'if-match': '"1"' },
    );
    expect(latency.status).toBe(200);
    serverKey = (await admin('POST', '/keys', { name: 'api', environment: 'production', kind: 'server' })).body.secret;
    clientKey = (await admin('POST', '/keys', { name: 'web', environment: 'production', kind: 'client' })).body.secret;
    viewerToken = (await admin('POST', '/tokens', { name: 'dashboard', role: 'viewer' })).body.secret;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sums entries per minute, result and metric; keeps only what the key can see', async () => {
    const first = await report(serverKey, {
      flags: { banner: { yes: 2, no: 0, variants: { blue: 2 } } },
      metrics: [
        entry(),
        entry({ count: 2, sum: 5.5 }),
        entry({ variant: 'green', ruleId: 'beta', count: 1, sum: 0 }),
        entry({ enabled: false, variant: 'disabled', ruleId: null, count: 3, sum: 0 }),
        entry({ name: 'page.error', count: 4, sum: 0 }),
        entry({ flag: 'backend-only', variant: 'disabled', ruleId: null }),
        // Dropped: unknown flag, variant the flag does not have, rule it does not have.
        entry({ flag: 'ghost' }),
        entry({ variant: 'purple' }),
        entry({ ruleId: 'r_made_up' }),
        // Nothing to add: neither counted nor dropped.
        entry({ count: 0, sum: 0 }),
      ],
    });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ accepted: 1, dropped: 0, metrics: { accepted: 6, dropped: 3 } });

    // A client key sees only client-visible flags.
    const fromBrowser = await report(clientKey, {
      flags: {},
      metrics: [entry({ count: 1, sum: 1 }), entry({ flag: 'backend-only', variant: 'disabled', ruleId: null })],
    });
    expect(fromBrowser.body).toEqual({ accepted: 0, dropped: 0, metrics: { accepted: 1, dropped: 1 } });
    const viaQuery = await server.request('POST', `/api/sdk/metrics?key=${clientKey}`, {
      body: { stop, flags: {}, metrics: [entry({ sum: 0.25 })] },
    });
    expect(viaQuery.body.metrics).toEqual({ accepted: 1, dropped: 0 });

    const rows = await rowsOf('banner', (r) => r.length === 4 && r.some((x) => x.count === 5));
    for (const r of rows) expect(r.minute.getTime()).toBe(minuteStart);
    const strip = ({ environmentKey, metric, enabled, variant, ruleId: rule, count, sum }: typeof flagMetrics.$inferSelect) => ({
      environmentKey,
      metric,
      enabled,
      variant,
      ruleId: rule,
      count,
      sum,
    });
    expect(rows.map(strip).sort((a, b) => (a.metric + a.variant < b.metric + b.variant ? -1 : 1))).toEqual([
      { environmentKey: 'production', metric: 'checkout.completed', enabled: true, variant: 'blue', ruleId, count: 5, sum: 16.75 },
      { environmentKey: 'production', metric: 'checkout.completed', enabled: false, variant: 'disabled', ruleId: '', count: 3, sum: 0 },
      { environmentKey: 'production', metric: 'checkout.completed', enabled: true, variant: 'green', ruleId: 'beta', count: 1, sum: 0 },
      { environmentKey: 'production', metric: 'page.error', enabled: true, variant: 'blue', ruleId, count: 4, sum: 0 },
    ]);
    expect(await rowsOf('backend-only', (r) => r.length === 1)).toMatchObject([{ count: 1, sum: 10, variant: 'disabled', ruleId: '' }]);
    // The usage half of the same report was counted as before.
    const usage = await server.app.db.select().from(flagUsage);
    expect(usage.find((u) => u.flagKey === 'banner')).toMatchObject({ yes: 2, variants: { blue: 2 } });
  });

  it('adds values (sums) per result across reports and flushes, exactly, and reads them back per group', async () => {
    const ms = (ruleId: string | null, count: number, sum: number, name = 'api.latency_ms') => ({
      name,
      flag: 'latency',
      enabled: ruleId !== null,
      variant: 'disabled',
      ruleId,
      count,
      sum,
    });
    const first = await report(serverKey, {
      flags: {},
      // Two entries of one group in one report add up before the flush.
      metrics: [ms('main', 3, 370), ms('main', 1, 130), ms(null, 3, 270), ms(null, 2, -12.5, 'balance.delta')],
    });
    expect(first.body.metrics).toEqual({ accepted: 4, dropped: 0 });
    // The first flush has written them: the second report's sums are added to the stored rows.
    await rowsOf('latency', (r) => r.length === 3);
    const second = await report(serverKey, {
      flags: {},
      metrics: [ms('main', 2, 260.5), ms(null, 1, 95.25), ms(null, 1, -0.25, 'balance.delta')],
    });
    expect(second.body.metrics).toEqual({ accepted: 3, dropped: 0 });
    await rowsOf(
      'latency',
      (r) => r.some((x) => x.ruleId === 'main' && x.count === 6) && r.some((x) => x.metric === 'balance.delta' && x.count === 3),
    );

    const res = await read('latency', 'environment=production&metric=api.latency_ms');
    expect(res.status).toBe(200);
    const minute = new Date(minuteStart).toISOString();
    expect(res.body.rows).toEqual([
      { minute, metric: 'api.latency_ms', enabled: false, variant: 'disabled', ruleId: null, count: 4, sum: 365.25 },
      { minute, metric: 'api.latency_ms', enabled: true, variant: 'disabled', ruleId: 'main', count: 6, sum: 760.5 },
    ]);
    // The mean per event of each group follows from them (what a latency comparison would use).
    const mean = (r: { count: number; sum: number }) => r.sum / r.count;
    expect(res.body.rows.map(mean)).toEqual([91.3125, 126.75]);
    const balance = await read('latency', 'environment=production&metric=balance.delta');
    expect(balance.body.rows).toEqual([
      { minute, metric: 'balance.delta', enabled: false, variant: 'disabled', ruleId: null, count: 3, sum: -12.75 },
    ]);
  });

  it('answers reports without metrics as before, and refuses bad entries whole with 400 VALIDATION_FAILED', async () => {
    expect((await report(serverKey, { flags: {} })).body).toEqual({ accepted: 0, dropped: 0 });
    const before = await server.app.db.select().from(flagMetrics);
    const bad: Array<[string, object]> = [
      ['a name with a space', [entry({ name: 'checkout completed' })]],
      ['an empty name', [entry({ name: '' })]],
      ['a name of 101 characters', [entry({ name: 'x'.repeat(101) })]],
      ['a negative count', [entry({ count: -1 })]],
      ['a fractional count', [entry({ count: 1.5 })]],
      ['a string sum', [entry({ sum: '10' })]],
      ['a missing ruleId', [{ ...entry(), ruleId: undefined }]],
      ['an unknown field', [entry({ userId: 'u-1' })]],
      ['more than 1000 entries', Array.from({ length: 1001 }, () => entry())],
      ['not an array', { name: 'x' }],
      ['a sum out of bounds', [entry({ sum: 1e16 })]],
    ];
    for (const [what, metrics] of bad) {
      const res = await report(serverKey, { flags: { banner: { yes: 1000, no: 0 } }, metrics });
      expect({ what, status: res.status, code: res.body?.error?.code }).toEqual({ what, status: 400, code: 'VALIDATION_FAILED' });
    }
    expect((await report(serverKey, { flags: {}, metrics: Array.from({ length: 1000 }, () => entry({ count: 0, sum: 0 })) })).status).toBe(
      202,
    );
    await new Promise((r) => setTimeout(r, 400));
    // Nothing of the refused reports was written, their flag counts included.
    expect(await server.app.db.select().from(flagMetrics)).toEqual(before);
    expect((await server.app.db.select().from(flagUsage)).find((u) => u.flagKey === 'banner')?.yes).toBeLessThan(1000);
  });

  it(`bounds the metric names one flag gathers between flushes to ${MAX_METRIC_NAMES_PER_FLAG}`, async () => {
    const names = Array.from({ length: MAX_METRIC_NAMES_PER_FLAG + 20 }, (_, i) => `made.up.${i}`);
    const res = await report(clientKey, {
      flags: {},
      metrics: names.map((name) => ({ name, flag: 'noisy', enabled: false, variant: 'disabled', ruleId: null, count: 1, sum: 0 })),
    });
    expect(res.body.metrics).toEqual({ accepted: MAX_METRIC_NAMES_PER_FLAG, dropped: 20 });
    const rows = await rowsOf('noisy', (r) => r.length >= MAX_METRIC_NAMES_PER_FLAG);
    expect(rows).toHaveLength(MAX_METRIC_NAMES_PER_FLAG);
  });

  it('reads per-minute rows for a range: viewers may, filtered by metric, bounded, 404 for unknown names', async () => {
    await rowsOf('banner', (r) => r.length === 4);
    const all = await read('banner', 'environment=production');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ flag: 'banner', environment: 'production', truncated: false });
    expect(Date.parse(all.body.to) - Date.parse(all.body.from)).toBe(3_600_000);
    expect(all.body.rows).toHaveLength(4);
    expect(all.body.rows).toContainEqual({
      minute: new Date(minuteStart).toISOString(),
      metric: 'checkout.completed',
      enabled: false,
      variant: 'disabled',
      ruleId: null,
      count: 3,
      sum: 0,
    });
    const errors = await read('banner', 'environment=production&metric=page.error');
    expect(errors.body.rows).toEqual([
      { minute: all.body.rows[0].minute, metric: 'page.error', enabled: true, variant: 'blue', ruleId, count: 4, sum: 0 },
    ]);
    const limited = await read('banner', 'environment=production&limit=2');
    expect(limited.body.rows).toHaveLength(2);
    expect(limited.body.truncated).toBe(true);
    // Other environments and other times hold nothing.
    expect((await read('banner', 'environment=staging')).body.rows).toEqual([]);
    const past = await read('banner', 'environment=production&from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z');
    expect(past.body).toMatchObject({ from: '2020-01-01T00:00:00.000Z', to: '2020-01-02T00:00:00.000Z', rows: [] });

    const refusals: Array<[string, number, string]> = [
      ['environment=production&from=2020-01-02T00:00:00Z&to=2020-01-01T00:00:00Z', 400, 'VALIDATION_FAILED'],
      ['environment=production&from=2020-01-01T00:00:00Z&to=2020-03-01T00:00:00Z', 400, 'VALIDATION_FAILED'],
      ['environment=production&from=yesterday', 400, 'VALIDATION_FAILED'],
      ['environment=production&limit=0', 400, 'VALIDATION_FAILED'],
      ['environment=production&metric=a%20b', 400, 'VALIDATION_FAILED'],
      ['', 400, 'VALIDATION_FAILED'],
      ['environment=prod', 404, 'NOT_FOUND'],
    ];
    for (const [query, status, code] of refusals) {
      const res = await read('banner', query);
      expect({ query, status: res.status, code: res.body?.error?.code }).toEqual({ query, status, code });
    }
    const unknown = await read('no-such-flag', 'environment=production');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await server.request('GET', '/api/admin/flags/banner/metrics?environment=production')).status).toBe(401);
    // An SDK key is no admin credential.
    expect([401, 403]).toContain((await read('banner', 'environment=production', serverKey)).status);
  });

  it('documents the read API and the metrics field in the OpenAPI description', async () => {
    const doc = (await server.request('GET', '/docs/json')).body;
    const get = doc.paths['/api/admin/flags/{key}/metrics']?.get;
    expect(get).toBeDefined();
    expect(get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['environment', 'from', 'key', 'limit', 'metric', 'to']);
    expect(JSON.stringify(get.responses['200'])).toContain('truncated');
    const post = doc.paths['/api/sdk/metrics'].post;
    expect(JSON.stringify(post.requestBody)).toContain('"maxItems":1000');
  });

  it('forgets an environment’s metrics with the environment', async () => {
    await admin('POST', '/environments', { key: 'qa', name: 'QA' });
    const qaKey = (await admin('POST', '/keys', { name: 'qa', environment: 'qa', kind: 'server' })).body.secret;
    await admin('PATCH', '/flags/backend-only/environments/qa', { enabled: true }, { 'if-match': '"1"' });
    await report(qaKey, { flags: {}, metrics: [entry({ flag: 'backend-only', variant: 'disabled', ruleId: null })] });
    await rowsOf('backend-only', (r) => r.some((x) => x.environmentKey === 'qa'));
    expect((await server.app.db.select().from(flagMetrics)).some((r) => r.environmentKey === 'qa')).toBe(true);
    const deleted = await admin('DELETE', '/environments/qa');
    expect(deleted.status).toBe(200);
    expect((await server.app.db.select().from(flagMetrics)).some((r) => r.environmentKey === 'qa')).toBe(false);
  });
});
