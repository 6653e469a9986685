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

describe.skipIf(!DATABASE_URL)('key validation on every import path', () => {
  const BAD_KEYS = ['../../users', '__proto__', '<svg onload=alert(1)>', 'constructor ', 'a/b', '.hidden', "x'--"];
  let server: TestServer;
  let cookie: string;
  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'existing' } });
  });
  afterAll(async () => {
    await server?.close();
  });
  const flagDoc = (key: string, environments: Record<string, unknown> = {}) => ({
    version: 1,
    flags: [
      { key: 'fine-one', name: 'Fine', description: '', kind: 'boolean', tags: [], clientVisible: true, environments: {} },
      { key, name: 'Bad', description: '', kind: 'boolean', tags: [], clientVisible: true, environments },
    ],
    segments: [],
  });

  it('refuses bad flag keys in a transfer document, even with no environments, and writes nothing', async () => {
    const { dbFingerprint } = await import('./helpers/db-fingerprint.ts');
    const before = await dbFingerprint(server);
    for (const key of BAD_KEYS) {
      for (const dryRun of [false, true]) {
        const res = await server.request('POST', '/api/admin/import', { cookie, body: { document: flagDoc(key), dryRun } });
        expect(res.status, key).toBe(400);
        expect(res.body.error.code).toBe('VALIDATION_FAILED');
        expect(JSON.stringify(res.body.error.details)).toContain('/document/flags/1');
      }
    }
    const badSegment = await server.request('POST', '/api/admin/import', {
      cookie,
      body: { document: { version: 1, flags: [], segments: [{ key: '../x', name: 'x', description: '', conditions: [] }] } },
    });
    expect(badSegment.status).toBe(400);
    expect(badSegment.body.error.code).toBe('VALIDATION_FAILED');
    expect(await dbFingerprint(server)).toBe(before);
    const listed = (await server.request('GET', '/api/admin/flags', { cookie })).body;
    expect(JSON.stringify(listed)).not.toContain('fine-one');
  });

  it('refuses bad feature names in an Unleash export (also with no strategies), and writes nothing', async () => {
    const { dbFingerprint } = await import('./helpers/db-fingerprint.ts');
    const before = await dbFingerprint(server);
    for (const name of BAD_KEYS) {
      const res = await server.request('POST', '/api/admin/import/unleash', {
        cookie,
        body: {
          environment: 'production',
          data: {
            version: 1,
            features: [
              { name: 'fine-two', enabled: true, strategies: [] },
              { name, enabled: true, strategies: [] },
            ],
          },
        },
      });
      expect(res.status, name).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect(await dbFingerprint(server)).toBe(before);
  });

  it('still imports a document whose keys are all good', async () => {
    const res = await server.request('POST', '/api/admin/import', { cookie, body: { document: flagDoc('good.key:1') } });
    expect(res.status).toBe(200);
    expect(res.body.flags.created).toEqual(['fine-one', 'good.key:1']);
  });
});

/**
 * A JSON import changes segments in every environment at once, so approvals are asked of each
 * environment where a segment it overwrites is used, not only of those its flags name.
 */
describe.skipIf(!DATABASE_URL)('approvals on a JSON import that overwrites used segments', () => {
  let server: TestServer;
  let cookie: string;
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { cookie, body, headers });
  const segment = (key: string, values: string[]) => ({
    key,
    name: key,
    description: '',
    conditions: [{ attribute: 'country', operator: 'IN', values }],
  });
  const stagingFlag = {
    key: 'staging-only',
    name: 'Staging only',
    description: '',
    kind: 'boolean',
    tags: [],
    clientVisible: false,
    environments: { staging: { enabled: true } },
  };

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    // `segment-1` is the key the Unleash export's first segment imports under.
    for (const key of ['nordics', 'unused', 'segment-1']) expect((await admin('POST', '/segments', segment(key, ['NO']))).status).toBe(201);
    expect((await admin('POST', '/flags', { key: 'checkout' })).status).toBe(201);
    const used = await admin(
      'PATCH',
      '/flags/checkout/environments/production',
      { rules: [{ segments: ['nordics'] }, { segments: ['segment-1'] }] },
      { 'if-match': '"1"' },
    );
    expect(used.status).toBe(200);
    const production = (await admin('GET', '/environments/production')).body;
    const gated = await admin('PATCH', '/environments/production/settings', { requiredApprovals: 1, version: production.version });
    expect(gated.status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses with APPROVAL_REQUIRED naming the environment the segment reaches, and writes nothing', async () => {
    const { dbFingerprint } = await import('./helpers/db-fingerprint.ts');
    const before = await dbFingerprint(server);
    const document = { version: 1, flags: [stagingFlag], segments: [segment('nordics', ['NO', 'SE'])] };
    for (const body of [{ document }, { document, environment: 'staging' }]) {
      const res = await admin('POST', '/import', body);
      expect(res.status, JSON.stringify(body)).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'APPROVAL_REQUIRED', details: { environment: 'production', requiredApprovals: 1 } });
    }
    expect(await dbFingerprint(server)).toBe(before);
    expect((await admin('GET', '/segments/nordics')).body.conditions[0].values).toEqual(['NO']);
  });

  it('refuses an Unleash import into staging that overwrites a segment production uses, and writes nothing', async () => {
    const { dbFingerprint } = await import('./helpers/db-fingerprint.ts');
    const before = await dbFingerprint(server);
    const res = await admin('POST', '/import/unleash', { environment: 'staging', data: spec('15-global-constraints.json') });
    expect(res.status, res.text).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'APPROVAL_REQUIRED', details: { environment: 'production', requiredApprovals: 1 } });
    expect(await dbFingerprint(server)).toBe(before);
  });

  it('still imports segments used nowhere gated, and new ones, directly', async () => {
    const document = { version: 1, flags: [stagingFlag], segments: [segment('unused', ['SE']), segment('brand-new', ['FI'])] };
    const res = await admin('POST', '/import', { document });
    expect(res.status).toBe(200);
    expect(res.body.segments).toEqual({ created: ['brand-new'], updated: ['unused'] });
  });
});
