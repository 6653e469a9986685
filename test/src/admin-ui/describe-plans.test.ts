import { describe, expect, it } from 'vitest';
import { isFlagConfig } from '../../../admin-ui/src/describe.ts';
import { configBefore, describePatch, holdText, planChanges } from '../../../admin-ui/src/describe-plans.ts';
import type { Rule } from '../../../admin-ui/src/types.ts';

/** Issue 16, point 3: scheduled changes and ramps in words in history and the audit log, never raw fields. */

const staff: Rule = { id: 'staff', conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@x.com'] }] };
const main = (percentage: number): Rule => ({ id: 'main', rollout: { percentage } });
const rawish = /[{}[\]"]|percentage|holdSeconds|currentStep|nextStepAt|runAt|\d{4}-\d\d-\d\dT/;

describe('scheduled changes in words', () => {
  it('names what differs from the config it applies to: "set rule 2 to 25%", "turn it on"', () => {
    const base = { enabled: false, rules: [staff, main(40)] };
    expect(describePatch({ enabled: true }, base)).toEqual(['turn it on']);
    expect(describePatch({ enabled: false }, base)).toEqual(['keep it off']);
    expect(describePatch({ rules: [staff, main(25)] }, base)).toEqual(['set rule 2 to 25%']);
    expect(describePatch({ enabled: true, rules: [main(25)] }, base)).toEqual([
      'turn it on',
      'set rule 1 to 25%',
      'rule 1 moved: position 2 → position 1',
      'remove rule 1 (If email ends with @x.com → 100%)',
    ]);
    expect(describePatch({ rules: [staff, { ...main(40), rollout: { percentage: 25, stickiness: 'sessionId' } }] }, base)[0]).toMatch(
      /^set rule 2 to 25% by session/,
    );
    expect(describePatch({ rules: [staff, main(40)] }, base)).toEqual(['leave its rules as they are']);
  });

  it('describes each rule whole when the config it applied to is not at hand', () => {
    expect(describePatch({ rules: [staff, main(25)] })).toEqual([
      'set rule 1 to: If email ends with @x.com → 100%',
      'set rule 2 to: Everyone → 25% by userId',
    ]);
    expect(describePatch({ enabled: false })).toEqual(['turn it off']);
    expect(describePatch({ dependencies: [{ flag: 'login', enabled: true }] })).toEqual(['make it depend on login is on']);
  });

  it('turns schedule audit entries into words with the time in both zones', () => {
    const schedule = {
      id: 'x',
      flag: 'f',
      environment: 'production',
      patch: { rules: [staff, main(25)] },
      runAt: '2099-03-01T09:30:00.000Z',
    };
    const created = planChanges(
      { action: 'schedule.created', before: null, after: { ...schedule, state: 'pending', error: null, createdBy: 'a' } },
      { rules: [staff, main(40)] },
    );
    expect(created).toEqual([
      { kind: 'added', label: 'Scheduled change', after: 'set rule 2 to 25%' },
      { kind: 'added', label: 'At', after: expect.stringContaining('(2099-03-01 09:30 UTC)') },
    ]);
    const failed = planChanges({
      action: 'schedule.failed',
      before: { ...schedule, state: 'pending', error: null },
      after: { ...schedule, state: 'failed', error: 'Rule main no longer exists' },
    });
    expect(failed?.[0]).toEqual({ kind: 'changed', label: 'State', before: 'waiting', after: 'failed' });
    expect(failed?.at(-1)).toEqual({ kind: 'added', label: 'Reason', after: 'Rule main no longer exists' });
    for (const c of [...(created ?? []), ...(failed ?? [])]) expect(`${c.label} ${c.before ?? ''} ${c.after ?? ''}`).not.toMatch(rawish);
  });
});

describe('ramps in words', () => {
  const ramp = {
    id: 'r',
    flag: 'f',
    environment: 'production',
    ruleId: 'main',
    steps: [
      { percentage: 50, holdSeconds: 3600 },
      { percentage: 100, holdSeconds: 172_800 },
    ],
    guard: { metric: 'error_rate', comparator: 'gt', threshold: 0.02, action: 'pause' },
    state: 'pending',
    currentStep: -1,
    previousPercentage: null,
    nextStepAt: null,
    reason: null,
    version: 1,
    createdBy: 'a',
  };

  it('says the plan, the guard, each step and the next step’s time', () => {
    expect(planChanges({ action: 'ramp.created', before: null, after: ramp })).toEqual([
      { kind: 'added', label: 'Plan', after: 'rule main: 50% for 1 hour, then 100% for 2 days' },
      { kind: 'added', label: 'Guard', after: 'pause if error_rate goes above 0.02' },
    ]);
    const started = { ...ramp, state: 'running', currentStep: 0, previousPercentage: 30, nextStepAt: '2099-03-01T09:30:00.000Z' };
    const changes = planChanges({ action: 'ramp.started', before: ramp, after: started }) ?? [];
    expect(changes.map((c) => c.label)).toEqual(['State', 'Step', 'Next step', 'Rule main before the ramp']);
    expect(changes[1]).toEqual({ kind: 'changed', label: 'Step', before: 'not started', after: 'step 1 of 2 (50%)' });
    for (const c of changes) expect(`${c.label} ${c.before ?? ''} ${c.after ?? ''}`).not.toMatch(rawish);
    // A ramp step's own entry is a flag config: left to the config diff ("Rule 2 rollout: 30% → 50%").
    expect(planChanges({ action: 'ramp.step', before: { enabled: true, rules: [] }, after: { enabled: true, rules: [] } })).toBeNull();
    expect(holdText(90 * 60)).toBe('90 minutes');
  });

  it('finds the config an entry applied to among older entries of its flag and environment', () => {
    const entry = (id: number, env: string, after: unknown) => ({ id, resourceKey: 'f', environment: env, after });
    const old = entry(1, 'production', { enabled: true, rules: [main(40)] });
    const other = entry(2, 'staging', { enabled: true, rules: [main(10)] });
    const sched = entry(3, 'production', { patch: {}, runAt: '' });
    expect(configBefore(sched, [sched, other, old], isFlagConfig)).toEqual({ enabled: true, rules: [main(40)] });
    expect(configBefore(old, [sched, other, old], isFlagConfig)).toBeNull();
  });
});
