import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestResponse, type TestServer } from './helpers/test-server.ts';

/**
 * Cursor paging on every admin list that grows: walked two at a time, each list yields every item
 * exactly once in its order, ends with `nextCursor: null`, and refuses cursors it did not hand out.
 */
describe.skipIf(!DATABASE_URL)('paging admin lists', () => {
  let server: TestServer;
  let cookie: string;
  const N = 5;
  let webhookId = '';
  const admin = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await server.request(method, `/api/admin${path}`, { cookie, body, headers });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };

  /** Every page of `path` at `limit` 2: the items' ids in order, and how many pages it took. */
  async function walk(path: string, field: string, idOf: (item: any) => string | number) {
    const ids: Array<string | number> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res: TestResponse = await server.request('GET', `/api/admin${path}${sep}limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        cookie,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body[field].length).toBeLessThanOrEqual(2);
      ids.push(...res.body[field].map(idOf));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 100);
    return { ids, pages };
  }

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    for (let i = 0; i < N; i++) {
      await admin('POST', '/segments', { key: `seg-${i}`, conditions: [] });
      await admin('POST', '/users', { email: `u${i}@example.test`, name: `U${i}`, password: 'a-good-password', role: 'viewer' });
      await admin('POST', '/tokens', { name: `t${i}`, role: 'viewer' });
      await admin('POST', '/keys', { name: `k${i}`, environment: i % 2 ? 'staging' : 'production', kind: 'server' });
      await admin('PUT', `/attributes/attr-${i}`, { description: 'x', sensitive: false });
      await admin('POST', '/flags', { key: `flag-${i}` });
      await admin(
        'PATCH',
        `/flags/flag-${i}/environments/production`,
        { rules: [{ id: 'main', rollout: { percentage: 1 } }] },
        { 'if-match': '"1"' },
      );
      await admin('POST', '/ramps', {
        flag: `flag-${i}`,
        environment: 'production',
        ruleId: 'main',
        steps: [{ percentage: 5, holdSeconds: 60 }],
      });
      await admin('POST', `/flags/flag-${i}/environments/staging/schedule`, {
        at: `2099-01-0${i + 1}T00:00:00.000Z`,
        patch: { enabled: true },
      });
      const hook = await admin('POST', '/webhooks', { name: `w${i}`, url: 'http://127.0.0.1:9/h', events: ['flag.*'], allowPrivate: true });
      webhookId = hook.id;
    }
    for (let v = 2; v <= N + 1; v++)
      await admin('PATCH', '/flags/flag-0/environments/staging', { enabled: v % 2 === 0 }, { 'if-match': `"${v - 1}"` });
    for (let i = 0; i < N; i++) await admin('POST', `/webhooks/${webhookId}/test`);
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ['/segments', 'segments', (s: any) => s.key],
    ['/users', 'users', (u: any) => u.id],
    ['/tokens', 'tokens', (t: any) => t.id],
    ['/keys', 'keys', (k: any) => k.id],
    ['/attributes', 'attributes', (a: any) => a.name],
    ['/webhooks', 'webhooks', (w: any) => w.id],
    ['/ramps', 'ramps', (r: any) => r.id],
    ['/schedules', 'schedules', (s: any) => s.id],
    ['/flags', 'flags', (f: any) => f.key],
    ['/audit', 'entries', (e: any) => e.id],
    ['/flags/flag-0/environments/staging/versions', 'versions', (v: any) => v.version],
    ['/webhooks/{hook}/deliveries', 'deliveries', (d: any) => d.id],
  ] as const)('%s: every item once, in the order of the whole list', async (path, field, idOf) => {
    const real = path.replace('{hook}', webhookId);
    const whole = await server.request('GET', `/api/admin${real}${real.includes('?') ? '&' : '?'}limit=200`, { cookie });
    expect(whole.status, whole.text).toBe(200);
    expect(whole.body.nextCursor).toBeNull();
    const expected = whole.body[field].map(idOf);
    expect(expected.length).toBeGreaterThanOrEqual(N);
    const { ids, pages } = await walk(real, field, idOf);
    expect(ids).toEqual(expected);
    expect(new Set(ids).size).toBe(ids.length);
    expect(pages).toBe(Math.ceil(expected.length / 2));
  });

  it('keeps to the cursor when items are added between pages (keys sorted by key)', async () => {
    const first = await server.request('GET', '/api/admin/segments?limit=2', { cookie });
    await admin('POST', '/segments', { key: 'seg-0a', conditions: [] });
    await admin('POST', '/segments', { key: 'seg-9', conditions: [] });
    const rest = [];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const page = await server.request('GET', `/api/admin/segments?limit=2&cursor=${cursor}`, { cookie });
      rest.push(...page.body.segments.map((s: any) => s.key));
      cursor = page.body.nextCursor;
    }
    const seen = [...first.body.segments.map((s: any) => s.key), ...rest];
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain('seg-9');
  });

  it('refuses a cursor it did not hand out with 400 INVALID_CURSOR, never a 500', async () => {
    const fromSegments = (await server.request('GET', '/api/admin/segments?limit=1', { cookie })).body.nextCursor;
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const [path, cursor] of [
      ['/tokens', fromSegments],
      ['/flags', fromSegments],
      ['/segments', 'bm90LWpzb24'],
      ['/tokens', forged({ v: 1, s: 'created-desc', a: ['2024-01-01T00:00:00.000000Z', "'; drop table users; --"] })],
      ['/tokens', forged({ v: 1, s: 'created-desc', a: ['yesterday', '00000000-0000-4000-8000-000000000000'] })],
      ['/audit', forged({ v: 1, s: 'id-desc', a: [1e20] })],
      ['/flags', forged({ v: 2, s: 'updated', a: ['2024-01-01T00:00:00.000000Z', 'x'] })],
    ] as const) {
      const res = await server.request('GET', `/api/admin${path}?cursor=${cursor}`, { cookie });
      expect(res.status, `${path} ${cursor}`).toBe(400);
      expect(res.body.error.code).toBe('INVALID_CURSOR');
    }
    const both = await server.request('GET', `/api/admin/flags?offset=2&cursor=${fromSegments}`, { cookie });
    expect(both.status).toBe(400);
    expect((await server.request('GET', '/api/admin/segments?limit=501', { cookie })).status).toBe(400);
  });

  it('keeps the older paging of flags (offset, total) and audit (before, nextBefore)', async () => {
    const flags = await server.request('GET', '/api/admin/flags?limit=2&offset=2', { cookie });
    expect(flags.body.flags).toHaveLength(2);
    expect(flags.body.total).toBe(N);
    const audit = await server.request('GET', '/api/admin/audit?limit=3', { cookie });
    const older = await server.request('GET', `/api/admin/audit?limit=3&before=${audit.body.nextBefore}`, { cookie });
    const viaCursor = await server.request('GET', `/api/admin/audit?limit=3&cursor=${audit.body.nextCursor}`, { cookie });
    expect(older.body.entries).toEqual(viaCursor.body.entries);
    expect(older.body.entries[0].id).toBeLessThan(audit.body.entries[2].id);
  });
});
