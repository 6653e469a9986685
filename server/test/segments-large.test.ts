import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * Segments of up to 50,000 values (pasted id lists): saved whole, refused past the limit with a
 * 400 naming it (never a 413 or 500 for a list within it), and evaluated as any other segment.
 */
describe.skipIf(!DATABASE_URL)('segments with long lists of values', () => {
  let server: TestServer;
  let cookie: string;
  const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `customer-${String(from + i).padStart(8, '0')}-0f3c9a7e`);
  const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { cookie, body, headers });

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('saves a segment of 50,000 ids and evaluates membership with it', async () => {
    const values = ids(50_000);
    const created = await req('POST', '/segments', { key: 'big', conditions: [{ attribute: 'userId', operator: 'IN', values }] });
    expect(created.status, created.text.slice(0, 300)).toBe(201);
    const read = await req('GET', '/segments/big');
    expect(read.body.conditions[0].values).toHaveLength(50_000);
    expect(read.body.conditions[0].values[49_999]).toBe(values[49_999]);

    await req('POST', '/flags', { key: 'vip' });
    expect(
      (await req('PATCH', '/flags/vip/environments/production', { enabled: true, rules: [{ segments: ['big'] }] }, { 'if-match': '"1"' }))
        .status,
    ).toBe(200);
    const inList = await req('POST', '/evaluate', { environment: 'production', context: { userId: values[31_337] }, flags: ['vip'] });
    expect(inList.body.results[0]).toMatchObject({ enabled: true, reason: 'RULE_MATCH' });
    const outside = await req('POST', '/evaluate', { environment: 'production', context: { userId: 'customer-x' }, flags: ['vip'] });
    expect(outside.body.results[0]).toMatchObject({ enabled: false, reason: 'NO_RULE_MATCH' });

    // Changed with its version, like any segment.
    const updated = await req(
      'PATCH',
      '/segments/big',
      { conditions: [{ attribute: 'userId', operator: 'IN', values: ids(20_000, 7) }] },
      {
        'if-match': `"${read.body.version}"`,
      },
    );
    expect(updated.status).toBe(200);
    expect(updated.body.conditions[0].values).toHaveLength(20_000);
  });

  it('refuses 50,001 values, in one condition or across two, with a 400 that says the limit', async () => {
    const one = await req('POST', '/segments', {
      key: 'too-big',
      conditions: [{ attribute: 'userId', operator: 'IN', values: ids(50_001) }],
    });
    expect(one.status).toBe(400);
    expect(one.body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(one.body.error)).toMatch('50000');
    const two = await req('POST', '/segments', {
      key: 'too-big',
      conditions: [
        { attribute: 'userId', operator: 'IN', values: ids(30_000) },
        { attribute: 'sessionId', operator: 'NOT_IN', values: ids(20_001) },
      ],
    });
    expect(two.status).toBe(400);
    expect(two.body.error.details).toEqual([
      expect.objectContaining({ path: '/conditions', message: expect.stringMatching('at most 50000') }),
    ]);
    expect((await req('GET', '/segments/too-big')).status).toBe(404);
  });

  it('keeps the limit of 1,000 values on a flag rule’s own conditions', async () => {
    await req('POST', '/flags', { key: 'plain' });
    const res = await req(
      'PATCH',
      '/flags/plain/environments/production',
      { rules: [{ conditions: [{ attribute: 'userId', operator: 'IN', values: ids(1001) }] }] },
      { 'if-match': '"1"' },
    );
    expect(res.status).toBe(400);
  });
});
