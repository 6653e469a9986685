import { describe, expect, it } from 'vitest';
import {
  actionsFor,
  approvalsText,
  type ChangeRequest,
  conflictView,
  defaultTitle,
  proposedChanges,
  segmentsUsed,
  summarize,
  tabOf,
} from '../../../admin-ui/src/change-requests.ts';
import {
  checkFreezeForm,
  checkOverride,
  durationText,
  frozenExplanation,
  frozenInfo,
  windowStatus,
  windowText,
} from '../../../admin-ui/src/freeze.ts';
import type { FlagConfig } from '../../../admin-ui/src/types.ts';

/** The pure parts of issue 17's UI: which actions a change request offers, its diff, and freeze windows in words. */

const ALICE = { id: 'u-alice', name: 'Alice', role: 'editor' as const };
const BOB = { id: 'u-bob', name: 'Bob', role: 'editor' as const };
const VIEWER = { id: 'u-vera', name: 'Vera', role: 'viewer' as const };

const current: FlagConfig & { version: number } = {
  version: 4,
  enabled: true,
  rules: [{ id: 'main', description: 'Everyone', rollout: { percentage: 10, stickiness: 'userId' } }],
  variants: [],
  dependencies: [],
};

function request(over: Partial<ChangeRequest> = {}): ChangeRequest {
  return {
    id: 'cr1',
    environment: 'production',
    title: '25% rollout',
    reason: 'metrics look fine',
    change: {
      kind: 'flag-config',
      flagKey: 'new-checkout',
      baseVersion: 4,
      config: { rules: [{ id: 'main', description: 'Everyone', rollout: { percentage: 25, stickiness: 'userId' } }] },
    },
    state: 'open',
    author: { id: ALICE.id, name: ALICE.name },
    createdAt: '2026-12-06T03:00:00.000Z',
    updatedAt: '2026-12-06T03:00:00.000Z',
    version: 1,
    approvals: 0,
    requiredApprovals: 1,
    reviews: [],
    current,
    conflict: false,
    ...over,
  };
}

describe('change request actions by state and person', () => {
  it('lets others review an open request but never its author approve it', () => {
    const forBob = actionsFor(request(), BOB, { allowSelfApply: true });
    expect(forBob.approve).toEqual({ allowed: true });
    expect(forBob.requestChanges.allowed).toBe(true);
    expect(forBob.reject.allowed).toBe(true);
    expect(forBob.apply).toEqual({ allowed: false, reason: 'It needs 1 approval first (has 0)' });
    expect(forBob.withdraw.allowed).toBe(false);

    const forAlice = actionsFor(request(), ALICE, { allowSelfApply: true });
    expect(forAlice.approve).toEqual({ allowed: false, reason: 'You cannot approve your own request' });
    expect(forAlice.comment.allowed).toBe(true);
    expect(forAlice.withdraw.allowed).toBe(true);
    expect(forAlice.rebase.reason).toMatch(/Nothing to rebase/);
  });

  it('lets the author apply an approved request unless the environment says someone else must', () => {
    const approved = request({ state: 'approved', approvals: 1 });
    expect(actionsFor(approved, ALICE, { allowSelfApply: true }).apply).toEqual({ allowed: true });
    expect(actionsFor(approved, ALICE, { allowSelfApply: false }).apply.reason).toMatch(/someone other than the author/);
    expect(actionsFor(approved, BOB, { allowSelfApply: false }).apply.allowed).toBe(true);
    expect(actionsFor({ ...approved, reviews: [review('approve', BOB)] }, BOB, undefined).approve.reason).toBe('You approved it');
    // After a rebase (round 2) an approval of round 1 no longer counts: Bob approves again.
    const rebased = { ...request({ round: 2 }), reviews: [{ ...review('approve', BOB), round: 1 }] };
    expect(actionsFor(rebased, BOB, undefined).approve.allowed).toBe(true);
  });

  it('asks for a rebase on conflict and offers it to the author of a flag configuration only', () => {
    const conflicted = request({ state: 'approved', approvals: 1, conflict: true });
    expect(actionsFor(conflicted, ALICE, undefined).apply.reason).toMatch(/rebase it first/);
    expect(actionsFor(conflicted, ALICE, undefined).rebase).toEqual({ allowed: true });
    expect(actionsFor(conflicted, BOB, undefined).rebase.allowed).toBe(false);
    const ramp = request({ conflict: true, change: { kind: 'ramp-update', rampId: 'r1', baseVersion: 2, action: 'pause' } });
    expect(actionsFor(ramp, ALICE, undefined).rebase.reason).toMatch(/withdraw it/);
  });

  it('offers only comments on a final request and nothing but reading to a viewer', () => {
    for (const state of ['applied', 'rejected', 'withdrawn'] as const) {
      const { comment, ...rest } = actionsFor(request({ state }), BOB, undefined);
      expect(comment.allowed).toBe(true);
      expect(Object.values(rest).every((x) => !x.allowed)).toBe(true);
      expect(actionsFor(request({ state }), VIEWER, undefined).comment.allowed).toBe(false);
    }
    const v = actionsFor(request(), VIEWER, undefined);
    expect(v.approve.reason).toBe('Only editors in production can review changes');
    expect(v.comment.allowed).toBe(false);
    // A per-environment role overrides the global one.
    expect(actionsFor(request(), { ...VIEWER, environmentRoles: { production: 'editor' } }, undefined).approve.allowed).toBe(true);
    expect(actionsFor(request(), { ...BOB, environmentRoles: { production: 'viewer' } }, undefined).approve.allowed).toBe(false);
  });

  it('maps the page tabs and the approval count', () => {
    expect(tabOf('mine')).toBe('mine');
    expect(tabOf('nonsense')).toBe('open');
    expect(tabOf(null)).toBe('open');
    expect(approvalsText({ approvals: 1, requiredApprovals: 2 })).toBe('1 of 2 approvals');
  });
});

function review(decision: 'approve' | 'comment', who: { id: string; name: string }) {
  return { id: `rv-${who.id}`, reviewer: { id: who.id, name: who.name }, decision, comment: null, createdAt: '2026-12-06T03:01:00.000Z' };
}

describe('the proposed change in words', () => {
  it('diffs a flag configuration against the current one, part by part', () => {
    expect(proposedChanges(request())).toEqual([
      { kind: 'changed', label: 'Rule 1 rollout', before: '10% by userId', after: '25% by userId' },
    ]);
    expect(summarize(request().change)).toBe('new-checkout: rules');
    expect(summarize(request().change, current)).toBe('new-checkout: Rule 1 rollout 10% by userId → 25% by userId');
    expect(
      summarize(request().change, {
        ...current,
        rules: [{ id: 'main', description: 'Everyone', rollout: { percentage: 25, stickiness: 'userId' } }],
      }),
    ).toBe('new-checkout: no change against the current version');
    expect(defaultTitle('new-checkout', 'Production', proposedChanges(request()))).toBe(
      'new-checkout in Production: Rule 1 rollout: 25% by userId',
    );
  });

  it('puts ramps, ramp actions, schedules and segments in words too', () => {
    const ramp = proposedChanges(
      request({
        change: {
          kind: 'ramp-start',
          flagKey: 'new-checkout',
          ruleId: 'main',
          steps: [
            { percentage: 25, holdSeconds: 3600 },
            { percentage: 100, holdSeconds: 0 },
          ],
        },
      }),
    );
    expect(ramp).toEqual([
      { kind: 'added', label: 'Ramp on rule main', after: '25% → 100%, holding 1 h, 0 s' },
      { kind: 'changed', label: 'Rule main rollout at the start', before: '10%', after: '25%' },
    ]);
    expect(
      proposedChanges(
        request({
          change: { kind: 'ramp-update', rampId: 'r1', baseVersion: 3, action: 'pause' },
          current: { state: 'running', version: 3 },
        }),
      ),
    ).toEqual([{ kind: 'changed', label: 'Ramp r1', before: 'running', after: 'paused' }]);
    expect(
      proposedChanges(
        request({ change: { kind: 'schedule', flagKey: 'new-checkout', runAt: '2026-12-24T17:00:00.000Z', patch: { enabled: false } } }),
      ),
    ).toEqual([{ kind: 'changed', label: 'At 2026-12-24 17:00 UTC: Status', before: 'On', after: 'Off' }]);
    expect(
      proposedChanges(
        request({
          change: {
            kind: 'segment',
            segmentKey: 'staff',
            baseVersion: 2,
            segment: { conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.io', '@acme.de'] }] },
          },
          current: { key: 'staff', version: 2, conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.io'] }] },
        }),
      ).map((c) => c.kind),
    ).toEqual(['added', 'removed']);
  });

  it('shows both diffs of a conflict and rebases the proposal onto the current version', () => {
    const base: FlagConfig = { enabled: true, rules: [{ id: 'main', rollout: { percentage: 10 } }], variants: [], dependencies: [] };
    const now: FlagConfig = {
      enabled: true,
      rules: [
        { id: 'main', rollout: { percentage: 10 } },
        { id: 'staff', segments: ['staff'] },
      ],
      variants: [],
      dependencies: [],
    };
    const v = conflictView(base, now, { rules: [{ id: 'main', rollout: { percentage: 25 } }] });
    expect(v.theirs).toEqual([{ kind: 'added', label: 'Rule 2 added', after: 'If in segment staff → 100%' }]);
    expect(v.mine).toEqual([{ kind: 'changed', label: 'Rule 1 rollout', before: '10% by userId', after: '25% by userId' }]);
    // Their new rule stays, my edit of the rule we both had wins; the switch was not part of the request.
    expect(v.rebased).toEqual({
      rules: [
        { id: 'main', rollout: { percentage: 25 } },
        { id: 'staff', segments: ['staff'] },
      ],
    });
  });

  it('lists the segments the rules use, with their conditions', () => {
    const used = segmentsUsed(
      [{ segments: ['staff'] }, { segments: ['staff', 'ghost'] }],
      [{ key: 'staff', conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.io'] }] }],
    );
    expect(used).toEqual([
      { key: 'staff', text: expect.stringMatching(/^email .*@acme\.io$/) },
      { key: 'ghost', text: '(unknown segment)' },
    ]);
  });
});

describe('freeze windows in words', () => {
  const refused = {
    status: 423,
    code: 'ENVIRONMENT_FROZEN',
    message: 'production is frozen until 2026-12-27T08:00:00.000Z (Holiday freeze)',
    details: { windowId: 'w1', start: '2026-12-24T17:00:00.000Z', end: '2026-12-27T08:00:00.000Z', reason: 'Holiday freeze' },
  };
  const o = { locale: 'en-GB', timeZone: 'Europe/Berlin' };

  it('reads a 423 and explains it with the window, the reason and the end', () => {
    const info = frozenInfo(refused);
    expect(info).toMatchObject({ windowId: 'w1', reason: 'Holiday freeze' });
    if (!info) throw new Error('not read');
    expect(frozenInfo({ status: 409, code: 'CONFLICT', details: {} })).toBeNull();
    const text = frozenExplanation(info, 'Production', { ...o, now: Date.parse('2026-12-25T08:00:00.000Z'), admin: false });
    expect(text.title).toBe('Production is frozen until 27 Dec 2026, 09:00 (2026-12-27 08:00 UTC) (2 days from now)');
    expect(text.lines[0]).toBe(
      'A freeze window (“Holiday freeze”) runs from 24 Dec 2026, 18:00 (2026-12-24 17:00 UTC) to 27 Dec 2026, 09:00 (2026-12-27 08:00 UTC): changes to Production are refused while it lasts.',
    );
    expect(text.lines[2]).toMatch(/An admin can override/);
    expect(frozenExplanation(info, 'Production', { ...o, admin: true }).lines[2]).toMatch(/As an admin you can override .* audit log/);
  });

  it('wants a justification of 10 characters to override', () => {
    expect(checkOverride('')).toBe('Write why this change cannot wait');
    expect(checkOverride('  hotfix  ')).toBe('At least 10 characters (6 so far)');
    expect(checkOverride('incident 4711: revert the bad rule')).toBeUndefined();
  });

  it('describes windows, their status and durations', () => {
    expect(durationText(30_000)).toBe('under a minute');
    expect(durationText(125 * 60_000)).toBe('2 h 5 min');
    expect(durationText(49 * 3600_000)).toBe('2 days 1 h');
    const weekly = { start: '2026-12-04T17:00:00.000Z', end: '2026-12-07T06:00:00.000Z', recurrence: 'weekly' as const };
    expect(windowText(weekly, o)).toBe('Every week from Fri 17:00 to Mon 06:00 UTC, first from 4 Dec 2026, 18:00 (2026-12-04 17:00 UTC)');
    const now = Date.parse('2026-12-06T00:00:00.000Z');
    expect(windowStatus({ ...weekly, activeNow: true }, now)).toBe('active');
    expect(windowStatus({ ...weekly, activeNow: false }, now)).toBe('recurring');
    expect(windowStatus({ ...weekly, recurrence: 'none', activeNow: false }, now)).toBe('upcoming');
    expect(windowStatus({ ...weekly, recurrence: 'none', activeNow: false }, Date.parse('2027-01-01T00:00:00Z'))).toBe('ended');
  });

  it('checks the window form before sending it', () => {
    const now = Date.parse('2026-12-06T00:00:00.000Z');
    const form = {
      start: '2026-12-24T17:00:00.000Z',
      end: '2026-12-27T08:00:00.000Z',
      reason: 'Holidays',
      recurrence: 'none' as const,
      mode: 'refuse' as const,
    };
    expect(checkFreezeForm(form, now)).toEqual([]);
    expect(checkFreezeForm({ ...form, end: form.start, reason: ' ' }, now).map((i) => i.path)).toEqual(['/end', '/reason']);
    expect(checkFreezeForm({ ...form, start: '', end: '2026-01-01T00:00:00.000Z' }, now).map((i) => i.path)).toEqual(['/start']);
    expect(checkFreezeForm({ ...form, start: '2026-11-01T00:00:00.000Z', end: '2026-11-02T00:00:00.000Z' }, now)[0]?.message).toBe(
      'This time has passed',
    );
    expect(checkFreezeForm({ ...form, recurrence: 'weekly', end: '2027-01-27T08:00:00.000Z' }, now)[0]?.message).toMatch(/a week at most/);
  });
});
