import { readFileSync } from 'node:fs';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flags } from '../src/db/schema/index.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

const specDir = new URL('../../../shared/conformance/unleash-client-specification/specifications/', import.meta.url);
const spec = (file: string) => JSON.parse(readFileSync(new URL(file, specDir), 'utf8')).state;

describe.skipIf(!DATABASE_URL)('import from Unleash', () => {
  let server: TestServer;
  let cookie: string;
  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('imports features and segments into one environment and reports what it created', async () => {
    const res = await server.request('POST', '/api/admin/import/unleash', {
      cookie,
      body: { environment: 'staging', data: spec('15-global-constraints.json') },
    });
    expect(res.status).toBe(200);
    expect(res.body.flags.created.length).toBeGreaterThan(3);
    expect(res.body.segments.created).toEqual(['segment-1', 'segment-2', 'segment-3', 'segment-4', 'segment-5']);
    const flag = await server.request('GET', '/api/admin/flags/F9.globalSegmentOn/environments/staging', { cookie });
    expect(flag.body).toMatchObject({ enabled: true, rules: [{ segments: ['segment-1'] }] });
    const again = await server.request('POST', '/api/admin/import/unleash', {
      cookie,
      body: { environment: 'staging', data: spec('15-global-constraints.json') },
    });
    expect(again.body.flags.created).toEqual([]);
    expect(again.body.flags.updated.length).toBe(res.body.flags.created.length);
  });

  it('writes nothing when any part of the export is invalid', async () => {
    const before = (await server.app.db.select({ n: count() }).from(flags))[0]?.n;
    // File 21 carries broken and backtracking-only patterns, which validation refuses.
    const res = await server.request('POST', '/api/admin/import/unleash', {
      cookie,
      body: { environment: 'production', data: spec('21-regex-constraint-operators.json') },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.some((d: { code: string }) => d.code === 'INVALID_REGEX')).toBe(true);
    expect((await server.app.db.select({ n: count() }).from(flags))[0]?.n).toBe(before);
    expect(
      (await server.request('POST', '/api/admin/import/unleash', { cookie, body: { environment: 'nowhere', data: { features: [] } } }))
        .status,
    ).toBe(404);
  });
});
