import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSnapshot, evaluate } from '../src/index.ts';
import type { EvaluationResult, FlagConfig, Segment } from '../src/model.ts';
import { allOperators } from '../src/operators.ts';
import { exportUnleash, importUnleash, UnleashDifferenceCode, unleashDifferences } from '../src/unleash/index.ts';
import { contextArb, flagSetArb, segments } from './unleash-arbitraries.ts';

const options = { now: () => Date.parse('2025-10-01T00:00:00Z'), random: () => 0.5 };
const answer = (r: EvaluationResult) => ({ enabled: r.enabled, variant: r.variant.name, payload: r.variant.payload?.value });

function roundTrip(flags: FlagConfig[], segs: Segment[]) {
  const exported = exportUnleash({ flags, segments: segs });
  // Through JSON, as it travels to an SDK.
  const imported = importUnleash(JSON.parse(JSON.stringify(exported.payload)));
  return { exported, imported };
}

describe('exportUnleash', () => {
  it('writes rules as strategies, conditions as constraints, segments with numeric ids', () => {
    const { payload, differences } = exportUnleash({
      segments: [segments[1] as Segment, segments[0] as Segment],
      flags: [
        { key: 'everyone', enabled: true },
        {
          key: 'beta',
          enabled: true,
          rules: [
            { id: 'staff', segments: ['nordics'], conditions: [{ attribute: 'age', operator: 'NUM_GT', values: ['17'], inverted: true }] },
            {
              id: 'ramp',
              rollout: { percentage: 25, stickiness: 'tenant', groupId: 'shared' },
              variants: [{ name: 'a', weight: 1, payload: { type: 'string', value: 'x' } }],
            },
          ],
          dependencies: [{ flag: 'everyone', variants: ['disabled'] }],
        },
      ],
    });
    expect(differences).toEqual([]);
    expect(payload.segments).toEqual([
      {
        id: 1,
        name: 'nordics',
        constraints: [
          { contextName: 'country', operator: 'IN', values: ['se', 'no', 'dk', 'fi'], inverted: false, caseInsensitive: false },
        ],
      },
      {
        id: 2,
        name: 'paying',
        constraints: [{ contextName: 'plan', operator: 'NOT_IN', values: ['free'], inverted: false, caseInsensitive: false }],
      },
    ]);
    expect(payload.features[0]).toMatchObject({
      name: 'everyone',
      enabled: true,
      strategies: [{ name: 'default', constraints: [] }],
      variants: [],
    });
    expect(payload.features[1]).toMatchObject({
      name: 'beta',
      strategies: [
        {
          id: 'staff',
          name: 'default',
          segments: [1],
          constraints: [{ contextName: 'age', operator: 'NUM_GT', value: '17', values: [], inverted: true, caseInsensitive: false }],
        },
        {
          id: 'ramp',
          name: 'flexibleRollout',
          parameters: { rollout: '25', stickiness: 'tenant', groupId: 'shared' },
          variants: [{ name: 'a', weight: 1, stickiness: 'tenant', payload: { type: 'string', value: 'x' } }],
        },
      ],
      dependencies: [{ feature: 'everyone', enabled: true, variants: ['disabled'] }],
    });
  });

  it('gives a strategy variant split the flag key as group id and the rollout stickiness, as our evaluator does', () => {
    const { payload } = exportUnleash({
      flags: [
        {
          key: 'f',
          enabled: true,
          rules: [{ id: 'r', variants: [{ name: 'a', weight: 1 }] }],
          variants: [{ name: 'z', weight: 3 }],
          variantStickiness: 'tenant',
        },
      ],
    });
    expect(payload.features[0]?.strategies?.[0]).toMatchObject({
      name: 'flexibleRollout',
      parameters: { rollout: '100', stickiness: 'default', groupId: 'f' },
    });
    expect(payload.features[0]?.variants).toEqual([{ name: 'z', weight: 3, weightType: 'variable', stickiness: 'tenant' }]);
  });

  it('turns a rule naming a missing segment into one that matches nobody, there and back', () => {
    const flags: FlagConfig[] = [{ key: 'f', enabled: true, rules: [{ id: 'r', segments: ['gone'] }] }];
    const { imported } = roundTrip(flags, []);
    const s = compileSnapshot({ revision: 1, flags: imported.flags.map((f) => f.config), segments: imported.segments }, allOperators);
    expect(evaluate(s, 'f', { userId: 'u' }).enabled).toBe(false);
  });

  it('reports what Unleash SDKs cannot compute as we do, per flag and rule', () => {
    const flag: FlagConfig = {
      key: 'canary',
      enabled: true,
      rules: [
        { id: 'tiny', rollout: { percentage: 0.05 } },
        { id: 'half', rollout: { percentage: 12.5, groupId: '' } },
        { id: 'signup', conditions: [{ attribute: 'signup', operator: 'DATE_AFTER', values: ['2025-01-01T00:00:00Z'] }] },
        { id: 'now', conditions: [{ attribute: 'currentTime', operator: 'DATE_AFTER', values: ['2025-01-01T00:00:00Z'] }] },
        { id: 'weightless', variants: [{ name: 'a', weight: 0, overrides: [{ attribute: 'userId', values: ['u'] }] }] },
      ],
    };
    const codes = unleashDifferences(flag).map((d) => [d.ruleId, d.code]);
    expect(codes).toEqual([
      ['tiny', UnleashDifferenceCode.FractionalRollout],
      ['half', UnleashDifferenceCode.FractionalRollout],
      ['half', UnleashDifferenceCode.EmptyGroupId],
      ['signup', UnleashDifferenceCode.DateOnAttribute],
      ['weightless', UnleashDifferenceCode.OverridesWithoutWeight],
    ]);
    expect(unleashDifferences(flag)[0]?.message).toContain('roll out to 0% instead of 0.05%');
    // A date condition inside a segment counts too.
    expect(
      unleashDifferences({ key: 'x', enabled: true, rules: [{ id: 'r', segments: ['s'] }] }, [
        { key: 's', conditions: [{ attribute: 'birthday', operator: 'DATE_BEFORE', values: ['2000-01-01T00:00:00Z'] }] },
      ]).map((d) => d.code),
    ).toEqual([UnleashDifferenceCode.DateOnAttribute]);
    const exported = exportUnleash({ flags: [flag] });
    expect(exported.differences).toEqual(unleashDifferences(flag));
    expect(exported.payload.features[0]?.strategies?.[1]?.parameters).toMatchObject({ rollout: '12' });
  });

  it('round trip: import(export(x)) evaluates like x for random flags and contexts', () => {
    fc.assert(
      fc.property(flagSetArb(6), fc.array(contextArb, { minLength: 20, maxLength: 20 }), (flags, contexts) => {
        const { exported, imported } = roundTrip(flags, segments);
        expect(exported.differences).toEqual([]);
        expect(imported.warnings).toEqual([]);
        const before = compileSnapshot({ revision: 1, flags, segments }, allOperators);
        const after = compileSnapshot(
          { revision: 1, flags: imported.flags.map((f) => f.config), segments: imported.segments },
          allOperators,
        );
        for (const ctx of contexts) {
          for (const f of flags)
            expect(answer(evaluate(after, f.key, ctx, options)), f.key).toEqual(answer(evaluate(before, f.key, ctx, options)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('round trip with what Unleash cannot express: every flag that answers differently was reported', () => {
    let reportedAndDifferent = 0;
    fc.assert(
      fc.property(flagSetArb(6, { inexact: true }), fc.array(contextArb, { minLength: 20, maxLength: 20 }), (flags, contexts) => {
        const { exported, imported } = roundTrip(flags, segments);
        const reported = new Set(exported.differences.map((d) => d.flag));
        const before = compileSnapshot({ revision: 1, flags, segments }, allOperators);
        const after = compileSnapshot(
          { revision: 1, flags: imported.flags.map((f) => f.config), segments: imported.segments },
          allOperators,
        );
        for (const f of flags) {
          const suspect = reported.has(f.key) || (f.dependencies ?? []).some((d) => reported.has(d.flag));
          for (const ctx of contexts) {
            const same =
              JSON.stringify(answer(evaluate(after, f.key, ctx, options))) ===
              JSON.stringify(answer(evaluate(before, f.key, ctx, options)));
            if (!same) {
              expect(suspect, `${f.key} answers differently without a reported difference`).toBe(true);
              reportedAndDifferent++;
            }
          }
        }
      }),
      { numRuns: 200 },
    );
    // The generator does produce flags that Unleash sees differently.
    expect(reportedAndDifferent).toBeGreaterThan(0);
  });
});

describe('exportUnleash: an empty group id', () => {
  it('is reported for a rule that splits variants at 100%, which the group id seeds too', () => {
    const flag = {
      key: 'flag-5',
      enabled: true,
      rules: [
        {
          id: 'r1',
          conditions: [],
          rollout: { percentage: 100, groupId: '' },
          variants: [
            { name: 'a', weight: 1 },
            { name: 'b', weight: 1 },
          ],
        },
      ],
    };
    const codes = unleashDifferences(flag).map((d) => d.code);
    expect(codes).toContain('EMPTY_GROUP_ID');
    const plain = { ...flag, rules: [{ id: 'r1', conditions: [], rollout: { percentage: 100, groupId: '' } }] };
    expect(unleashDifferences(plain).map((d) => d.code)).not.toContain('EMPTY_GROUP_ID');
  });
});

describe('importUnleash: remoteAddress with IPv6 ranges', () => {
  it('matches the whole range and warns that Unleash SDKs matched the exact string only', () => {
    const { flags, warnings } = importUnleash({
      features: [
        { name: 'ip', enabled: true, strategies: [{ id: 's1', name: 'remoteAddress', parameters: { IPs: '10.0.0.0/8, 2001:db8::/32' } }] },
      ],
    });
    expect(warnings).toEqual([
      'ip, strategy s1: IPv6 ranges 2001:db8::/32 now match every address in them (Unleash SDKs matched them only as exact strings)',
    ]);
    const s = compileSnapshot({ revision: 1, flags: flags.map((f) => f.config) }, allOperators);
    expect(evaluate(s, 'ip', { remoteAddress: '2001:db8::7' }).enabled).toBe(true);
  });
});
