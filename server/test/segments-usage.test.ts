import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/client.ts';
import * as schema from '../src/db/schema/index.ts';
import { auditLog } from '../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { changeDeps } from '../src/features/change-deps.ts';
import { updateSegment } from '../src/features/segments/service.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * A segment's edit, read and delete look up which flags use that segment only, not every
 * segment's usage (which grows with the segments in use), and answer as the list does. The
 * statements are seen on a second connection to the test's database through drizzle's logger.
 */
describe.skipIf(!DATABASE_URL)('segment usage on edits', () => {
  let server: TestServer;
  let cookie: string;
  let pool: pg.Pool;
  let counted: Database;
  const statements: Array<{ query: string; params: unknown[] }> = [];
  const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { cookie, body, headers });
  const conditions = [{ attribute: 'country', operator: 'IN', values: ['NO'] }];

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    // 12 other segments in use, each by its own flag; `target` by two flags in two environments.
    for (let i = 0; i < 12; i++) {
      expect((await req('POST', '/segments', { key: `other-${i}`, conditions })).status).toBe(201);
      await req('POST', '/flags', { key: `flag-${i}` });
      const rules = [{ segments: [`other-${i}`] }, ...(i < 2 ? [{ segments: ['target'] }] : [])];
      if (i === 0) expect((await req('POST', '/segments', { key: 'target', conditions })).status).toBe(201);
      const env = i === 1 ? 'staging' : 'production';
      expect((await req('PATCH', `/flags/flag-${i}/environments/${env}`, { rules }, { 'if-match': '"1"' })).status).toBe(200);
    }
    pool = new pg.Pool({ connectionString: server.config.databaseUrl, max: 1 });
    counted = drizzle(pool, {
      schema,
      logger: { logQuery: (query, params) => void statements.push({ query, params }) },
    }) as unknown as Database;
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await server?.close();
  });

  it('reads the usage of the edited segment only', async () => {
    statements.length = 0;
    const view = await updateSegment({ ...changeDeps(server.app), db: counted }, SYSTEM_ACTOR, 'target', 1, { name: 'Target' });
    expect(view).toMatchObject({ key: 'target', name: 'Target', usedBy: ['flag-0', 'flag-1'], version: 2 });
    const usage = statements.filter((s) => s.query.includes('jsonb_array_elements_text'));
    expect(usage).toHaveLength(1);
    expect(usage[0]?.query).toMatch(/where s\.seg in/);
    expect(usage[0]?.params).toEqual(['target']);
  });

  it('answers edits, reads and refused deletes with the same usage the list shows', async () => {
    const list = (await req('GET', '/segments?limit=100')).body.segments as Array<{ key: string; usedBy: string[] }>;
    expect(list).toHaveLength(13);
    const listed = (key: string) => list.find((s) => s.key === key)?.usedBy;
    expect(listed('target')).toEqual(['flag-0', 'flag-1']);
    expect(listed('other-5')).toEqual(['flag-5']);

    const patched = await req('PATCH', '/segments/target', { description: 'edited' }, { 'if-match': '"2"' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ key: 'target', description: 'edited', usedBy: ['flag-0', 'flag-1'], version: 3 });
    expect((await req('GET', '/segments/target')).body.usedBy).toEqual(['flag-0', 'flag-1']);
    expect((await req('GET', '/segments/other-7')).body.usedBy).toEqual(['flag-7']);
    // The audit entry's before and after carry the same usage.
    const audited = await server.app.db
      .select({ before: auditLog.before, after: auditLog.after })
      .from(auditLog)
      .where(and(eq(auditLog.resourceKey, 'target'), eq(auditLog.action, 'segment.updated')));
    expect(audited).toHaveLength(2);
    for (const a of audited)
      expect([a.before, a.after]).toMatchObject([{ usedBy: ['flag-0', 'flag-1'] }, { usedBy: ['flag-0', 'flag-1'] }]);

    const refused = await req('DELETE', '/segments/target');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'IN_USE', details: { flags: ['flag-0', 'flag-1'] } });
    // A segment nobody uses is deleted, whatever the others.
    expect((await req('POST', '/segments', { key: 'unused', conditions })).status).toBe(201);
    expect((await req('DELETE', '/segments/unused')).status).toBe(200);
  });
});
