import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.ts';
import * as schema from '../src/db/schema/index.ts';
import type { Actor } from '../src/domain/actor.ts';
import { listChangeRequestViews } from '../src/features/change-requests/service.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * The change-request list reads a page in a fixed number of queries, whatever the page holds:
 * each kind of target (flag configurations, segments with their usage, ramps), environments and
 * reviews are read for the page at once. Counted on a second connection to the test's database
 * whose drizzle logger sees every statement the list sends.
 */
describe.skipIf(!DATABASE_URL)('change-request list queries', () => {
  let server: TestServer;
  let cookie: string;
  let pool: pg.Pool;
  let statements = 0;
  let counted: Database;
  const admin = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await server.request(method, `/api/admin${path}`, { cookie, body, headers });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const propose = (title: string, change: unknown) => admin('POST', '/change-requests', { environment: 'staging', title, change });
  const actor: Actor = { kind: 'user', id: 'nobody', userId: 'nobody', name: 'nobody', role: 'admin' };

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    for (let i = 0; i < 6; i++) {
      const key = `flag-${i}`;
      await admin('POST', '/flags', { key });
      await admin('POST', `/segments`, { key: `segment-${i}`, conditions: [{ attribute: 'country', operator: 'IN', values: ['NO'] }] });
      // Used by a flag, so the segment's `usedBy` in the list is not empty.
      const rules = [{ id: 'main', segments: [`segment-${i}`], rollout: { percentage: 1 } }];
      await admin('PATCH', `/flags/${key}/environments/staging`, { enabled: true, rules }, { 'if-match': '"1"' });
      await propose(`Flag ${i}`, { kind: 'flag-config', flagKey: key, baseVersion: 2, config: { enabled: false } });
      await propose(`Segment ${i}`, {
        kind: 'segment',
        segmentKey: `segment-${i}`,
        baseVersion: 1,
        segment: { conditions: [{ attribute: 'country', operator: 'IN', values: ['NO', 'SE'] }] },
      });
      const ramp = await admin('POST', '/ramps', {
        flag: key,
        environment: 'staging',
        ruleId: 'main',
        steps: [{ percentage: 5, holdSeconds: 3600 }],
      });
      await propose(`Ramp ${i}`, { kind: 'ramp-update', rampId: ramp.id, baseVersion: ramp.version, action: 'start' });
      await propose(`Schedule ${i}`, { kind: 'schedule', flagKey: key, runAt: '2099-01-01T00:00:00Z', patch: { enabled: true } });
    }
    // One request no longer live (no current state to read), one with a review.
    const withdrawn = await propose('Withdrawn', { kind: 'flag-config', flagKey: 'flag-0', baseVersion: 2, config: { enabled: true } });
    await admin('POST', `/change-requests/${withdrawn.id}/withdraw`);
    const reviewed = await propose('Reviewed', { kind: 'flag-config', flagKey: 'flag-1', baseVersion: 2, config: { enabled: true } });
    await admin('POST', `/change-requests/${reviewed.id}/reviews`, { decision: 'comment', comment: 'fine' });

    pool = new pg.Pool({ connectionString: server.config.databaseUrl, max: 1 });
    counted = drizzle(pool, { schema, logger: { logQuery: () => void statements++ } }) as unknown as Database;
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await server?.close();
  });

  async function statementsFor(limit: number): Promise<{ statements: number; items: number }> {
    const before = statements;
    const rows = await listChangeRequestViews(counted, actor, {}, { limit });
    return { statements: statements - before, items: rows.length };
  }

  it('reads a page of 5 and a page of 100 in the same few statements', async () => {
    // Newest first: the reviewed and the withdrawn request, then one of each kind of target.
    const small = await statementsFor(5);
    const large = await statementsFor(100);
    expect(small.items).toBe(6);
    expect(large.items).toBe(26);
    expect(large.statements).toBe(small.statements);
    // The page, environments, reviews, segments, their usage, ramps, flag configurations.
    expect(large.statements).toBeLessThanOrEqual(7);
  });

  it('lists each request as its own page shows it, without the reviews', async () => {
    const list = await admin('GET', '/change-requests?limit=100');
    expect(list.items).toHaveLength(26);
    for (const item of list.items) {
      const { reviews: _reviews, ...one } = await admin('GET', `/change-requests/${item.id}`);
      expect(item).toEqual(one);
    }
    const segment = list.items.find((i: { title: string }) => i.title === 'Segment 3');
    expect(segment.current).toMatchObject({ key: 'segment-3', usedBy: ['flag-3'], version: 1 });
    const ramp = list.items.find((i: { title: string }) => i.title === 'Ramp 3');
    expect(ramp.current).toMatchObject({ flag: 'flag-3', environment: 'staging', state: 'pending' });
    const flag = list.items.find((i: { title: string }) => i.title === 'Flag 3');
    expect(flag).toMatchObject({ current: { enabled: true, version: 2 }, conflict: false, requiredApprovals: 0 });
    expect(list.items.find((i: { title: string }) => i.title === 'Withdrawn').current).toBeUndefined();
  });
});
