import { describe, expect, it } from 'vitest';
import {
  type Condition,
  type Context,
  compileSnapshot,
  type Dependency,
  evaluate,
  evaluateWire,
  type FlagConfig,
  type Rule,
  type Segment,
  type WeightedVariant,
  wireView,
} from '../src/index.ts';
import { allOperators } from '../src/operators.ts';

/** mulberry32: a small seeded generator, so a failure names a seed that reproduces it. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Attributes, the values configurations and contexts draw for them, and the operators that suit them. */
const ATTRIBUTES: Record<string, { values: string[]; operators: string[] }> = {
  userId: { values: ['u1', 'u2', 'u3', 'kim', 'ärger-7'], operators: ['IN', 'NOT_IN', 'STR_STARTS_WITH', 'REGEX'] },
  sessionId: { values: ['s1', 's2'], operators: ['IN', 'NOT_IN'] },
  remoteAddress: {
    values: ['10.1.2.3', '192.168.0.1', '::1', '10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'],
    operators: ['IN_CIDR', 'IN'],
  },
  currentTime: { values: ['2025-01-01T00:00:00Z', '2030-06-01', '2027-01-01T00:00:00Z'], operators: ['DATE_AFTER', 'DATE_BEFORE'] },
  plan: {
    values: ['pro', 'Pro', ' free ', 'free', 'team'],
    operators: ['IN', 'NOT_IN', 'STR_STARTS_WITH', 'STR_ENDS_WITH', 'STR_CONTAINS', 'REGEX'],
  },
  country: { values: ['de', 'DE', 'se', 'no'], operators: ['IN', 'NOT_IN', 'STR_CONTAINS'] },
  version: {
    values: ['1.2.3', '2.0.0-beta.1', '2.0.0', '1.10.0', '3.0.0-rc.1+build'],
    operators: ['SEMVER_EQ', 'SEMVER_GT', 'SEMVER_GTE', 'SEMVER_LT', 'SEMVER_LTE'],
  },
  age: { values: ['42', '7.5', '18', '-1', '42.0'], operators: ['NUM_EQ', 'NUM_GT', 'NUM_GTE', 'NUM_LT', 'NUM_LTE'] },
  email: {
    values: ['kim@acme.io', '@acme.io', 'KIM@ACME.IO', 'bo@other.org'],
    operators: ['STR_ENDS_WITH', 'STR_STARTS_WITH', 'IN', 'REGEX'],
  },
};
const NAMES = Object.keys(ATTRIBUTES);
/** Now and then, something that does not fit: another operator, a malformed value, an unknown name. */
const ODD_OPERATORS = ['NUM_GT', 'DATE_AFTER', 'SEMVER_EQ', 'IN_CIDR', 'REGEX', 'NOT_AN_OPERATOR', 'toString'];
const ODD_VALUES = ['', 'x', '[', '   ', 'not-a-date', '1.2', 'ten'];

function generate(seed: number) {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const some = <T>(max: number, make: () => T): T[] => Array.from({ length: Math.floor(r() * (max + 1)) }, make);
  const condition = (): Condition => {
    const attribute = pick(NAMES);
    const spec = ATTRIBUTES[attribute] as { values: string[]; operators: string[] };
    return {
      attribute,
      operator: (r() < 0.9 ? pick(spec.operators) : pick(ODD_OPERATORS)) as Condition['operator'],
      values: some(3, () => (r() < 0.93 ? pick(spec.values) : pick(ODD_VALUES))),
      ...(r() < 0.2 ? { inverted: true } : {}),
      // A truthy non-boolean (from a hand-made bootstrap) must count as false in both.
      ...(r() < 0.3 ? { caseInsensitive: r() < 0.9 ? true : ('yes' as unknown as boolean) } : {}),
    };
  };
  const variants = (): WeightedVariant[] =>
    some(3, () => ({
      name: pick(['red', 'green', 'blue']),
      weight: pick([0, 1, 50, 100, 33.7, -5]),
      ...(r() < 0.3 ? { payload: { type: 'string', value: pick(['a', 'b']) } } : {}),
      ...(r() < 0.2 ? { overrides: [{ attribute: pick(NAMES), values: some(2, () => pick(ATTRIBUTES.plan?.values ?? [])) }] } : {}),
    }));
  const segments: Segment[] = ['s1', 's2'].map((key) => ({ key, conditions: some(2, condition) }));
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  const flags: FlagConfig[] = keys.map((key) => {
    const rules: Rule[] = some(3, () => ({
      // '' is a legal id for an imported rule, not the implicit rule of a flag without rules.
      id: r() < 0.05 ? '' : `r${Math.floor(r() * 100)}`,
      ...(r() < 0.3 ? { segments: some(2, () => pick(['s1', 's2', 'ghost'])) } : {}),
      conditions: some(2, condition),
      ...(r() < 0.5
        ? {
            rollout: {
              percentage: pick([0, 0.01, 33.33, 50, 100, 'lots' as unknown as number]),
              ...(r() < 0.5 ? { stickiness: pick(['default', 'random', 'userId', 'sessionId', 'plan']) } : {}),
              ...(r() < 0.3 ? { groupId: 'shared' } : {}),
            },
          }
        : {}),
      ...(r() < 0.3 ? { variants: variants() } : {}),
      ...(r() < 0.2 ? { variantStickiness: pick(['default', 'random', 'country']) } : {}),
    }));
    const dependencies: Dependency[] = some(1, () => ({
      flag: pick(keys),
      ...(r() < 0.3 ? { enabled: false } : {}),
      ...(r() < 0.3 ? { variants: ['red'] } : {}),
    }));
    return {
      key,
      enabled: r() < 0.85,
      ...(r() < 0.8 ? { rules } : {}),
      ...(r() < 0.4 ? { variants: variants() } : {}),
      ...(r() < 0.2 ? { variantStickiness: pick(['default', 'random', 'plan']) } : {}),
      ...(r() < 0.3 ? { dependencies } : {}),
    };
  });
  const contexts: Context[] = Array.from({ length: 8 }, () => {
    const ctx: Context = { properties: {} };
    for (const [a, spec] of Object.entries(ATTRIBUTES)) {
      if (r() < 0.3) continue;
      const value = r() < 0.9 ? pick(spec.values) : pick<unknown>([3, true, '', ...ODD_VALUES]);
      if (r() < 0.6 && !['userId', 'sessionId', 'remoteAddress', 'currentTime'].includes(a))
        (ctx.properties as Record<string, unknown>)[a] = value;
      else ctx[a] = value;
      // The same custom name at the top level too: properties win for custom attributes.
      if (r() < 0.1) ctx[a] = pick(spec.values);
    }
    return ctx;
  });
  return { snapshot: { revision: 1, flags, segments }, keys: [...keys, 'missing'], contexts };
}

describe('the wire evaluator', () => {
  it('gives the same answer as the compiled evaluator on 400 random snapshots (every operator, broken rules included)', () => {
    let compared = 0;
    const tally: Record<string, number> = {};
    for (let seed = 1; seed <= 400; seed++) {
      const { snapshot, keys, contexts } = generate(seed);
      const compiled = compileSnapshot(snapshot, allOperators);
      const wire = wireView(snapshot, allOperators);
      for (const key of keys) {
        for (const [i, ctx] of contexts.entries()) {
          // Both draw the same random numbers, so random stickiness agrees too.
          const options = () => ({ now: () => Date.parse('2027-01-01T00:00:00Z'), random: prng(seed * 1000 + i) });
          const expected = evaluate(compiled, key, ctx, options());
          const t = `${expected.reason}${expected.variant.enabled ? '+variant' : ''}${expected.errorCode ? `+${expected.errorCode}` : ''}`;
          tally[t] = (tally[t] ?? 0) + 1;
          expect({ seed, key, ctx, result: evaluateWire(wire, key, ctx, options()) }).toEqual({ seed, key, ctx, result: { ...expected } });
          compared++;
        }
      }
    }
    expect(compared).toBe(400 * 7 * 8);
    // The snapshots exercise every kind of answer, not only misses and errors.
    for (const kind of [
      'ON',
      'ON+variant',
      'RULE_MATCH',
      'RULE_MATCH+variant',
      'NO_RULE_MATCH',
      'NO_RULE_MATCH+INVALID_RULE',
      'OFF',
      'DEPENDENCY_FAILED',
    ])
      expect(tally[kind]).toBeGreaterThan(1000);
  });

  it('never throws, whatever the snapshot or context holds', () => {
    const hostile = {
      revision: 'x',
      flags: [
        null,
        { key: 'a', enabled: true, rules: [{ id: 'r', conditions: [null, { attribute: 3 }], rollout: { percentage: 'lots' } }] },
        { key: 'b', enabled: true, rules: 'not a list', variants: [{ name: 'v', weight: Number.NaN }] },
        { key: 'c', enabled: true, rules: [null, 5] },
        { key: 'd', enabled: true, dependencies: [{ flag: 'd' }, null] },
        { key: 'e', enabled: true, rules: [{ id: 'r', conditions: [{ attribute: 'x', operator: 7, values: 'nope' }] }] },
      ],
      segments: [{ key: 's', conditions: 'nope' }, null],
    } as unknown as Parameters<typeof wireView>[0];
    const view = wireView(hostile);
    for (const key of ['a', 'b', 'c', 'd', 'e', '', 'zzz']) {
      for (const ctx of [undefined, null, {}, { userId: 42 }, { properties: null }, 'str'] as unknown as Context[]) {
        const r = evaluateWire(view, key, ctx);
        expect(typeof r.enabled).toBe('boolean');
        expect(typeof r.reason).toBe('string');
      }
    }
  });
});
