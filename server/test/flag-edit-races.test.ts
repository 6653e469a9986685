import { and, eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, changeLog, environments, webhookDeliveries } from '../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { runChange } from '../src/domain/changes.ts';
import { changeDeps } from '../src/features/change-deps.ts';
import { patchFlagEnvironment } from '../src/features/flags/service.ts';
import { DATABASE_URL, startTestServer, type TestResponse, type TestServer } from './helpers/test-server.ts';

/**
 * An edit of one environment's config is read and validated before it takes the environment's
 * lock (`writeConfig` in the flags service). These cases hold that lock from a connection of
 * their own, let an edit read, validate and queue behind it, change what the edit read (as a
 * write holding the lock would), and check the edit then answers exactly as if it had waited for
 * the lock before reading.
 */
describe.skipIf(!DATABASE_URL)('edits validated before the environment lock', () => {
  let server: TestServer;
  let cookie: string;
  const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { body, cookie, headers });
  const versionOf = async (flag: string, env: string) => (await req('GET', `/flags/${flag}/environments/${env}`)).body.version as number;
  const revisionOf = async (env: string) =>
    (await server.app.db.select().from(environments).where(eq(environments.key, env)))[0]?.revision as number;

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  /**
   * Sends `request` while another connection holds `env`'s lock; once the request waits for that
   * lock (it has read and validated by then), runs `meanwhile` in the holder's transaction and
   * commits it.
   */
  async function racing(env: string, meanwhile: (holder: pg.Client) => Promise<void>, request: () => Promise<TestResponse>) {
    const holder = new pg.Client({ connectionString: server.config.databaseUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select key from environments where key = $1 for update', [env]);
      const pending = request();
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await holder.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`,
        );
        if ((rows[0]?.n ?? 0) > 0) break;
        if (Date.now() > deadline) throw new Error('the edit never waited for the environment lock');
        await new Promise((r) => setTimeout(r, 20));
      }
      await meanwhile(holder);
      await holder.query('commit');
      return await pending;
    } finally {
      await holder.end();
    }
  }

  it('refuses an edit of a flag archived while it waited, and writes nothing', async () => {
    await req('POST', '/flags', { key: 'gone-soon' });
    const revision = await revisionOf('staging');
    const res = await racing(
      'staging',
      (h) => h.query(`update flags set archived_at = now(), version = version + 1 where key = 'gone-soon'`).then(() => {}),
      () => req('PATCH', '/flags/gone-soon/environments/staging', { enabled: true }, { 'if-match': '"1"' }),
    );
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('archived');
    expect(await revisionOf('staging')).toBe(revision);
    const audits = await server.app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.resourceKey, 'gone-soon'), eq(auditLog.action, 'flag.enabled')));
    expect(audits).toHaveLength(0);
  });

  it('refuses an edit naming a segment deleted while it waited', async () => {
    await req('POST', '/flags', { key: 'seg-user' });
    expect((await req('POST', '/segments', { key: 'vanishing', conditions: [] })).status).toBe(201);
    const revision = await revisionOf('staging');
    const res = await racing(
      'staging',
      (h) => h.query(`delete from segments where key = 'vanishing'`).then(() => {}),
      () => req('PATCH', '/flags/seg-user/environments/staging', { rules: [{ segments: ['vanishing'] }] }, { 'if-match': '"1"' }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: '/rules/0/segments/0', code: 'UNKNOWN_SEGMENT' })]);
    expect(await revisionOf('staging')).toBe(revision);
    expect(await versionOf('seg-user', 'staging')).toBe(1);
  });

  it('answers 412 with the version that won when the same config was edited while it waited', async () => {
    await req('POST', '/flags', { key: 'contended' });
    const res = await racing(
      'staging',
      (h) =>
        h
          .query(`update flag_environments set version = version + 1 where flag_key = 'contended' and environment_key = 'staging'`)
          .then(() => {}),
      () => req('PATCH', '/flags/contended/environments/staging', { enabled: true }, { 'if-match': '"1"' }),
    );
    expect(res.status).toBe(412);
    expect(res.body.error.details).toEqual({ currentVersion: 2 });
  });

  /** The audit rows and webhook deliveries written for `flag`. */
  const recorded = async (flag: string) => {
    const audits = await server.app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.resourceType, 'flag'), eq(auditLog.resourceKey, flag)))
      .orderBy(auditLog.id);
    const all = await server.app.db.select().from(webhookDeliveries).orderBy(webhookDeliveries.id);
    const deliveries = all.filter((d) => (d.payload as { resource: { key: string } }).resource.key === flag);
    return { audits: audits.map((a) => a.action), deliveries: deliveries.map((d) => d.event) };
  };

  it('logs what SDKs must see when the flag changed while it waited: the change is worked out again under the lock', async () => {
    // A subscriber, so the outbox (written in the same statement as the audit row) is checked too.
    const hook = await req('POST', '/webhooks', { name: 'races', url: 'http://127.0.0.1:9/hook', events: ['flag.*'], allowPrivate: true });
    expect(hook.status).toBe(201);
    await req('POST', '/flags', { key: 'shown-later' });
    const revision = await revisionOf('staging');
    const res = await racing(
      'staging',
      (h) => h.query(`update flags set client_visible = true, version = version + 1 where key = 'shown-later'`).then(() => {}),
      () => req('PATCH', '/flags/shown-later/environments/staging', { enabled: true }, { 'if-match': '"1"' }),
    );
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(2);
    expect(await revisionOf('staging')).toBe(revision + 1);
    const [row] = await server.app.db
      .select()
      .from(changeLog)
      .where(and(eq(changeLog.environmentKey, 'staging'), eq(changeLog.revision, revision + 1)));
    expect(row?.change).toEqual({
      op: 'flag',
      key: 'shown-later',
      flag: { key: 'shown-later', enabled: true, rules: [], clientVisible: true },
    });
    // The compare-and-set that found the flag moved wrote no audit row or delivery; the edit under
    // the lock wrote one of each.
    expect(await recorded('shown-later')).toEqual({
      audits: ['flag.created', 'flag.enabled'],
      deliveries: ['flag.created', 'flag.enabled'],
    });
    // An edit nothing raced: one of each too.
    const again = await req('PATCH', '/flags/shown-later/environments/staging', { enabled: false }, { 'if-match': '"2"' });
    expect(again.status).toBe(200);
    expect(await recorded('shown-later')).toEqual({
      audits: ['flag.created', 'flag.enabled', 'flag.disabled'],
      deliveries: ['flag.created', 'flag.enabled', 'flag.disabled'],
    });
    await req('DELETE', `/webhooks/${hook.body.id}`);
  });

  it('applies a change with no version (scheduled, ramped) to what is current after the wait', async () => {
    await req('POST', '/flags', { key: 'scheduled' });
    // What the scheduler runs: a patch of whatever version is current, merged into it.
    const res = await racing(
      'staging',
      (h) =>
        h
          .query(
            `update flag_environments set version = version + 1,
               config = '{"rules":[{"id":"kept","rollout":{"percentage":5,"stickiness":"userId"}}]}'
             where flag_key = 'scheduled' and environment_key = 'staging'`,
          )
          .then(() => {}),
      async () => {
        const row = await runChange(changeDeps(server.app), SYSTEM_ACTOR, (c) =>
          patchFlagEnvironment(c, 'scheduled', 'staging', undefined, { enabled: true }, 'flag.scheduled_change'),
        );
        return { status: 200, headers: new Headers(), body: row, text: '' };
      },
    );
    expect(res.body).toMatchObject({ version: 3, enabled: true, config: { rules: [{ id: 'kept' }] } });
    const current = (await req('GET', '/flags/scheduled/environments/staging')).body;
    expect(current).toMatchObject({ version: 3, enabled: true, rules: [{ id: 'kept' }] });
  });

  it('keeps revisions consecutive, one change-log and audit row each, under 16 concurrent editors', async () => {
    const keys = Array.from({ length: 16 }, (_, i) => `busy-${i}`);
    for (const key of keys) await req('POST', '/flags', { key });
    const revision = await revisionOf('production');
    const rounds = 5;
    await Promise.all(
      keys.map(async (key) => {
        for (let n = 0; n < rounds; n++) {
          const res = await req(
            'PATCH',
            `/flags/${key}/environments/production`,
            { enabled: n % 2 === 0, rules: [{ rollout: { percentage: n, stickiness: 'userId' } }] },
            { 'if-match': `"${n + 1}"` },
          );
          expect(res.status).toBe(200);
        }
      }),
    );
    expect(await revisionOf('production')).toBe(revision + keys.length * rounds);
    const rows = await server.app.db.select().from(changeLog).where(eq(changeLog.environmentKey, 'production'));
    const mine = rows.filter((r) => r.revision > revision).sort((a, b) => a.revision - b.revision);
    expect(mine.map((r) => r.revision)).toEqual(Array.from({ length: keys.length * rounds }, (_, i) => revision + 1 + i));
    // Each flag's rows, in revision order, are its versions 2..6 in order.
    for (const key of keys) {
      const percentages = mine
        .filter((r) => r.change.op === 'flag' && r.change.key === key)
        .map((r) => (r.change as { flag: { rules: Array<{ rollout: { percentage: number } }> } }).flag.rules[0]?.rollout.percentage);
      expect(percentages).toEqual([0, 1, 2, 3, 4]);
      expect(await versionOf(key, 'production')).toBe(rounds + 1);
    }
    const audits = await server.app.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.environmentKey, 'production'), eq(auditLog.resourceType, 'flag')));
    expect(audits.filter((a) => keys.includes(a.resourceKey))).toHaveLength(keys.length * rounds);
  });
});
