import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream, type SseStream } from '../../../server/test/helpers/sse.ts';
import { createDatabase } from '../support/databases.ts';
import { adminClient, type ServerProcess, startServerProcess } from '../support/server-process.ts';

const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) {
  console.warn('\n*** DATABASE_URL or REDIS_URL is not set: the change-request replica tests are SKIPPED. .ci/run sets both. ***\n');
}

type Client = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** A logged-in user of one replica (the session is in the shared database, so it works on both). */
async function login(url: string, email: string, password: string): Promise<Client> {
  const res = await fetch(`${url}/api/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`login ${email}: ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return async (method, path, body) => {
    const r = await fetch(`${url}/api/admin${path}`, {
      method,
      headers: { cookie, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
}

/**
 * Issue 17's race: two approvers on two replicas (separate processes on one Postgres, Redis between
 * them) approve and then apply the same request at the same moment. Each request applies exactly
 * once: one apply wins, the other is told it was applied already, the flag gets one new version and
 * one change-log row, and SDK streams on the other replica receive the change.
 */
describe.skipIf(!DATABASE_URL || !REDIS_URL)('change requests across two replicas', () => {
  let drop: () => Promise<void>;
  let dbUrl: string;
  let a: ServerProcess;
  let b: ServerProcess;
  let stream: SseStream | undefined;
  const ROUNDS = 6;

  beforeAll(async () => {
    const db = await createDatabase(DATABASE_URL as string, 'sb_change_requests');
    drop = db.drop;
    dbUrl = db.url;
    const env = { DATABASE_URL: dbUrl, REDIS_URL: REDIS_URL as string, DELIVERY_CHECK_MS: '5000' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  }, 90_000);

  afterAll(async () => {
    stream?.close();
    await Promise.all([a?.kill(), b?.kill()]);
    await drop?.();
  });

  it('applies each approved request exactly once when two approvers race on two replicas', async () => {
    const admin = await adminClient(a.url);
    for (const name of ['alice', 'bob', 'carol']) {
      const res = await admin('POST', '/users', { email: `${name}@example.test`, name, password: 'a-good-password', role: 'editor' });
      expect(res.status).toBe(201);
    }
    const alice = await login(a.url, 'alice@example.test', 'a-good-password');
    const bobOnA = await login(a.url, 'bob@example.test', 'a-good-password');
    const carolOnB = await login(b.url, 'carol@example.test', 'a-good-password');
    const flags = Array.from({ length: ROUNDS }, (_, i) => `race-${i}`);
    for (const key of flags) expect((await admin('POST', '/flags', { key })).status).toBe(201);
    const settings = await admin('GET', '/environments/production');
    expect(
      (await admin('PATCH', '/environments/production/settings', { requiredApprovals: 2, version: settings.body.version })).status,
    ).toBe(200);
    // A direct write is refused on either replica.
    const direct = await bobOnA('PATCH', `/flags/${flags[0]}/environments/production`, { enabled: true, version: 1 });
    expect(direct.body.error.code).toBe('APPROVAL_REQUIRED');

    const sdkKey = (await admin('POST', '/keys', { name: 'backend', environment: 'production', kind: 'server' })).body.secret as string;
    stream = await openStream(`${b.url}/api/sdk/stream`, { authorization: sdkKey });
    await stream.waitFor((e) => e.event === 'snapshot');

    for (const key of flags) {
      const cr = await alice('POST', '/change-requests', {
        environment: 'production',
        title: `Turn ${key} on`,
        change: { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { enabled: true, rules: [{ rollout: { percentage: 25 } }] } },
      });
      expect(cr.status).toBe(201);
      const id = cr.body.id as string;
      const approvals = await Promise.all([
        bobOnA('POST', `/change-requests/${id}/reviews`, { decision: 'approve' }),
        carolOnB('POST', `/change-requests/${id}/reviews`, { decision: 'approve' }),
      ]);
      expect(approvals.map((r) => r.status)).toEqual([200, 200]);
      const approved = (await alice('GET', `/change-requests/${id}`)).body;
      expect(approved).toMatchObject({ state: 'approved', approvals: 2 });
      const applies = await Promise.all([
        bobOnA('POST', `/change-requests/${id}/apply`, { version: approved.version }),
        carolOnB('POST', `/change-requests/${id}/apply`, { version: approved.version }),
      ]);
      const statuses = applies.map((r) => r.status).sort();
      expect(statuses, JSON.stringify(applies.map((r) => r.body))).toEqual([200, 409]);
      const loser = applies.find((r) => r.status === 409);
      expect(loser?.body.error).toMatchObject({ code: 'CONFLICT', details: { state: 'applied', resultVersion: 2 } });
      const config = await admin('GET', `/flags/${key}/environments/production`);
      expect(config.body).toMatchObject({ enabled: true, version: 2 });
    }

    // Exactly one change of each flag in production: besides its creation, one change-log row and one audit row.
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    try {
      const changes = await client.query(
        `select change->>'key' as key, count(*)::int as n from change_log where environment_key = 'production' and change->>'key' like 'race-%' group by 1 order by 1`,
      );
      expect(changes.rows).toEqual(flags.map((key) => ({ key, n: 2 })));
      const applied = await client.query(`select count(*)::int as n from audit_log where action = 'change_request.applied'`);
      expect(applied.rows[0].n).toBe(ROUNDS);
      const configured = await client.query(
        `select count(*)::int as n from audit_log where action = 'flag.configured' and environment_key = 'production' and resource_key like 'race-%'`,
      );
      expect(configured.rows[0].n).toBe(ROUNDS);
    } finally {
      await client.end();
    }
    // SDK clients of replica B heard of every applied change.
    const live = stream;
    await live.waitFor(() => flags.every((k) => live.events.some((e) => e.event === 'patch' && e.data.includes(`"${k}"`))), 10_000);
  });
});
