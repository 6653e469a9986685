import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, changeLog, environments } from '../src/db/schema/index.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

describe.skipIf(!DATABASE_URL)('flags on Postgres', () => {
  let server: TestServer;
  let cookie: string;
  const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { body, cookie, headers });

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates, reads, lists and searches flags', async () => {
    const created = await req('POST', '/flags', {
      key: 'new-checkout',
      name: 'New checkout',
      tags: ['payments', 'q3'],
      description: 'The one-page checkout',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'new-checkout', version: 1, archived: false, clientVisible: false });
    expect(Object.keys(created.body.environments).sort()).toEqual(['development', 'production', 'staging']);
    expect(created.headers.get('etag')).toBe('"1"');
    await req('POST', '/flags', { key: 'dark-mode', tags: ['ui'] });

    expect((await req('GET', '/flags/new-checkout')).body.name).toBe('New checkout');
    expect((await req('GET', '/flags?q=one-page')).body.flags.map((f: { key: string }) => f.key)).toEqual(['new-checkout']);
    expect((await req('GET', '/flags?q=PAYM')).body.flags.map((f: { key: string }) => f.key)).toEqual(['new-checkout']);
    expect((await req('GET', '/flags?tag=ui')).body.flags.map((f: { key: string }) => f.key)).toEqual(['dark-mode']);
    expect((await req('GET', '/flags?q=%25')).body.total).toBe(0);
    expect((await req('GET', '/flags/nope')).status).toBe(404);
    expect((await req('POST', '/flags', { key: 'dark-mode' })).body.error.code).toBe('CONFLICT');
  });

  it('updates metadata only with the current version: 428 without, 412 when stale', async () => {
    expect((await req('PATCH', '/flags/dark-mode', { name: 'Dark mode' })).status).toBe(428);
    const ok = await req('PATCH', '/flags/dark-mode', { name: 'Dark mode' }, { 'if-match': '"1"' });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(2);
    const stale = await req('PATCH', '/flags/dark-mode', { name: 'Other' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ code: 'VERSION_MISMATCH', details: { currentVersion: 2 } });
    expect((await req('PATCH', '/flags/dark-mode', { name: 'Via body', version: 2 })).status).toBe(200);
  });

  it('configures an environment, validates with core, bumps the revision and logs the change', async () => {
    const db = server.app.db;
    const [before] = await db.select().from(environments).where(eq(environments.key, 'production'));
    const bad = await req(
      'PATCH',
      '/flags/new-checkout/environments/production',
      { rules: [{ conditions: [{ attribute: 'v', operator: 'SEMVER_GT', values: ['one'] }] }] },
      { 'if-match': '"1"' },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error.details[0]).toMatchObject({ path: '/rules/0/conditions/0/values/0', code: 'BAD_VALUE' });

    const res = await req(
      'PATCH',
      '/flags/new-checkout/environments/production',
      {
        enabled: true,
        rules: [
          {
            conditions: [{ attribute: 'country', operator: 'IN', values: ['NO', 'SE'] }],
            rollout: { percentage: 12.5, stickiness: 'userId' },
          },
        ],
      },
      { 'if-match': '"1"' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ enabled: true, version: 2, rules: [{ rollout: { percentage: 12.5 } }] });
    expect(res.body.rules[0].id).toMatch(/^r_[0-9a-f]{12}$/);

    const [after] = await db.select().from(environments).where(eq(environments.key, 'production'));
    expect(after?.revision).toBe((before?.revision ?? 0) + 1);
    const [logRow] = await db
      .select()
      .from(changeLog)
      .where(and(eq(changeLog.environmentKey, 'production'), eq(changeLog.revision, after?.revision ?? -1)));
    expect(logRow?.change).toMatchObject({ op: 'flag', key: 'new-checkout', flag: { enabled: true, clientVisible: false } });
  });

  it('keeps every version and reverts to any of them as a new version', async () => {
    await req('PATCH', '/flags/new-checkout/environments/production', { enabled: false }, { 'if-match': '"2"' });
    const versions = await req('GET', '/flags/new-checkout/environments/production/versions');
    expect(versions.body.versions.map((v: { version: number; enabled: boolean }) => [v.version, v.enabled])).toEqual([
      [3, false],
      [2, true],
      [1, false],
    ]);
    const reverted = await req('POST', '/flags/new-checkout/environments/production/revert', { toVersion: 2 }, { 'if-match': '"3"' });
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ version: 4, enabled: true, rules: [{ rollout: { percentage: 12.5 } }] });
    const history = await req('GET', '/flags/new-checkout/audit?environment=production');
    expect(history.body.entries[0]).toMatchObject({
      action: 'flag.reverted',
      actorName: 'admin@example.test',
      before: { version: 3 },
      after: { version: 4 },
    });
  });

  it('lets exactly one of 50 concurrent updates with the same version win, with one audit row', async () => {
    const current = (await req('GET', '/flags/dark-mode/environments/staging')).body.version as number;
    const db = server.app.db;
    const countAudit = async () =>
      (
        await db
          .select({ n: count() })
          .from(auditLog)
          .where(and(eq(auditLog.resourceKey, 'dark-mode'), eq(auditLog.environmentKey, 'staging')))
      )[0]?.n ?? 0;
    const auditBefore = await countAudit();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        req(
          'PATCH',
          '/flags/dark-mode/environments/staging',
          { enabled: i % 2 === 0, rules: [{ id: `r${i}` }] },
          { 'if-match': `"${current}"` },
        ),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(49);
    for (const r of results.filter((x) => x.status === 412)) expect(r.body.error.details).toEqual({ currentVersion: current + 1 });
    expect(await countAudit()).toBe(auditBefore + 1);
    expect((await req('GET', '/flags/dark-mode/environments/staging')).body.version).toBe(current + 1);
  });

  it('answers the loser of a race of two edits with the version that won, not the one it sent', async () => {
    await req('POST', '/flags', { key: 'race' });
    for (let round = 0; round < 8; round++) {
      const sent = (await req('GET', '/flags/race/environments/development')).body.version as number;
      const [a, b] = await Promise.all(
        ['a', 'b'].map((id) =>
          req('PATCH', '/flags/race/environments/development', { rules: [{ id: `${id}${round}` }] }, { 'if-match': `"${sent}"` }),
        ),
      );
      const statuses = [a?.status, b?.status].sort();
      expect(statuses).toEqual([200, 412]);
      const loser = a?.status === 412 ? a : b;
      expect(loser?.body.error.details).toEqual({ currentVersion: sent + 1 });
      expect(loser?.body.error.message).toContain(`version ${sent + 1}`);
      // Flag metadata: the same race, the same answer.
      const flagVersion = (await req('GET', '/flags/race')).body.version as number;
      const meta = await Promise.all(
        ['one', 'two'].map((name) => req('PATCH', '/flags/race', { name: `${name}${round}` }, { 'if-match': `"${flagVersion}"` })),
      );
      const metaLoser = meta.find((r) => r.status === 412);
      expect(meta.map((r) => r.status).sort()).toEqual([200, 412]);
      expect(metaLoser?.body.error.details).toEqual({ currentVersion: flagVersion + 1 });
    }
  });

  it('creates a multivariate flag with its variants in every environment, and clears a variant stickiness', async () => {
    const created = await req('POST', '/flags', {
      key: 'pricing',
      kind: 'multivariate',
      variants: [
        { name: 'low', weight: 500, payload: { type: 'number', value: '9' } },
        { name: 'high', weight: 500, payload: { type: 'number', value: '12' } },
      ],
      variantStickiness: 'accountId',
    });
    expect(created.status).toBe(201);
    for (const env of ['development', 'staging', 'production']) {
      expect((await req('GET', `/flags/pricing/environments/${env}`)).body).toMatchObject({
        version: 1,
        variantStickiness: 'accountId',
        variants: [{ name: 'low' }, { name: 'high' }],
      });
    }
    const cleared = await req('PATCH', '/flags/pricing/environments/staging', { variantStickiness: null }, { 'if-match': '"1"' });
    expect(cleared.status).toBe(200);
    expect(cleared.body.variantStickiness).toBeUndefined();
    expect(
      (await req('POST', '/flags', { key: 'bad-json', variants: [{ name: 'x', weight: 1, payload: { type: 'json', value: '{' } }] }))
        .status,
    ).toBe(400);
  });

  it('archives, restores, and deletes only archived flags', async () => {
    await req('POST', '/flags', { key: 'temp' });
    expect((await req('DELETE', '/flags/temp')).status).toBe(409);
    expect((await req('POST', '/flags/temp/archive')).body.archived).toBe(true);
    expect((await req('GET', '/flags')).body.flags.map((f: { key: string }) => f.key)).not.toContain('temp');
    expect((await req('GET', '/flags?state=archived')).body.flags.map((f: { key: string }) => f.key)).toEqual(['temp']);
    expect((await req('PATCH', '/flags/temp/environments/development', { enabled: true }, { 'if-match': '"1"' })).status).toBe(409);
    expect((await req('POST', '/flags/temp/restore')).body.archived).toBe(false);
    await req('POST', '/flags/temp/archive');
    expect((await req('DELETE', '/flags/temp')).status).toBe(200);
    expect((await req('GET', '/flags/temp')).status).toBe(404);
  });

  it('finds stale flags: older than a week and not evaluated for a week', async () => {
    const { flags } = await import('../src/db/schema/index.ts');
    await server.app.db
      .update(flags)
      .set({ createdAt: new Date(Date.now() - 30 * 86_400_000) })
      .where(eq(flags.key, 'dark-mode'));
    expect((await req('GET', '/flags?stale=true')).body.flags.map((f: { key: string }) => f.key)).toEqual(['dark-mode']);
    expect((await req('GET', '/flags?stale=false')).body.flags.map((f: { key: string }) => f.key)).not.toContain('dark-mode');
  });

  it('answers 409, not 500, when two creates of one key race, and serializes dependency checks', async () => {
    const [a, b] = await Promise.all([req('POST', '/flags', { key: 'racy' }), req('POST', '/flags', { key: 'racy' })]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    for (const k of ['rx', 'ry', 'rz']) await req('POST', '/flags', { key: k });
    const [x, y] = await Promise.all([
      req('PATCH', '/flags/rx/environments/staging', { dependencies: [{ flag: 'ry' }] }, { 'if-match': '"1"' }),
      req('PATCH', '/flags/ry/environments/staging', { dependencies: [{ flag: 'rz' }] }, { 'if-match': '"1"' }),
    ]);
    // One of them must see the other's dependency and refuse: dependencies stay one level deep.
    expect([x.status, y.status].sort()).toEqual([200, 400]);
  });

  it('lets an environment be deleted and created again under the same key', async () => {
    await req('POST', '/environments', { key: 'qa', name: 'QA' });
    expect((await req('PATCH', '/flags/dark-mode/environments/qa', { enabled: true }, { 'if-match': '"1"' })).status).toBe(200);
    expect((await req('DELETE', '/environments/qa')).status).toBe(200);
    await req('POST', '/environments', { key: 'qa', name: 'QA again' });
    expect((await req('POST', '/flags', { key: 'after-qa' })).status).toBe(201);
    expect((await req('PATCH', '/flags/dark-mode/environments/qa', { enabled: true }, { 'if-match': '"1"' })).status).toBe(200);
    const versions = (await req('GET', '/flags/dark-mode/environments/qa/versions')).body.versions.map(
      (v: { version: number }) => v.version,
    );
    expect(versions).toEqual([2, 1]);
  });

  it('filters by state in an environment', async () => {
    const on = await req('GET', '/flags?environment=production&enabled=true');
    expect(on.body.flags.map((f: { key: string }) => f.key)).toEqual(['new-checkout']);
    const off = await req('GET', '/flags?environment=production&enabled=false');
    expect(off.body.flags.map((f: { key: string }) => f.key)).toContain('dark-mode');
    expect(off.body.flags.map((f: { key: string }) => f.key)).not.toContain('new-checkout');
  });

  it('keeps dependencies one level deep and refuses cycles', async () => {
    await req('POST', '/flags', { key: 'parent' });
    await req('POST', '/flags', { key: 'child' });
    const ok = await req('PATCH', '/flags/child/environments/development', { dependencies: [{ flag: 'parent' }] }, { 'if-match': '"1"' });
    expect(ok.status).toBe(200);
    const cycle = await req(
      'PATCH',
      '/flags/parent/environments/development',
      { dependencies: [{ flag: 'child' }] },
      { 'if-match': '"1"' },
    );
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.details.map((d: { code: string }) => d.code)).toContain('DEPENDENCY_CYCLE');
    const missing = await req(
      'PATCH',
      '/flags/parent/environments/development',
      { dependencies: [{ flag: 'ghost' }] },
      { 'if-match': '"1"' },
    );
    expect(missing.body.error.details[0].code).toBe('UNKNOWN_FLAG');
    const archive = await req('POST', '/flags/parent/archive');
    expect(archive.status).toBe(409);
    expect(archive.body.error).toMatchObject({ code: 'IN_USE', details: { flags: ['child'] } });
  });
});

describe.skipIf(!DATABASE_URL)('segments on Postgres', () => {
  let server: TestServer;
  let cookie: string;
  const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { body, cookie, headers });

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses to delete a segment in use, naming the flags', async () => {
    const created = await req('POST', '/segments', {
      key: 'beta-testers',
      name: 'Beta testers',
      conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.io'] }],
    });
    expect(created.status).toBe(201);
    await req('POST', '/flags', { key: 'beta-banner' });
    expect(
      (await req('PATCH', '/flags/beta-banner/environments/staging', { rules: [{ segments: ['no-such'] }] }, { 'if-match': '"1"' })).body
        .error.details[0].code,
    ).toBe('UNKNOWN_SEGMENT');
    expect(
      (await req('PATCH', '/flags/beta-banner/environments/staging', { rules: [{ segments: ['beta-testers'] }] }, { 'if-match': '"1"' }))
        .status,
    ).toBe(200);
    expect((await req('GET', '/segments/beta-testers')).body.usedBy).toEqual(['beta-banner']);
    const refused = await req('DELETE', '/segments/beta-testers');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'IN_USE', details: { flags: ['beta-banner'] } });
    await req('PATCH', '/flags/beta-banner/environments/staging', { rules: [] }, { 'if-match': '"2"' });
    expect((await req('DELETE', '/segments/beta-testers')).status).toBe(200);
  });

  it('updates a segment with its version and validates conditions', async () => {
    await req('POST', '/segments', { key: 'nordics', conditions: [{ attribute: 'country', operator: 'IN', values: ['NO'] }] });
    expect(
      (await req('PATCH', '/segments/nordics', { conditions: [{ attribute: 'country', operator: 'IN', values: ['NO', 'SE'] }] })).status,
    ).toBe(428);
    const ok = await req(
      'PATCH',
      '/segments/nordics',
      { conditions: [{ attribute: 'country', operator: 'IN', values: ['NO', 'SE'] }] },
      { 'if-match': '"1"' },
    );
    expect(ok.body).toMatchObject({ version: 2, conditions: [{ values: ['NO', 'SE'] }] });
    const bad = await req(
      'PATCH',
      '/segments/nordics',
      { conditions: [{ attribute: 'x', operator: 'REGEX', values: ['(a'] }] },
      { 'if-match': '"2"' },
    );
    expect(bad.body.error.details[0].code).toBe('INVALID_REGEX');
  });
});
