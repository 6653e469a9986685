import { describe, expect, it } from 'vitest';
import { diffConfig } from '../../../admin-ui/src/describe.ts';
import { same, touchedSince, undoChange } from '../../../admin-ui/src/merge.ts';
import type { FlagConfig, Rule } from '../../../admin-ui/src/types.ts';

/** Diffs by meaning: key order and condition order never make a change; stickiness in words; undo of one change. */

const de: Rule = {
  id: 'de',
  description: 'Germany',
  conditions: [
    { attribute: 'country', operator: 'IN', values: ['DE'] },
    { attribute: 'plan', operator: 'IN', values: ['pro'] },
  ],
  rollout: { percentage: 50, stickiness: 'userId' },
};
/** The same rule with every object's keys in another order, as jsonb or a form may hand it back. */
const deReordered = JSON.parse(
  '{"rollout":{"stickiness":"userId","percentage":50},"conditions":[{"values":["DE"],"operator":"IN","attribute":"country"},{"values":["pro"],"attribute":"plan","operator":"IN"}],"description":"Germany","id":"de"}',
) as Rule;
const config = (rules: Rule[], extra: Partial<FlagConfig> = {}): FlagConfig => ({
  enabled: true,
  rules,
  variants: [],
  dependencies: [],
  ...extra,
});

describe('diffs by meaning', () => {
  it('sees no change when only key order differs, nor when conditions (which all must hold) are reordered', () => {
    expect(same(de, deReordered)).toBe(true);
    expect(diffConfig(config([de]), config([deReordered]))).toEqual([]);
    const swapped: Rule = { ...de, conditions: [...(de.conditions ?? [])].reverse() };
    expect(diffConfig(config([de]), config([swapped]))).toEqual([]);
  });

  it('tells stickiness changes in words, never as JSON', () => {
    const before = config([
      {
        ...de,
        variants: [
          { name: 'a', weight: 500 },
          { name: 'b', weight: 500 },
        ],
      },
    ]);
    const after = config([
      {
        ...de,
        variants: [
          { name: 'a', weight: 500 },
          { name: 'b', weight: 500 },
        ],
        variantStickiness: 'accountId',
      },
    ]);
    expect(diffConfig(before, after)).toEqual([
      {
        kind: 'changed',
        label: 'Rule 1 variant stickiness',
        before: 'each user keeps their variant (by userId, else sessionId)',
        after: 'everyone with the same accountId gets the same variant',
      },
    ]);
    const flagLevel = diffConfig(config([], { variantStickiness: 'random' }), config([]));
    expect(flagLevel).toEqual([
      {
        kind: 'changed',
        label: 'Variant stickiness',
        before: 'a new variant at random on every evaluation',
        after: 'each user keeps their variant (by userId, else sessionId)',
      },
    ]);
    const rollout = diffConfig(config([de]), config([{ ...de, rollout: { percentage: 50, stickiness: 'random' } }]));
    expect(rollout).toEqual([
      { kind: 'changed', label: 'Rule 1 rollout', before: '50% by userId', after: '50% by chance (no stickiness)' },
    ]);
    for (const c of [...rollout, ...flagLevel]) expect(`${c.before}${c.after}`).not.toMatch(/[{}]/);
  });

  it('describes variant overrides and changes of a long payload in words', () => {
    const v = { name: 'red', weight: 1000, payload: { type: 'string', value: `${'x'.repeat(80)}1` } };
    const changes = diffConfig(
      config([], { variants: [v] }),
      config([], {
        variants: [
          { ...v, payload: { type: 'string', value: `${'x'.repeat(80)}2` }, overrides: [{ attribute: 'userId', values: ['u1'] }] },
        ],
      }),
    );
    expect(changes).toHaveLength(1);
    expect(changes[0]?.after).toMatch('always for userId u1');
  });
});

describe('undo one change', () => {
  const a: Rule = { id: 'a', conditions: [{ attribute: 'country', operator: 'IN', values: ['DE'] }] };
  const b: Rule = { id: 'b', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }], rollout: { percentage: 50 } };
  const c: Rule = { id: 'c', segments: ['beta'] };

  it('takes back only what that version changed, keeping later changes', () => {
    // v2 → v3 changed b's rollout; v4 (current) then added c and turned the flag off.
    const v2 = config([a, b]);
    const v3 = config([a, { ...b, rollout: { percentage: 25 } }]);
    const current = config([a, { ...b, rollout: { percentage: 25 } }, c], { enabled: false });
    const undone = undoChange(v2, v3, current);
    expect(undone.rules).toEqual([a, b, c]);
    expect(undone.enabled).toBe(false);
    expect(diffConfig(current, undone)).toEqual([
      { kind: 'changed', label: 'Rule 2 rollout', before: '25% by userId', after: '50% by userId' },
    ]);
    expect(touchedSince(v2, v3, current)).toEqual([]);
  });

  it('puts a removed rule back at its place, removes an added one, and flips the switch back only if that change flipped it', () => {
    const removed = undoChange(config([a, b, c]), config([a, c]), config([a, c]));
    expect(removed.rules.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    const added = undoChange(config([a]), config([a, c]), config([a, c, b]));
    expect(added.rules.map((r) => r.id)).toEqual(['a', 'b']);
    const off = undoChange(config([a], { enabled: true }), config([a], { enabled: false }), config([a, b], { enabled: false }));
    expect(off).toMatchObject({ enabled: true });
    expect(off.rules.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('warns when a rule it touched was edited again since', () => {
    const v3 = config([{ ...b, rollout: { percentage: 25 } }]);
    const current = config([{ ...b, rollout: { percentage: 10 } }]);
    expect(touchedSince(config([b]), v3, current)).toEqual(['b']);
  });
});
