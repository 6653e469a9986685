import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, changeLog, rampPlans, webhookDeliveries } from '../src/db/schema/index.ts';
import { changeDeps } from '../src/features/change-deps.ts';
import { advanceDueRamps } from '../src/features/ramps/service.ts';
import { applyDueSchedules, schedulerActor } from '../src/features/schedules/service.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * Issue 17 on one server: protected environments that need approvals, change requests and their
 * reviews, exactly-once apply, conflicts and rebase, freeze windows (refuse, defer, override), and
 * an audit row for every write of the feature. The scheduler is slowed down so the tests drive it.
 */
describe.skipIf(!DATABASE_URL)('change requests and freeze windows', () => {
  let server: TestServer;
  let admin: string;
  const people: Record<'alice' | 'bob' | 'carol', string> = { alice: '', bob: '', carol: '' };
  let seq = 0;
  const uniq = (p: string) => `${p}-${++seq}`;

  const as = (cookie: string) => (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { body, cookie, headers });
  const req = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => as(admin)(method, path, body, headers);
  const ok = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await req(method, path, body, headers);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const auditCount = async (where = sql`true`) => (await server.app.db.select({ n: count() }).from(auditLog).where(where))[0]?.n ?? 0;
  const settings = async (env: string, body: Record<string, unknown>) => {
    const current = await ok('GET', `/environments/${env}`);
    return ok('PATCH', `/environments/${env}/settings`, { ...body, version: current.version });
  };
  const newFlag = async (env = 'production') => {
    const key = uniq('flag');
    await ok('POST', '/flags', { key });
    // Written while the environment takes direct writes; the tests turn approvals on afterwards.
    return { key, env };
  };
  /** A new flag, on in `environment` with one rule, `main`, at 1%: what the ramp cases start from. */
  const flagAtOnePercent = async (environment: string) => {
    const { key } = await newFlag();
    await ok('PATCH', `/flags/${key}/environments/${environment}`, {
      enabled: true,
      rules: [{ id: 'main', rollout: { percentage: 1 } }],
      version: 1,
    });
    return key;
  };

  beforeAll(async () => {
    server = await startTestServer({ env: { SCHEDULER_INTERVAL_MS: '60000' } });
    admin = await server.login();
    for (const name of ['alice', 'bob', 'carol'] as const) {
      await ok('POST', '/users', { email: `${name}@example.test`, name, password: 'a-good-password', role: 'editor' });
      people[name] = await server.login(`${name}@example.test`, 'a-good-password');
    }
    await ok('POST', '/webhooks', { name: 'all', url: 'http://127.0.0.1:9/hook', events: ['change_request.*'], allowPrivate: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('starts production protected (the old name guess, now a setting) and needing no approvals', async () => {
    const envs = (await ok('GET', '/environments')).environments as Array<{ key: string; protected: boolean; requiredApprovals: number }>;
    expect(envs.map((e) => [e.key, e.protected, e.requiredApprovals])).toEqual([
      ['development', false, 0],
      ['staging', false, 0],
      ['production', true, 0],
    ]);
    const before = await auditCount(sql`action = 'environment.settings_changed'`);
    const res = await req('PATCH', '/environments/staging/settings', { protected: true, version: 999 });
    expect(res.status).toBe(412);
    expect((await as(people.alice)('PATCH', '/environments/staging/settings', { protected: true, version: 1 })).status).toBe(403);
    expect(await auditCount(sql`action = 'environment.settings_changed'`)).toBe(before);
  });

  describe('with one approval required in production', () => {
    beforeAll(async () => {
      await settings('production', { requiredApprovals: 1, allowSelfApply: true });
    });
    afterAll(async () => {
      await settings('production', { requiredApprovals: 0 });
    });

    it('refuses a direct write with APPROVAL_REQUIRED, admins included, writing nothing', async () => {
      const { key } = await newFlag();
      const revision = (await ok('GET', '/environments/production')).revision;
      for (const cookie of [people.alice, admin]) {
        const res = await as(cookie)('PATCH', `/flags/${key}/environments/production`, { enabled: true }, { 'if-match': '"1"' });
        expect(res.status).toBe(409);
        expect(res.body.error).toMatchObject({ code: 'APPROVAL_REQUIRED', details: { environment: 'production', requiredApprovals: 1 } });
      }
      // Other environments take direct writes as before.
      expect((await as(people.alice)('PATCH', `/flags/${key}/environments/staging`, { enabled: true }, { 'if-match': '"1"' })).status).toBe(
        200,
      );
      expect((await ok('GET', '/environments/production')).revision).toBe(revision);
      // Ramps and schedules in production too.
      const ramp = await req('POST', '/ramps', {
        flag: key,
        environment: 'production',
        ruleId: 'x',
        steps: [{ percentage: 5, holdSeconds: 1 }],
      });
      expect(ramp.body.error.code).toBe('APPROVAL_REQUIRED');
      const schedule = await req('POST', `/flags/${key}/environments/production/schedule`, {
        at: '2099-01-01T00:00:00Z',
        patch: { enabled: true },
      });
      expect(schedule.body.error.code).toBe('APPROVAL_REQUIRED');
    });

    it('proposes, refuses self-approval, applies once after another approves, and publishes like any change', async () => {
      const { key } = await newFlag();
      const proposed = await as(people.alice)('POST', '/change-requests', {
        environment: 'production',
        title: 'Roll out to 25%',
        reason: 'Launch',
        change: { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { enabled: true, rules: [{ rollout: { percentage: 25 } }] } },
      });
      expect(proposed.status).toBe(201);
      const cr = proposed.body;
      expect(cr).toMatchObject({
        state: 'open',
        approvals: 0,
        requiredApprovals: 1,
        conflict: false,
        author: { name: 'alice' }, // emails are for admins: others see names
        current: { version: 1, enabled: false },
      });

      const self = await as(people.alice)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' });
      expect(self.status).toBe(403);
      expect(self.body.error.code).toBe('SELF_APPROVAL');

      const early = await as(people.alice)('POST', `/change-requests/${cr.id}/apply`, { version: cr.version });
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('NOT_APPROVED');

      const commented = await as(people.carol)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'comment', comment: 'Looks fine' });
      expect(commented.body).toMatchObject({ state: 'open', approvals: 0 });
      const approved = await as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve', comment: 'ok' });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ state: 'approved', approvals: 1 });
      expect(approved.body.reviews.map((r: any) => r.decision)).toEqual(['comment', 'approve']);

      const flagView = await ok('GET', `/flags/${key}`);
      expect(flagView.environments.production.openChangeRequests).toBe(1);

      const revision = (await ok('GET', '/environments/production')).revision;
      const applied = await as(people.alice)('POST', `/change-requests/${cr.id}/apply`, { version: approved.body.version });
      expect(applied.status).toBe(200);
      expect(applied.body).toMatchObject({ state: 'applied', resultVersion: 2, appliedBy: 'alice' });
      const config = await ok('GET', `/flags/${key}/environments/production`);
      expect(config).toMatchObject({ enabled: true, version: 2, rules: [{ rollout: { percentage: 25 } }] });
      expect((await ok('GET', '/environments/production')).revision).toBe(revision + 1);
      const logged = await server.app.db
        .select({ n: count() })
        .from(changeLog)
        .where(and(eq(changeLog.environmentKey, 'production'), eq(changeLog.revision, revision + 1)));
      expect(logged[0]?.n).toBe(1);
      // Audit rows of the request and of the change, in the same transaction.
      expect(await auditCount(sql`action = 'change_request.applied' and resource_key = ${cr.id}`)).toBe(1);
      expect(await auditCount(sql`action = 'flag.configured' and resource_key = ${key} and environment_key = 'production'`)).toBe(1);
      const events = await server.app.db
        .select({ event: sql<string>`${webhookDeliveries.payload}->>'event'` })
        .from(webhookDeliveries)
        .where(sql`${webhookDeliveries.payload}->'resource'->>'key' = ${cr.id}`);
      expect(events.map((e) => e.event).sort()).toEqual([
        'change_request.applied',
        'change_request.approved',
        'change_request.created',
        'change_request.reviewed',
        'change_request.reviewed',
      ]);

      const again = await as(people.bob)('POST', `/change-requests/${cr.id}/apply`, { version: applied.body.version });
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'CONFLICT', details: { state: 'applied' } });
      expect((await ok('GET', `/flags/${key}`)).environments.production.openChangeRequests).toBe(0);
    });

    it('applies exactly once when two approvers apply at the same moment', async () => {
      const { key } = await newFlag();
      const cr = (
        await as(people.alice)('POST', '/change-requests', {
          environment: 'production',
          title: 'On',
          change: { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { enabled: true } },
        })
      ).body;
      const [a, b] = await Promise.all([
        as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' }),
        as(people.carol)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const latest = (await ok('GET', `/change-requests/${cr.id}`)) as { version: number; approvals: number };
      expect(latest.approvals).toBe(2);
      const results = await Promise.all([
        as(people.bob)('POST', `/change-requests/${cr.id}/apply`, { version: latest.version }),
        as(people.carol)('POST', `/change-requests/${cr.id}/apply`, { version: latest.version }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect((await ok('GET', `/flags/${key}/environments/production`)).version).toBe(2);
      expect(await auditCount(sql`action = 'flag.enabled' and resource_key = ${key}`)).toBe(1);
    });

    it('shows a stale base as a conflict with the current state, never losing the other update, until rebased', async () => {
      const { key } = await newFlag();
      const propose = (percentage: number) =>
        as(people.alice)('POST', '/change-requests', {
          environment: 'production',
          title: `${percentage}%`,
          change: { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { rules: [{ rollout: { percentage } }] } },
        });
      const first = (await propose(10)).body;
      const second = (await propose(20)).body;
      for (const cr of [first, second]) await as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' });
      const firstNow = await ok('GET', `/change-requests/${first.id}`);
      expect((await as(people.alice)('POST', `/change-requests/${first.id}/apply`, { version: firstNow.version })).status).toBe(200);

      const secondNow = await ok('GET', `/change-requests/${second.id}`);
      expect(secondNow.conflict).toBe(true);
      const stale = await as(people.alice)('POST', `/change-requests/${second.id}/apply`, { version: secondNow.version });
      expect(stale.status).toBe(409);
      expect(stale.body.error).toMatchObject({
        code: 'CONFLICT',
        details: { baseVersion: 1, currentVersion: 2, current: { version: 2, rules: [{ rollout: { percentage: 10 } }] } },
      });
      expect((await ok('GET', `/flags/${key}/environments/production`)).rules[0].rollout.percentage).toBe(10);
      // A stale proposal is refused at once too.
      expect((await propose(30)).body.error.code).toBe('CONFLICT');

      // Only the author rebases; approvals start again.
      const rebaseBody = {
        baseVersion: 2,
        change: { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { rules: [{ rollout: { percentage: 20 } }] } },
      };
      expect((await as(people.bob)('POST', `/change-requests/${second.id}/rebase`, rebaseBody)).status).toBe(403);
      const rebased = await as(people.alice)('POST', `/change-requests/${second.id}/rebase`, rebaseBody);
      expect(rebased.body).toMatchObject({ state: 'open', approvals: 0, round: 2, conflict: false, change: { baseVersion: 2 } });
      const approved = await as(people.carol)('POST', `/change-requests/${second.id}/reviews`, { decision: 'approve' });
      const applied = await as(people.alice)('POST', `/change-requests/${second.id}/apply`, { version: approved.body.version });
      expect(applied.body).toMatchObject({ state: 'applied', resultVersion: 3 });
    });

    it('refuses invalid proposals up front (400), unknown targets (404), and lets the author withdraw', async () => {
      const { key } = await newFlag();
      const bad = await as(people.alice)('POST', '/change-requests', {
        environment: 'production',
        title: 'Bad segment',
        change: { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { rules: [{ segments: ['no-such-segment'] }] } },
      });
      expect(bad.status).toBe(400);
      const missing = await as(people.alice)('POST', '/change-requests', {
        environment: 'production',
        title: 'Nothing',
        change: { kind: 'flag-config', flagKey: 'nope', baseVersion: 1, config: { enabled: true } },
      });
      expect(missing.status).toBe(404);
      const cr = (
        await as(people.alice)('POST', '/change-requests', {
          environment: 'production',
          title: 'Later',
          change: { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { enabled: true } },
        })
      ).body;
      expect((await as(people.bob)('POST', `/change-requests/${cr.id}/withdraw`)).status).toBe(403);
      const withdrawn = await as(people.alice)('POST', `/change-requests/${cr.id}/withdraw`);
      expect(withdrawn.body.state).toBe('withdrawn');
      expect((await as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' })).status).toBe(409);
      const mine = await as(people.alice)('GET', '/change-requests?view=mine&environment=production');
      expect(mine.body.items.some((i: any) => i.id === cr.id)).toBe(true);
      const toReview = await as(people.alice)('GET', '/change-requests?view=to-review');
      expect(toReview.body.items.every((i: any) => i.author.name !== 'alice')).toBe(true);
    });

    it('gates segment edits where a flag of the environment uses the segment, and applies them by request', async () => {
      const segment = uniq('segment');
      await ok('POST', '/segments', { key: segment, conditions: [{ attribute: 'country', operator: 'IN', values: ['NO'] }] });
      await settings('production', { requiredApprovals: 0 });
      const { key } = await newFlag();
      await ok('PATCH', `/flags/${key}/environments/production`, { rules: [{ segments: [segment] }], version: 1 });
      await settings('production', { requiredApprovals: 1 });
      const direct = await req('PATCH', `/segments/${segment}`, { conditions: [], version: 1 });
      expect(direct.body.error.code).toBe('APPROVAL_REQUIRED');
      const cr = (
        await as(people.alice)('POST', '/change-requests', {
          environment: 'production',
          title: 'Add Sweden',
          change: {
            kind: 'segment',
            segmentKey: segment,
            baseVersion: 1,
            segment: { conditions: [{ attribute: 'country', operator: 'IN', values: ['NO', 'SE'] }] },
          },
        })
      ).body;
      const approved = await as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' });
      const applied = await as(people.bob)('POST', `/change-requests/${cr.id}/apply`, { version: approved.body.version });
      expect(applied.body).toMatchObject({ state: 'applied', resultVersion: 2 });
      expect((await ok('GET', `/segments/${segment}`)).conditions[0].values).toEqual(['NO', 'SE']);
    });

    it('starts a ramp by request, and forbids self-apply where the environment says so', async () => {
      await settings('production', { requiredApprovals: 0 });
      const key = await flagAtOnePercent('production');
      await settings('production', { requiredApprovals: 1, allowSelfApply: false });
      const cr = (
        await as(people.alice)('POST', '/change-requests', {
          environment: 'production',
          title: 'Ramp',
          change: { kind: 'ramp-start', flagKey: key, ruleId: 'main', steps: [{ percentage: 5, holdSeconds: 3600 }] },
        })
      ).body;
      const approved = await as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' });
      const self = await as(people.alice)('POST', `/change-requests/${cr.id}/apply`, { version: approved.body.version });
      expect(self.status).toBe(403);
      expect(self.body.error.code).toBe('SELF_APPLY_FORBIDDEN');
      const applied = await as(people.bob)('POST', `/change-requests/${cr.id}/apply`, { version: approved.body.version });
      expect(applied.body.state).toBe('applied');
      expect((await ok('GET', `/flags/${key}/environments/production`)).rules[0].rollout.percentage).toBe(5);
      await settings('production', { allowSelfApply: true });
    });

    it('starts a ramp planned before approvals were required, by a ramp-update request', async () => {
      await settings('production', { requiredApprovals: 0 });
      const key = await flagAtOnePercent('production');
      const ramp = await ok('POST', '/ramps', {
        flag: key,
        environment: 'production',
        ruleId: 'main',
        steps: [{ percentage: 10, holdSeconds: 3600 }],
      });
      await settings('production', { requiredApprovals: 1 });
      const direct = await as(people.alice)('POST', `/ramps/${ramp.id}/start`);
      expect(direct.status).toBe(409);
      expect(direct.body.error.code).toBe('APPROVAL_REQUIRED');
      const cr = (
        await as(people.alice)('POST', '/change-requests', {
          environment: 'production',
          title: 'Start the ramp',
          change: { kind: 'ramp-update', rampId: ramp.id, baseVersion: ramp.version, action: 'start' },
        })
      ).body;
      const approved = await as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' });
      const applied = await as(people.alice)('POST', `/change-requests/${cr.id}/apply`, { version: approved.body.version });
      expect(applied.body.state).toBe('applied');
      expect((await ok('GET', `/ramps/${ramp.id}`)).state).toBe('running');
      expect((await ok('GET', `/flags/${key}/environments/production`)).rules[0].rollout.percentage).toBe(10);
      // As the test before left it.
      await settings('production', { requiredApprovals: 1 });
    });
  });

  describe('freeze windows', () => {
    const now = () => Date.now();
    const window = async (env: string, mode: 'refuse' | 'defer', fromMs: number, toMs: number, recurrence = 'none') =>
      ok('POST', `/environments/${env}/freeze-windows`, {
        start: new Date(now() + fromMs).toISOString(),
        end: new Date(now() + toMs).toISOString(),
        reason: 'Holiday',
        recurrence,
        mode,
      });

    it('refuses writes with ENVIRONMENT_FROZEN naming the window; an admin overrides with a justification, audited', async () => {
      const { key } = await newFlag();
      const w = await window('staging', 'refuse', -60_000, 3_600_000);
      expect(w).toMatchObject({ activeNow: true, environment: 'staging', mode: 'refuse' });
      const refused = await as(people.alice)('PATCH', `/flags/${key}/environments/staging`, { enabled: true }, { 'if-match': '"1"' });
      expect(refused.status).toBe(423);
      expect(refused.body.error.code).toBe('ENVIRONMENT_FROZEN');
      expect(refused.body.error.message).toMatch(/^staging is frozen until .+ \(Holiday\)$/);
      expect(refused.body.error.details).toMatchObject({ windowId: w.id, reason: 'Holiday', end: w.end });

      const editorOverride = await as(people.alice)(
        'PATCH',
        `/flags/${key}/environments/staging`,
        { enabled: true },
        { 'if-match': '"1"', 'x-freeze-override': 'customer escalation 1234' },
      );
      expect(editorOverride.status).toBe(403);
      const short = await req(
        'PATCH',
        `/flags/${key}/environments/staging`,
        { enabled: true },
        { 'if-match': '"1"', 'x-freeze-override': 'why' },
      );
      expect(short.status).toBe(400);
      const overridden = await req(
        'PATCH',
        `/flags/${key}/environments/staging`,
        { enabled: true },
        { 'if-match': '"1"', 'x-freeze-override': 'customer escalation 1234' },
      );
      expect(overridden.status).toBe(200);
      const [row] = await server.app.db.select().from(auditLog).where(sql`action = 'freeze.overridden' and resource_key = ${w.id}`);
      expect(row?.after).toMatchObject({
        justification: 'customer escalation 1234',
        for: `PATCH /api/admin/flags/${key}/environments/staging`,
      });
      expect(row?.actorName).toBe('admin@example.test');
      await ok('DELETE', `/environments/staging/freeze-windows/${w.id}`);
    });

    it('refuses applying an approved change request during a freeze unless overridden', async () => {
      await settings('production', { requiredApprovals: 1 });
      const { key } = await newFlag();
      const cr = (
        await as(people.alice)('POST', '/change-requests', {
          environment: 'production',
          title: 'On',
          change: { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { enabled: true } },
        })
      ).body;
      const approved = await as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' });
      const w = await window('production', 'refuse', -1000, 3_600_000);
      const refused = await as(people.alice)('POST', `/change-requests/${cr.id}/apply`, { version: approved.body.version });
      expect(refused.status).toBe(423);
      expect((await ok('GET', `/change-requests/${cr.id}`)).state).toBe('approved');
      const applied = await req(
        'POST',
        `/change-requests/${cr.id}/apply`,
        { version: approved.body.version },
        { 'x-freeze-override': 'approved hotfix for outage' },
      );
      expect(applied.status).toBe(200);
      await ok('DELETE', `/environments/production/freeze-windows/${w.id}`);
      await settings('production', { requiredApprovals: 0 });
    });

    /** A flag at 1% in development with a running two-step ramp (5%, then 50%) on its rule. */
    const runningRamp = async () => {
      const key = await flagAtOnePercent('development');
      const ramp = await ok('POST', '/ramps', {
        flag: key,
        environment: 'development',
        ruleId: 'main',
        steps: [
          { percentage: 5, holdSeconds: 0 },
          { percentage: 50, holdSeconds: 0 },
        ],
      });
      await ok('POST', `/ramps/${ramp.id}/start`);
      return { key, ramp };
    };

    it('defers a due ramp step to the end of a defer window, and a refuse window holds it the same way (ramps pause during a window and resume after it)', async () => {
      const { key, ramp } = await runningRamp();
      const w = await window('development', 'defer', -1000, 600_000);
      const deps = changeDeps(server.app);
      await advanceDueRamps(deps, schedulerActor(null), new Date());
      const deferred = await ok('GET', `/ramps/${ramp.id}`);
      expect(deferred).toMatchObject({ state: 'running', currentStep: 0, nextStepAt: w.end });
      expect((await ok('GET', `/flags/${key}/environments/development`)).rules[0].rollout.percentage).toBe(5);
      expect(await auditCount(sql`action = 'ramp.deferred' and resource_key = ${ramp.id}`)).toBe(1);
      // After the window, the step goes ahead.
      await advanceDueRamps(deps, schedulerActor(null), new Date(Date.parse(w.end) + 1000));
      expect((await ok('GET', `/flags/${key}/environments/development`)).rules[0].rollout.percentage).toBe(50);
      await ok('DELETE', `/environments/development/freeze-windows/${w.id}`);

      // A refusing window holds the plan the same way; it resumes by itself after the window.
      const { key: other, ramp: r2 } = await runningRamp();
      const refuse = await window('development', 'refuse', -1000, 600_000);
      await advanceDueRamps(deps, schedulerActor(null), new Date());
      expect(await ok('GET', `/ramps/${r2.id}`)).toMatchObject({ state: 'running', currentStep: 0, nextStepAt: refuse.end });
      expect((await ok('GET', `/flags/${other}/environments/development`)).rules[0].rollout.percentage).toBe(5);
      // Pausing is the brake: allowed during a freeze.
      expect((await as(people.alice)('POST', `/ramps/${r2.id}/pause`)).status).toBe(200);
      expect((await ok('GET', `/ramps/${r2.id}`)).state).toBe('paused');
      await ok('DELETE', `/environments/development/freeze-windows/${refuse.id}`);
      void rampPlans;
    });

    it('defers a scheduled change in a defer window, fails it in a refuse window, and refuses one timed inside a refuse window', async () => {
      const { key } = await newFlag();
      const s1 = await ok('POST', `/flags/${key}/environments/staging/schedule`, {
        at: new Date(now() - 1000).toISOString(),
        patch: { enabled: true },
      });
      const w = await window('staging', 'defer', -5000, 600_000, 'weekly');
      const deps = changeDeps(server.app);
      await applyDueSchedules(deps, new Date());
      const listed = (await ok('GET', `/schedules?flag=${key}`)).schedules as any[];
      expect(listed.find((s) => s.id === s1.id)).toMatchObject({ state: 'pending', runAt: w.end });
      // Timed inside a deferring window: accepted (it will wait for the end).
      const s2 = await ok('POST', `/flags/${key}/environments/staging/schedule`, {
        at: new Date(now() - 1000).toISOString(),
        patch: { enabled: false },
      });
      await ok('PATCH', `/environments/staging/freeze-windows/${w.id}`, { mode: 'refuse', version: w.version });
      // Timed inside a refusing window: refused at once, naming the window.
      const refused = await req('POST', `/flags/${key}/environments/staging/schedule`, {
        at: new Date(now() + 60_000).toISOString(),
        patch: { enabled: false },
      });
      expect(refused.status).toBe(423);
      expect(refused.body.error).toMatchObject({ code: 'ENVIRONMENT_FROZEN', details: { windowId: w.id } });
      // s2 falls due inside the now refusing window: it fails with the window's reason.
      await applyDueSchedules(deps, new Date(now() + 1000));
      const failed = ((await ok('GET', `/schedules?flag=${key}`)).schedules as any[]).find((s) => s.id === s2.id);
      expect(failed.state).toBe('failed');
      expect(failed.error).toMatch(/staging is frozen until/);
      // s1 was deferred to the window's end, which is not yet: applied once the window is over.
      await applyDueSchedules(deps, new Date(Date.parse(w.end) + 1000));
      const after = ((await ok('GET', `/schedules?flag=${key}`)).schedules as any[]).find((s) => s.id === s1.id);
      expect(after.state).toBe('applied');
      await ok('DELETE', `/environments/staging/freeze-windows/${w.id}`);
    });

    it('repeats weekly windows and validates spans', async () => {
      // Started two weeks ago and lasting an hour from then: in force now, in its third week.
      const w = await window('staging', 'refuse', -14 * 86_400_000 - 60_000, -14 * 86_400_000 + 3_600_000, 'weekly');
      expect(w.activeNow).toBe(true);
      await ok('POST', '/flags', { key: 'weekly-frozen' });
      expect((await req('PATCH', '/flags/weekly-frozen/environments/staging', { enabled: true }, { 'if-match': '"1"' })).status).toBe(423);
      // A flag that does not exist is not found, frozen or not.
      expect((await req('PATCH', '/flags/x/environments/staging', { enabled: true }, { 'if-match': '"1"' })).status).toBe(404);
      await ok('DELETE', `/environments/staging/freeze-windows/${w.id}`);
      const backwards = await req('POST', '/environments/staging/freeze-windows', {
        start: new Date(now()).toISOString(),
        end: new Date(now() - 1000).toISOString(),
        reason: 'x',
        recurrence: 'none',
        mode: 'refuse',
      });
      expect(backwards.status).toBe(400);
      expect((await as(people.alice)('GET', '/environments/staging/freeze-windows')).body.items).toEqual([]);
    });
  });

  it('re-counts live requests when an admin changes the approvals an environment needs', async () => {
    await settings('production', { requiredApprovals: 2 });
    const { key } = await newFlag();
    const cr = (
      await as(people.alice)('POST', '/change-requests', {
        environment: 'production',
        title: 'On',
        change: { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { enabled: true } },
      })
    ).body;
    const reviewed = await as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' });
    expect(reviewed.body).toMatchObject({ state: 'open', approvals: 1, requiredApprovals: 2 });
    await settings('production', { requiredApprovals: 1 });
    expect((await ok('GET', `/change-requests/${cr.id}`)).state).toBe('approved');
    await settings('production', { requiredApprovals: 3 });
    const raised = await ok('GET', `/change-requests/${cr.id}`);
    expect(raised).toMatchObject({ state: 'open', requiredApprovals: 3 });
    expect((await as(people.alice)('POST', `/change-requests/${cr.id}/apply`, { version: raised.version })).body.error.code).toBe(
      'NOT_APPROVED',
    );
    await settings('production', { requiredApprovals: 0 });
  });

  it('writes an audit row for every mutating route of the feature', async () => {
    await settings('production', { requiredApprovals: 1 });
    const { key } = await newFlag();
    const expectAudited = async (action: string, run: () => Promise<{ status: number; text: string }>) => {
      const before = await auditCount(sql`action = ${action}`);
      const res = await run();
      expect(res.status, res.text).toBeLessThan(300);
      expect(await auditCount(sql`action = ${action}`), action).toBe(before + 1);
      return res as any;
    };
    const env = await ok('GET', '/environments/development');
    await expectAudited('environment.settings_changed', () =>
      req('PATCH', '/environments/development/settings', { protected: false, version: env.version }),
    );
    const w = (
      await expectAudited('freeze.created', () =>
        req('POST', '/environments/development/freeze-windows', {
          start: '2099-01-01T00:00:00Z',
          end: '2099-01-02T00:00:00Z',
          reason: 'x',
          recurrence: 'none',
          mode: 'defer',
        }),
      )
    ).body;
    await expectAudited('freeze.updated', () =>
      req('PATCH', `/environments/development/freeze-windows/${w.id}`, { reason: 'y', version: 1 }),
    );
    await expectAudited('freeze.deleted', () => req('DELETE', `/environments/development/freeze-windows/${w.id}`));
    const change = { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { enabled: true } };
    const cr = (
      await expectAudited('change_request.created', () =>
        as(people.alice)('POST', '/change-requests', { environment: 'production', title: 't', change }),
      )
    ).body;
    await expectAudited('change_request.reviewed', () =>
      as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'comment', comment: 'hm' }),
    );
    await expectAudited('change_request.rebased', () =>
      as(people.alice)('POST', `/change-requests/${cr.id}/rebase`, { baseVersion: 1, change }),
    );
    const approved = await expectAudited('change_request.approved', () =>
      as(people.bob)('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' }),
    );
    await expectAudited('change_request.applied', () =>
      as(people.alice)('POST', `/change-requests/${cr.id}/apply`, { version: approved.body.version }),
    );
    const cr2 = (
      await as(people.alice)('POST', '/change-requests', {
        environment: 'production',
        title: 't',
        change: { ...change, baseVersion: 2, config: { enabled: false } },
      })
    ).body;
    await expectAudited('change_request.rejected', () =>
      as(people.bob)('POST', `/change-requests/${cr2.id}/reviews`, { decision: 'reject' }),
    );
    const cr3 = (
      await as(people.alice)('POST', '/change-requests', {
        environment: 'production',
        title: 't',
        change: { ...change, baseVersion: 2, config: { enabled: false } },
      })
    ).body;
    await expectAudited('change_request.withdrawn', () => as(people.alice)('POST', `/change-requests/${cr3.id}/withdraw`));
    const users = (await ok('GET', '/users')).users as Array<{ id: string; email: string; version: number }>;
    const carol = users.find((u) => u.email === 'carol@example.test');
    await expectAudited('user.updated', () =>
      req('PATCH', `/users/${carol?.id}`, { environmentRoles: { production: 'viewer' }, version: carol?.version }),
    );
    await settings('production', { requiredApprovals: 0 });
  });
});

describe('change requests on the embedded database (PGlite)', () => {
  it('proposes, approves and applies in one transaction with savepoints, as on Postgres', async () => {
    const server = await startTestServer({ database: 'pglite', env: { SCHEDULER_INTERVAL_MS: '60000' } });
    try {
      const admin = await server.login();
      const call = (cookie: string, method: string, path: string, body?: unknown) =>
        server.request(method, `/api/admin${path}`, { cookie, body });
      await call(admin, 'POST', '/users', { email: 'ed@example.test', name: 'Ed', password: 'a-good-password', role: 'editor' });
      const ed = await server.login('ed@example.test', 'a-good-password');
      await call(admin, 'POST', '/flags', { key: 'embedded' });
      await call(admin, 'PATCH', '/environments/production/settings', { requiredApprovals: 1, version: 1 });
      expect((await call(ed, 'PATCH', '/flags/embedded/environments/production', { enabled: true, version: 1 })).status).toBe(409);
      const cr = await call(ed, 'POST', '/change-requests', {
        environment: 'production',
        title: 'On',
        change: { kind: 'flag-config', flagKey: 'embedded', baseVersion: 1, config: { enabled: true } },
      });
      expect(cr.status).toBe(201);
      const approved = await call(admin, 'POST', `/change-requests/${cr.body.id}/reviews`, { decision: 'approve' });
      const applied = await call(ed, 'POST', `/change-requests/${cr.body.id}/apply`, { version: approved.body.version });
      expect(applied.body).toMatchObject({ state: 'applied', resultVersion: 2 });
      expect((await call(admin, 'GET', '/flags/embedded/environments/production')).body.enabled).toBe(true);
    } finally {
      await server.close();
    }
    // Starting an embedded database and migrating it takes most of this on a busy machine.
  }, 120_000);
});
