import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagUsage } from '../src/db/schema/index.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

interface Listed {
  key: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  environments: Record<string, { lastEvaluatedAt: string | null }>;
}

/**
 * The flags list in each order: walked three at a time, every order yields each flag exactly once,
 * in the order computed here from the flags' own fields, with ties (equal names, never evaluated)
 * broken by key; cursors of one order are refused by another.
 */
describe.skipIf(!DATABASE_URL)('flags list: sorting and cursor paging', () => {
  let server: TestServer;
  let cookie: string;
  const get = async (path: string) => {
    const res = await server.request('GET', `/api/admin${path}`, { cookie });
    return res;
  };
  const N = 11;

  async function walk(query: string): Promise<{ keys: string[]; pages: number }> {
    const keys: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/flags?limit=3&${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.total).toBe(N);
      keys.push(...res.body.flags.map((f: Listed) => f.key));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    return { keys, pages };
  }

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    for (let i = 0; i < N; i++) {
      // Names repeat (three flags are "Same name") and do not follow the keys' order.
      const name = i % 4 === 1 ? 'Same name' : `Flag ${String.fromCharCode(90 - i)}`;
      const res = await server.request('POST', '/api/admin/flags', { cookie, body: { key: `f-${String(i).padStart(2, '0')}`, name } });
      expect(res.status).toBe(201);
    }
    // Changes in another order than creation.
    for (const i of [7, 2, 9]) {
      const res = await server.request('PATCH', `/api/admin/flags/f-0${i}/environments/staging`, {
        cookie,
        body: { enabled: true },
        headers: { 'if-match': '"1"' },
      });
      expect(res.status).toBe(200);
    }
    // Evaluations reported at distinct times for four flags (two environments for one); the rest never.
    const base = Date.now() - 3_600_000;
    await server.app.db.insert(flagUsage).values([
      { flagKey: 'f-03', environmentKey: 'production', yes: 1, no: 0, lastEvaluatedAt: new Date(base + 1000) },
      { flagKey: 'f-08', environmentKey: 'production', yes: 1, no: 0, lastEvaluatedAt: new Date(base + 3000) },
      { flagKey: 'f-08', environmentKey: 'staging', yes: 1, no: 0, lastEvaluatedAt: new Date(base + 500) },
      { flagKey: 'f-00', environmentKey: 'staging', yes: 1, no: 0, lastEvaluatedAt: new Date(base + 2000) },
      { flagKey: 'f-05', environmentKey: 'development', yes: 1, no: 0, lastEvaluatedAt: new Date(base + 4000) },
    ]);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function everyFlag(): Promise<Listed[]> {
    const res = await get('/flags?limit=500');
    expect(res.body.flags).toHaveLength(N);
    return res.body.flags;
  }

  const byKey = (a: Listed, b: Listed) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const lastEvaluated = (f: Listed) =>
    Object.values(f.environments).reduce((m, e) => (e.lastEvaluatedAt && e.lastEvaluatedAt > m ? e.lastEvaluatedAt : m), '');

  it.each([
    ['sort=name', (a: Listed, b: Listed) => a.name.localeCompare(b.name, 'en') || byKey(a, b)],
    ['sort=name&order=desc', (a: Listed, b: Listed) => b.name.localeCompare(a.name, 'en') || byKey(a, b)],
    ['sort=created', (a: Listed, b: Listed) => b.createdAt.localeCompare(a.createdAt) || byKey(a, b)],
    ['sort=created&order=asc', (a: Listed, b: Listed) => a.createdAt.localeCompare(b.createdAt) || byKey(a, b)],
    ['sort=updated', (a: Listed, b: Listed) => b.updatedAt.localeCompare(a.updatedAt) || byKey(a, b)],
    ['sort=evaluated', (a: Listed, b: Listed) => lastEvaluated(b).localeCompare(lastEvaluated(a)) || byKey(a, b)],
    ['sort=evaluated&order=asc', (a: Listed, b: Listed) => lastEvaluated(a).localeCompare(lastEvaluated(b)) || byKey(a, b)],
  ])('walks %s page by page: every flag once, in order', async (query, compare) => {
    const expected = (await everyFlag()).sort(compare).map((f) => f.key);
    const { keys, pages } = await walk(query);
    expect(keys).toEqual(expected);
    expect(new Set(keys).size).toBe(N);
    expect(pages).toBe(Math.ceil(N / 3));
  });

  it('puts the evaluated flags first, newest evaluation first, and the never-evaluated after them by key', async () => {
    const { keys } = await walk('sort=evaluated');
    expect(keys.slice(0, 4)).toEqual(['f-05', 'f-08', 'f-00', 'f-03']);
    expect(keys.slice(4)).toEqual(['f-01', 'f-02', 'f-04', 'f-06', 'f-07', 'f-09', 'f-10']);
  });

  it('sorts by last change: the three changed flags first, the last changed on top', async () => {
    const { keys } = await walk('sort=updated');
    expect(keys.slice(0, 3)).toEqual(['f-09', 'f-02', 'f-07']);
  });

  it('keeps the filters while sorting', async () => {
    const res = await get('/flags?sort=name&q=same');
    expect(res.body.flags.map((f: Listed) => f.key)).toEqual(['f-01', 'f-05', 'f-09']);
    expect(res.body.total).toBe(3);
  });

  it('refuses a cursor of another order, an unknown sort, and a forged cursor value, each with a 400', async () => {
    const first = await get('/flags?limit=2&sort=name');
    const cursor = first.body.nextCursor as string;
    const other = await get(`/flags?limit=2&sort=created&cursor=${cursor}`);
    expect(other.status).toBe(400);
    expect(other.body.error.code).toBe('INVALID_CURSOR');
    expect((await get(`/flags?limit=2&sort=name&order=desc&cursor=${cursor}`)).body.error.code).toBe('INVALID_CURSOR');
    const bad = await get('/flags?sort=color');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    const forged = Buffer.from(JSON.stringify({ v: 1, s: 'created-desc', a: ['yesterday', 'f-01'] })).toString('base64url');
    expect((await get(`/flags?sort=created&cursor=${forged}`)).body.error.code).toBe('INVALID_CURSOR');
  });
});
