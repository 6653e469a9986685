import fc from 'fast-check';
import type { Condition, Context, Dependency, FlagConfig, Rule, Segment, WeightedVariant } from '../src/model.ts';

/*
 * Random flags and contexts for the Unleash round trip (core) and the comparison with the real
 * unleash-client (test/src/unleash). Every operator, segments, stickiness, group ids, flag and rule
 * variants with overrides, dependencies. Contexts always carry userId, `tenant` and currentTime, so
 * no answer depends on chance (a missing sticky id means a coin toss in both evaluators), and never
 * an empty string (the one documented difference in how values are read).
 */

const COUNTRIES = ['se', 'no', 'dk', 'fi', 'de'];
const PLANS = ['free', 'pro', 'team', 'enterprise'];
const TENANTS = ['t1', 't2', 't3', 't4', 't5', 't6'];
const VERSIONS = ['1.0.0', '1.2.3', '1.10.0', '2.0.0-beta.1', '2.0.0', '3.1.4'];
const DOMAINS = ['acme.io', 'example.com', 'Mail.Example.COM', 'corp.se'];
const RANGES = ['10.0.0.0/8', '192.168.1.0/24', '172.16.5.4', '2001:db8::/32', 'fd00::/8'];
const ADDRESSES = ['10.1.2.3', '192.168.1.77', '192.168.2.1', '172.16.5.4', '8.8.8.8', '2001:db8::1', 'fd12::9', '2001:dead::1'];
const DATES = ['2025-01-01T00:00:00.000Z', '2025-06-15T12:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-12-31T00:00:00.000Z'];
const REGEXES = ['^[a-m]', 'acme\\.io$', '^user-1[0-9]*@', '(pro|team)'];
export const SEGMENT_KEYS = ['nordics', 'paying', 'modern'];

export const segments: Segment[] = [
  { key: 'nordics', conditions: [{ attribute: 'country', operator: 'IN', values: ['se', 'no', 'dk', 'fi'] }] },
  { key: 'paying', conditions: [{ attribute: 'plan', operator: 'NOT_IN', values: ['free'] }] },
  {
    key: 'modern',
    conditions: [
      { attribute: 'version', operator: 'SEMVER_GTE', values: ['1.2.3'] },
      { attribute: 'age', operator: 'NUM_GT', values: ['17'] },
    ],
  },
];

const some = <T>(values: readonly T[], max = 3) => fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: max });
const flags = { inverted: fc.boolean(), caseInsensitive: fc.boolean() };

/** One condition of each family, with values that sometimes match the generated contexts. */
export const conditionArb: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({
    attribute: fc.constantFrom('country', 'plan', 'tenant'),
    operator: fc.constantFrom('IN' as const, 'NOT_IN' as const),
    values: some([...COUNTRIES, ...PLANS, ...TENANTS], 4),
    inverted: flags.inverted,
  }),
  fc.record({
    attribute: fc.constant('userId'),
    operator: fc.constantFrom('IN' as const, 'NOT_IN' as const),
    values: some(['user-1', 'user-2', 'user-3', 'user-42'], 3),
    inverted: flags.inverted,
  }),
  fc.record({
    attribute: fc.constant('email'),
    operator: fc.constantFrom('STR_STARTS_WITH' as const, 'STR_ENDS_WITH' as const, 'STR_CONTAINS' as const),
    values: some(['user-1', 'user-2', ...DOMAINS, 'example', 'ACME'], 3),
    ...flags,
  }),
  fc.record({
    attribute: fc.constant('age'),
    operator: fc.constantFrom('NUM_EQ' as const, 'NUM_GT' as const, 'NUM_GTE' as const, 'NUM_LT' as const, 'NUM_LTE' as const),
    values: fc.integer({ min: 0, max: 90 }).map((n) => [String(n)]),
    inverted: flags.inverted,
  }),
  fc.record({
    attribute: fc.constant('currentTime'),
    operator: fc.constantFrom('DATE_AFTER' as const, 'DATE_BEFORE' as const),
    values: fc.constantFrom(...DATES).map((d) => [d]),
    inverted: flags.inverted,
  }),
  fc.record({
    attribute: fc.constant('version'),
    operator: fc.constantFrom(
      'SEMVER_EQ' as const,
      'SEMVER_GT' as const,
      'SEMVER_GTE' as const,
      'SEMVER_LT' as const,
      'SEMVER_LTE' as const,
    ),
    values: fc.constantFrom(...VERSIONS).map((v) => [v]),
    inverted: flags.inverted,
  }),
  fc.record({
    attribute: fc.constant('email'),
    operator: fc.constant('REGEX' as const),
    values: fc.constantFrom(...REGEXES).map((r) => [r]),
    ...flags,
  }),
  fc.record({
    attribute: fc.constant('remoteAddress'),
    operator: fc.constant('IN_CIDR' as const),
    values: some(RANGES, 3),
    inverted: flags.inverted,
  }),
);

const payloadArb = fc.option(
  fc.oneof(
    fc.record({ type: fc.constant('string'), value: fc.constantFrom('red', 'blue', 'green') }),
    fc.record({ type: fc.constant('json'), value: fc.constantFrom('{"a":1}', '{"theme":"dark"}') }),
    fc.record({ type: fc.constant('number'), value: fc.constantFrom('1', '42.5') }),
  ),
  { nil: undefined },
);

function variantsArb(weights: fc.Arbitrary<number>): fc.Arbitrary<WeightedVariant[]> {
  return fc
    .uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 4 })
    .chain((names) =>
      fc.tuple(
        ...names.map((name) =>
          fc.record({
            name: fc.constant(name),
            weight: weights,
            payload: payloadArb,
            overrides: fc.option(
              fc.tuple(fc.record({ attribute: fc.constantFrom('country', 'userId'), values: some([...COUNTRIES, 'user-3', 'user-7'], 2) })),
              { nil: undefined, freq: 4 },
            ),
          }),
        ),
      ),
    )
    .map((vs) => vs.map((v) => Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as unknown as WeightedVariant));
}

const stickinessArb = fc.constantFrom('default', 'userId', 'tenant', 'sessionId');

export interface FlagOptions {
  /** Allow what Unleash cannot express (hundredths, DATE on other attributes, ...): the round trip must report it. */
  inexact?: boolean;
}

function ruleArb(id: string, o: FlagOptions): fc.Arbitrary<Rule> {
  const cond = o.inexact
    ? fc.oneof(
        { weight: 9, arbitrary: conditionArb },
        {
          weight: 1,
          arbitrary: fc.record({
            attribute: fc.constant('signup'),
            operator: fc.constant('DATE_AFTER' as const),
            values: fc.constantFrom(...DATES).map((d) => [d]),
          }),
        },
      )
    : conditionArb;
  const percentage = o.inexact
    ? fc.oneof(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 9999 }).map((n) => n / 100),
      )
    : fc.integer({ min: 0, max: 100 });
  return fc
    .record({
      conditions: fc.array(cond, { maxLength: 3 }),
      segments: fc.option(fc.uniqueArray(fc.constantFrom(...SEGMENT_KEYS), { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 2 }),
      rollout: fc.option(
        fc.record({
          percentage,
          stickiness: fc.option(stickinessArb, { nil: undefined }),
          groupId: fc.option(fc.constantFrom('shared', 'g1', ...(o.inexact ? [''] : [])), { nil: undefined }),
        }),
        { nil: undefined, freq: 2 },
      ),
      variants: fc.option(variantsArb(fc.integer({ min: o.inexact ? 0 : 1, max: 100 })), { nil: undefined, freq: 3 }),
      variantStickiness: fc.option(fc.constantFrom('default', 'userId', 'tenant'), { nil: undefined }),
    })
    .map((r) => {
      const rule: Rule = { id, conditions: r.conditions };
      if (r.segments) rule.segments = r.segments;
      if (r.rollout) {
        rule.rollout = { percentage: r.rollout.percentage };
        if (r.rollout.stickiness) rule.rollout.stickiness = r.rollout.stickiness;
        if (r.rollout.groupId !== undefined) rule.rollout.groupId = r.rollout.groupId;
      }
      if (r.variants) {
        rule.variants = r.variants;
        if (r.variantStickiness) rule.variantStickiness = r.variantStickiness;
      }
      return rule;
    });
}

/** One flag; `parents` are keys of flags without dependencies it may depend on. */
export function flagArb(key: string, parents: readonly string[], o: FlagOptions = {}): fc.Arbitrary<FlagConfig> {
  const dependency: fc.Arbitrary<Dependency[] | undefined> =
    parents.length === 0
      ? fc.constant(undefined)
      : fc
          .option(
            fc.tuple(
              fc.record({
                flag: fc.constantFrom(...parents),
                enabled: fc.option(fc.boolean(), { nil: undefined }),
                variants: fc.option(some(['a', 'b', 'c', 'disabled'], 2), { nil: undefined, freq: 3 }),
              }),
            ),
            { nil: undefined, freq: 3 },
          )
          .map((deps) =>
            deps?.map((d) => {
              const out: Dependency = { flag: d.flag };
              if (d.enabled === false) out.enabled = false;
              else if (d.variants) out.variants = d.variants;
              return out;
            }),
          );
  return fc
    .record({
      enabled: fc.integer({ min: 0, max: 9 }).map((n) => n < 8),
      ruleCount: fc.integer({ min: 0, max: 4 }),
      variants: fc.option(variantsArb(fc.integer({ min: o.inexact ? 0 : 1, max: 1000 })), { nil: undefined, freq: 2 }),
      variantStickiness: fc.option(fc.constantFrom('default', 'userId', 'tenant'), { nil: undefined }),
      dependencies: dependency,
    })
    .chain((f) =>
      fc.tuple(...Array.from({ length: f.ruleCount }, (_, i) => ruleArb(`r${i + 1}`, o))).map((rules) => {
        const flag: FlagConfig = { key, enabled: f.enabled, rules };
        if (f.variants) {
          flag.variants = f.variants;
          if (f.variantStickiness) flag.variantStickiness = f.variantStickiness;
        }
        if (f.dependencies) flag.dependencies = f.dependencies;
        return flag;
      }),
    );
}

/** `count` flags: the first third have no dependencies and serve as parents of the rest. */
export function flagSetArb(count: number, o: FlagOptions = {}): fc.Arbitrary<FlagConfig[]> {
  const parents = Array.from({ length: Math.ceil(count / 3) }, (_, i) => `flag-${i}`);
  return fc.tuple(...Array.from({ length: count }, (_, i) => flagArb(`flag-${i}`, i < parents.length ? [] : parents, o)));
}

/** A context with ASCII ids and no empty strings, as a Node service would pass. */
export const contextArb: fc.Arbitrary<Context> = fc
  .record({
    userId: fc.oneof(
      fc.constantFrom('user-1', 'user-2', 'user-3', 'user-7', 'user-42'),
      fc.integer({ min: 1, max: 1_000_000 }).map((n) => `user-${n}`),
    ),
    sessionId: fc.option(
      fc.integer({ min: 0, max: 0xffffffff }).map((n) => `s-${n.toString(16)}`),
      { nil: undefined },
    ),
    remoteAddress: fc.option(fc.constantFrom(...ADDRESSES), { nil: undefined }),
    currentTime: fc.constantFrom(
      '2024-12-31T00:00:00.000Z',
      '2025-03-01T00:00:00.000Z',
      '2025-09-01T00:00:00.000Z',
      '2026-06-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ),
    country: fc.option(fc.constantFrom(...COUNTRIES), { nil: undefined }),
    plan: fc.option(fc.constantFrom(...PLANS), { nil: undefined }),
    tenant: fc.constantFrom(...TENANTS),
    email: fc.option(
      fc.tuple(fc.integer({ min: 1, max: 30 }), fc.constantFrom(...DOMAINS)).map(([n, d]) => `user-${n}@${d}`),
      { nil: undefined },
    ),
    age: fc.option(fc.integer({ min: 0, max: 99 }).map(String), { nil: undefined }),
    version: fc.option(fc.constantFrom(...VERSIONS), { nil: undefined }),
  })
  .map((r) => {
    const ctx: Context = { userId: r.userId, currentTime: r.currentTime, properties: { tenant: r.tenant } };
    if (r.sessionId) ctx.sessionId = r.sessionId;
    if (r.remoteAddress) ctx.remoteAddress = r.remoteAddress;
    const props = ctx.properties as Record<string, string>;
    for (const k of ['country', 'plan', 'email', 'age', 'version'] as const) {
      const v = r[k];
      if (v !== undefined) props[k] = v;
    }
    return ctx;
  });

/** A fixed sample, for suites that compare engines over many pairs rather than shrink a failure. */
export function sampleFlags(count: number, seed: number, o: FlagOptions = {}): FlagConfig[] {
  return fc.sample(flagSetArb(count, o), { seed, numRuns: 1 })[0] as FlagConfig[];
}

export function sampleContexts(count: number, seed: number): Context[] {
  return fc.sample(contextArb, { seed, numRuns: count });
}
