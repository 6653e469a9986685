import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rampKit } from './helpers/ramp-kit.ts';
import { DATABASE_URL, type TestServer } from './helpers/test-server.ts';

describe.skipIf(!DATABASE_URL)('ramps, schedules, export and import', () => {
  let server: TestServer;
  const kit = rampKit({ waitMs: 5000 });
  const { req, until, flagWith, planRamp, stateOf } = kit;
  const percentage = async (flag: string, env = 'production') =>
    (await req('GET', `/flags/${flag}/environments/${env}`)).body.rules[0].rollout?.percentage;

  beforeAll(async () => {
    server = await kit.start({ SCHEDULER_INTERVAL_MS: '100' });
    for (const key of ['checkout', 'search']) await flagWith(key, { enabled: true, rules: [{ id: 'main', rollout: { percentage: 0.5 } }] });
  });
  afterAll(() => kit.close());

  it('walks a rule through its steps as versioned changes, then completes', async () => {
    const created = await planRamp('checkout', [
      { percentage: 1, holdSeconds: 0 },
      { percentage: 5, holdSeconds: 0 },
      { percentage: 25, holdSeconds: 1 },
    ]);
    expect(created.status).toBe(201);
    expect((await planRamp('checkout', [{ percentage: 2, holdSeconds: 0 }])).status).toBe(409);
    const started = await req('POST', `/ramps/${created.body.id}/start`);
    expect(started.body).toMatchObject({ state: 'running', currentStep: 0, previousPercentage: 0.5 });
    await until(async () => (await stateOf(created.body.id)) === 'completed');
    expect(await percentage('checkout')).toBe(25);
    const history = (await req('GET', '/flags/checkout/audit?environment=production')).body.entries.map(
      (e: { action: string }) => e.action,
    );
    expect(history.filter((a: string) => a === 'ramp.step')).toHaveLength(3);
    const versions = (await req('GET', '/flags/checkout/environments/production/versions')).body.versions.map(
      (v: { rules: Array<{ rollout?: { percentage: number } }> }) => v.rules[0]?.rollout?.percentage,
    );
    expect(versions.slice(0, 3)).toEqual([25, 5, 1]);
  });

  it('refuses to start a plan below where the rule stands (it would take users out)', async () => {
    await flagWith('wide', { enabled: true, rules: [{ id: 'main' }] });
    const plan = (await planRamp('wide', [{ percentage: 5, holdSeconds: 0 }])).body;
    const refused = await req('POST', `/ramps/${plan.id}/start`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('100%');
  });

  it('refuses steps that go down, and aborts back to where it started', async () => {
    expect(
      (
        await planRamp('search', [
          { percentage: 10, holdSeconds: 0 },
          { percentage: 5, holdSeconds: 0 },
        ])
      ).status,
    ).toBe(400);
    const plan = (
      await planRamp('search', [
        { percentage: 10, holdSeconds: 3600 },
        { percentage: 50, holdSeconds: 0 },
      ])
    ).body;
    await req('POST', `/ramps/${plan.id}/start`);
    expect(await percentage('search')).toBe(10);
    expect((await req('POST', `/ramps/${plan.id}/pause`)).body.state).toBe('paused');
    expect((await req('POST', `/ramps/${plan.id}/resume`)).body.state).toBe('running');
    const aborted = await req('POST', `/ramps/${plan.id}/abort`, { to: 'previous' });
    expect(aborted.body).toMatchObject({ state: 'aborted' });
    expect(await percentage('search')).toBe(0.5);
  });

  it('rolls back by itself when a guard signal passes its threshold', async () => {
    const plan = (
      await planRamp('search', [{ percentage: 20, holdSeconds: 3600 }], {
        guard: { metric: 'error_rate', comparator: 'gt', threshold: 0.05, action: 'rollback' },
      })
    ).body;
    await req('POST', `/ramps/${plan.id}/start`);
    expect(await percentage('search')).toBe(20);
    const calm = await req('POST', `/ramps/${plan.id}/signals`, { metric: 'error_rate', value: 0.01, variant: 'on' });
    expect(calm.body.tripped).toBe(false);
    const alarm = await req('POST', `/ramps/${plan.id}/signals`, { metric: 'error_rate', value: 0.09, variant: 'on' });
    expect(alarm.body).toMatchObject({ tripped: true, ramp: { state: 'rolled_back' } });
    expect(alarm.body.ramp.reason).toContain('error_rate 0.09 > 0.05');
    expect(await percentage('search')).toBe(0.5);
  });

  it('applies a scheduled change once when it falls due, and cancels pending ones', async () => {
    const soon = new Date(Date.now() + 300).toISOString();
    const scheduled = await req('POST', '/flags/search/environments/staging/schedule', { at: soon, patch: { enabled: true } });
    expect(scheduled.status).toBe(201);
    const later = await req('POST', '/flags/search/environments/staging/schedule', {
      at: new Date(Date.now() + 3_600_000).toISOString(),
      patch: { enabled: false },
    });
    expect((await req('DELETE', `/schedules/${later.body.id}`)).body.state).toBe('cancelled');
    await until(async () =>
      (await req('GET', `/schedules?flag=search`)).body.schedules.some(
        (s: { id: string; state: string }) => s.id === scheduled.body.id && s.state === 'applied',
      ),
    );
    expect((await req('GET', '/flags/search/environments/staging')).body.enabled).toBe(true);
    const entries = (await req('GET', '/flags/search/audit?environment=staging')).body.entries;
    expect(entries.filter((e: { action: string }) => e.action === 'flag.scheduled_change')).toHaveLength(1);
    expect(entries[0].actorName).toBe('scheduler (for admin@example.test)');
  });

  it('exports flags as JSON and imports them back, with a dry run first', async () => {
    const doc = (await req('GET', '/export')).body;
    expect(doc.flags.map((f: { key: string }) => f.key)).toEqual(['checkout', 'search', 'wide']);
    await req('POST', '/environments', { key: 'qa', name: 'QA' });
    const renamed = {
      ...doc,
      flags: doc.flags.map((f: { key: string; environments: Record<string, unknown> }) => ({
        ...f,
        environments: { qa: f.environments.production },
      })),
    };
    const dry = await req('POST', '/import', { document: renamed, dryRun: true });
    expect(dry.body).toMatchObject({ dryRun: true, environments: ['qa'], flags: { updated: ['checkout', 'search', 'wide'] } });
    expect((await req('GET', '/flags/checkout/environments/qa')).body.enabled).toBe(false);
    const real = await req('POST', '/import', { document: renamed });
    expect(real.body.dryRun).toBe(false);
    expect((await req('GET', '/flags/checkout/environments/qa')).body).toMatchObject({
      enabled: true,
      rules: [{ id: 'main', rollout: { percentage: 25 } }],
    });
  });

  it("re-checks the author when work runs: a disabled or demoted author's schedule fails and ramp pauses, with the reason", async () => {
    const editor = async (email: string) => {
      const res = await req('POST', '/users', { email, name: email.split('@')[0], password: 'a-good-password', role: 'editor' });
      expect(res.status, res.text).toBe(201);
      return { id: res.body.id as string, version: res.body.version as number, cookie: await server.login(email, 'a-good-password') };
    };
    const as = (c: string, method: string, path: string, body?: unknown) =>
      server.request(method, `/api/admin${path}`, { body, cookie: c });
    await flagWith('pricing', { rules: [{ id: 'main', rollout: { percentage: 0.5 } }] });
    const ed = await editor('ed@example.test');
    const demoted = await editor('dee@example.test');
    const at = new Date(Date.now() + 1500).toISOString();
    const byEd = await as(ed.cookie, 'POST', '/flags/pricing/environments/development/schedule', { at, patch: { enabled: true } });
    const byDee = await as(demoted.cookie, 'POST', '/flags/pricing/environments/staging/schedule', { at, patch: { enabled: true } });
    expect([byEd.status, byDee.status]).toEqual([201, 201]);
    const ramp = await as(ed.cookie, 'POST', '/ramps', {
      flag: 'pricing',
      environment: 'production',
      ruleId: 'main',
      steps: [
        { percentage: 1, holdSeconds: 1 },
        { percentage: 5, holdSeconds: 0 },
      ],
    });
    expect((await as(ed.cookie, 'POST', `/ramps/${ramp.body.id}/start`)).body.state).toBe('running');
    expect(await percentage('pricing')).toBe(1);

    expect((await req('DELETE', `/users/${ed.id}`)).status).toBe(200);
    expect((await req('PATCH', `/users/${demoted.id}`, { role: 'viewer', version: demoted.version })).status).toBe(200);

    const scheduleOf = async (id: string) =>
      (await req('GET', '/schedules?flag=pricing')).body.schedules.find((s: { id: string }) => s.id === id);
    await until(async () => (await scheduleOf(byEd.body.id)).state !== 'pending' && (await scheduleOf(byDee.body.id)).state !== 'pending');
    expect(await scheduleOf(byEd.body.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/ed@example.test is disabled/) });
    expect(await scheduleOf(byDee.body.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/no longer an editor/) });
    for (const env of ['development', 'staging']) {
      expect((await req('GET', `/flags/pricing/environments/${env}`)).body.enabled, env).toBe(false);
      const actions = (await req('GET', `/flags/pricing/audit?environment=${env}`)).body.entries.map((e: { action: string }) => e.action);
      expect(actions).toContain('schedule.failed');
      expect(actions).not.toContain('flag.scheduled_change');
    }

    await until(async () => (await stateOf(ramp.body.id)) === 'paused');
    expect((await req('GET', `/ramps/${ramp.body.id}`)).body.reason).toMatch(/ed@example.test is disabled/);
    expect(await percentage('pricing')).toBe(1);
    // Someone who may resumes it and answers for it from then on.
    expect((await req('POST', `/ramps/${ramp.body.id}/resume`)).body.state).toBe('running');
    await until(async () => (await stateOf(ramp.body.id)) === 'completed');
    expect(await percentage('pricing')).toBe(5);
  });
});
