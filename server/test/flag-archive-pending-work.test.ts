import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, webhookDeliveries } from '../src/db/schema/index.ts';
import { changeDeps } from '../src/features/change-deps.ts';
import { advanceDueRamps } from '../src/features/ramps/service.ts';
import { applyDueSchedules, schedulerActor } from '../src/features/schedules/service.ts';
import { rampKit } from './helpers/ramp-kit.ts';
import { ADMIN, DATABASE_URL, type TestServer } from './helpers/test-server.ts';

/**
 * Archiving a flag ends what is queued against it (ramp plans, scheduled changes, change requests)
 * in the archive's own transaction, each with its audit row; deleting it removes their rows, so a
 * flag re-created under the key starts clean. The scheduler is slowed down so the test drives it.
 */
describe.skipIf(!DATABASE_URL)('archiving and deleting a flag with pending work', () => {
  let server: TestServer;
  const kit = rampKit({ waitMs: 5000 });
  const { req, flagWith, planRamp } = kit;
  const ok = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await req(method, path, body, headers);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const auditOf = (keys: string[]) =>
    server.app.db
      .select({ action: auditLog.action, key: auditLog.resourceKey, actorName: auditLog.actorName, after: auditLog.after })
      .from(auditLog)
      .where(inArray(auditLog.resourceKey, keys));

  const flag = 'doomed';
  const ids = { production: '', staging: '', schedule: '', request: '' };

  beforeAll(async () => {
    server = await kit.start({ SCHEDULER_INTERVAL_MS: '60000' });
    await ok('POST', '/webhooks', {
      name: 'pending work',
      url: 'http://127.0.0.1:9/hook',
      events: ['ramp.*', 'schedule.*', 'change_request.*'],
      allowPrivate: true,
    });
    const rules = [{ id: 'main', rollout: { percentage: 0.5 } }];
    expect((await flagWith(flag, { enabled: true, rules })).status).toBe(200);
    await ok('PATCH', `/flags/${flag}/environments/staging`, { enabled: true, rules }, { 'if-match': '"1"' });
    // A running plan in production (its next step due at once) and a paused one in staging.
    const steps = [
      { percentage: 1, holdSeconds: 0 },
      { percentage: 5, holdSeconds: 0 },
    ];
    ids.production = (await planRamp(flag, steps)).body.id;
    expect((await ok('POST', `/ramps/${ids.production}/start`)).state).toBe('running');
    ids.staging = (await planRamp(flag, steps, { environment: 'staging' })).body.id;
    await ok('POST', `/ramps/${ids.staging}/start`);
    expect((await ok('POST', `/ramps/${ids.staging}/pause`)).state).toBe('paused');
    // A scheduled change due now: the next pass would apply it.
    ids.schedule = (
      await ok('POST', `/flags/${flag}/environments/production/schedule`, { at: new Date().toISOString(), patch: { enabled: false } })
    ).id;
    // An open change request in staging, which now needs one approval.
    const staging = await ok('GET', '/environments/staging');
    await ok('PATCH', '/environments/staging/settings', { requiredApprovals: 1, version: staging.version });
    const current = await ok('GET', `/flags/${flag}/environments/staging`);
    const proposed = await ok('POST', '/change-requests', {
      environment: 'staging',
      title: 'Off in staging',
      change: { kind: 'flag-config', flagKey: flag, baseVersion: current.version, config: { enabled: false, rules } },
    });
    expect(proposed.state).toBe('open');
    ids.request = proposed.id;
  });
  afterAll(() => kit.close());

  it('archiving aborts its plans, cancels its scheduled changes and withdraws its requests, each audited', async () => {
    expect((await ok('GET', `/flags/${flag}`)).environments.staging.openChangeRequests).toBe(1);
    await ok('POST', `/flags/${flag}/archive`);

    for (const id of [ids.production, ids.staging]) {
      expect(await ok('GET', `/ramps/${id}`)).toMatchObject({ state: 'aborted', reason: 'flag archived', nextStepAt: null });
    }
    const [schedule] = (await ok('GET', `/schedules?flag=${flag}`)).schedules;
    expect(schedule).toMatchObject({ id: ids.schedule, state: 'cancelled', appliedAt: null });
    expect((await ok('GET', `/change-requests/${ids.request}`)).state).toBe('withdrawn');
    expect((await ok('GET', `/flags/${flag}`)).environments.staging.openChangeRequests).toBe(0);

    // One row per write, by the person who archived, as their own action would have written.
    const rows = await auditOf([ids.production, ids.staging, ids.request, flag]);
    const endings = rows.filter((r) => ['ramp.aborted', 'schedule.cancelled', 'change_request.withdrawn'].includes(r.action));
    expect(endings.map((r) => `${r.action} ${r.key}`).sort()).toEqual(
      [
        `change_request.withdrawn ${ids.request}`,
        `ramp.aborted ${ids.production}`,
        `ramp.aborted ${ids.staging}`,
        `schedule.cancelled ${flag}`,
      ].sort(),
    );
    expect(new Set(endings.map((r) => r.actorName))).toEqual(new Set([ADMIN.email]));
    expect(endings.find((r) => r.action === 'schedule.cancelled')?.after).toMatchObject({ id: ids.schedule, reason: 'flag archived' });
    expect(endings.find((r) => r.action === 'change_request.withdrawn')?.after).toMatchObject({ closedBecause: 'flag archived' });
    // And the webhooks a person's action fires.
    const hooks = await server.app.db
      .select({ event: webhookDeliveries.event })
      .from(webhookDeliveries)
      .where(inArray(webhookDeliveries.event, ['ramp.aborted', 'schedule.cancelled', 'change_request.withdrawn']));
    expect(hooks.map((h) => h.event).sort()).toEqual(['change_request.withdrawn', 'ramp.aborted', 'ramp.aborted', 'schedule.cancelled']);
  });

  it('leaves the scheduler nothing to do for them, and a restore brings none back', async () => {
    const count = async () => (await server.app.db.select({ n: sql<number>`count(*)::int` }).from(auditLog).where(sql`true`))[0]?.n ?? 0;
    const before = await count();
    const deps = changeDeps(server.app);
    const later = new Date(Date.now() + 3_600_000);
    expect(await advanceDueRamps(deps, schedulerActor(null), later)).toBe(0);
    expect(await applyDueSchedules(deps, later)).toBe(0);
    expect(await count()).toBe(before);
    // Nor can a new plan land on the archived flag.
    const planned = await planRamp(flag, [{ percentage: 50, holdSeconds: 60 }]);
    expect(planned.status, planned.text).toBe(409);
    expect(await count()).toBe(before);
    expect(await kit.stateOf(ids.production)).toBe('aborted');
    expect((await ok('GET', `/schedules?flag=${flag}`)).schedules[0].state).toBe('cancelled');

    await ok('POST', `/flags/${flag}/restore`);
    for (const id of [ids.production, ids.staging]) expect(await kit.stateOf(id)).toBe('aborted');
    expect((await ok('GET', `/change-requests/${ids.request}`)).state).toBe('withdrawn');
    expect(await advanceDueRamps(deps, schedulerActor(null), later)).toBe(0);
    expect(await applyDueSchedules(deps, later)).toBe(0);
  });

  it('deleting removes their rows, so a flag re-created under the key has none; the audit log keeps them', async () => {
    await ok('POST', `/flags/${flag}/archive`);
    await ok('DELETE', `/flags/${flag}`);
    await ok('POST', '/flags', { key: flag });

    expect((await ok('GET', `/ramps?flag=${flag}`)).ramps).toEqual([]);
    expect((await ok('GET', `/schedules?flag=${flag}`)).schedules).toEqual([]);
    expect((await ok('GET', `/change-requests?flag=${flag}`)).items).toEqual([]);
    expect((await req('GET', `/ramps/${ids.production}`)).status).toBe(404);
    expect((await req('GET', `/change-requests/${ids.request}`)).status).toBe(404);
    expect((await ok('GET', `/flags/${flag}`)).environments.staging.openChangeRequests).toBe(0);

    const history = await auditOf([ids.production, ids.request]);
    expect(history.map((r) => r.action)).toEqual(expect.arrayContaining(['ramp.created', 'ramp.aborted', 'change_request.created']));
    const [deleted] = await server.app.db
      .select({ before: auditLog.before })
      .from(auditLog)
      .where(and(eq(auditLog.action, 'flag.deleted'), eq(auditLog.resourceKey, flag)));
    expect(deleted?.before).toMatchObject({
      deletedWork: {
        ramps: expect.arrayContaining([ids.production, ids.staging]),
        schedules: [ids.schedule],
        changeRequests: [ids.request],
      },
    });
  });
});
