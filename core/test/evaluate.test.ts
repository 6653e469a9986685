import { describe, expect, it } from 'vitest';
import { type Context, compileSnapshot, ErrorCode, evaluate, evaluateAll, type FlagConfig, Reason, type Snapshot } from '../src/index.ts';
import { allOperators } from '../src/operators.ts';
import { evaluateWire, wireView } from '../src/wire-evaluator.ts';

const snap = (flags: FlagConfig[], segments: Snapshot['segments'] = []) => compileSnapshot({ revision: 3, flags, segments }, allOperators);

describe('evaluate', () => {
  it('reports why: off, on for everyone, rule match, no match, not found', () => {
    const s = snap([
      { key: 'off', enabled: false, rules: [] },
      { key: 'on', enabled: true },
      {
        key: 'beta',
        enabled: true,
        rules: [{ id: 'staff', conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.io'] }] }],
      },
    ]);
    expect(evaluate(s, 'off', {})).toMatchObject({ enabled: false, reason: Reason.Off, ruleId: null });
    expect(evaluate(s, 'on', {})).toMatchObject({ enabled: true, reason: Reason.On, ruleId: null });
    expect(evaluate(s, 'beta', { properties: { email: 'kim@acme.io' } })).toMatchObject({
      enabled: true,
      reason: Reason.RuleMatch,
      ruleId: 'staff',
    });
    expect(evaluate(s, 'beta', { properties: { email: 'kim@other.io' } })).toMatchObject({ enabled: false, reason: Reason.NoRuleMatch });
    expect(evaluate(s, 'nope', {})).toMatchObject({ enabled: false, reason: Reason.NotFound, errorCode: ErrorCode.FlagNotFound });
  });

  it('never throws, whatever the snapshot or context holds', () => {
    const hostile = {
      revision: 'x',
      flags: [
        null,
        { key: 'a', enabled: true, rules: [{ id: 'r', conditions: [null, { attribute: 3 }], rollout: { percentage: 'lots' } }] },
        { key: 'b', enabled: true, rules: 'not a list', variants: [{ name: 'v', weight: Number.NaN }] },
        { key: 'c', enabled: true, rules: [{ id: 'r', conditions: [{ attribute: 'x', operator: 'NUM_GT', values: [{}] }] }] },
        { key: 'd', enabled: true, dependencies: [{ flag: 'd' }] },
      ],
      segments: [{ key: 's', conditions: 'nope' }, null],
    } as unknown as Snapshot;
    const s = compileSnapshot(hostile);
    const contexts = [
      undefined,
      null,
      {},
      { userId: 42 },
      { properties: null },
      { properties: { x: { deep: 1 } } },
      'str',
    ] as unknown as Context[];
    for (const key of ['a', 'b', 'c', 'd', '', 'zzz']) {
      for (const ctx of contexts) {
        const r = evaluate(s, key, ctx);
        expect(typeof r.enabled).toBe('boolean');
        expect(typeof r.reason).toBe('string');
      }
    }
    expect(evaluate(s, 'a', { userId: 'u' })).toMatchObject({ enabled: false, errorCode: ErrorCode.InvalidRule });
    expect(evaluate(s, 'c', { properties: { x: '5' } })).toMatchObject({ enabled: false, errorCode: ErrorCode.InvalidRule });
    // A self-dependency can never be satisfied, and evaluating it terminates.
    expect(evaluate(s, 'd', {})).toMatchObject({ enabled: false, reason: Reason.DependencyFailed });
  });

  it('treats a malformed rule as a miss and still evaluates the rules after it', () => {
    const s = snap([
      {
        key: 'f',
        enabled: true,
        rules: [
          { id: 'broken', conditions: [{ attribute: 'plan', operator: 'NOT_AN_OPERATOR' as 'IN', values: ['x'], inverted: true }] },
          { id: 'missing-segment', segments: ['ghost'] },
          { id: 'ok', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }] },
        ],
      },
    ]);
    expect(evaluate(s, 'f', { properties: { plan: 'pro' } })).toMatchObject({ enabled: true, ruleId: 'ok' });
    const miss = evaluate(s, 'f', { properties: { plan: 'free' } });
    expect(miss).toMatchObject({ enabled: false, reason: Reason.NoRuleMatch, errorCode: ErrorCode.InvalidRule });
    expect(miss.errorMessage).toContain('broken');
    expect(miss.errorMessage).toContain('ghost');
  });

  it('treats REGEX conditions as misses when no engine was given, and says so', () => {
    const s = compileSnapshot({
      revision: 1,
      flags: [{ key: 'r', enabled: true, rules: [{ id: 'x', conditions: [{ attribute: 'u', operator: 'REGEX', values: ['.*'] }] }] }],
    });
    expect(evaluate(s, 'r', { u: 'a' })).toMatchObject({ enabled: false, errorCode: ErrorCode.InvalidRule });
  });

  it('matches IN lists exactly, whatever characters a context value holds', () => {
    const values = Array.from({ length: 5 }, (_, i) => `v${i}`);
    const many = Array.from({ length: 20 }, (_, i) => `w${i}`);
    const s = snap([
      { key: 'short', enabled: true, rules: [{ id: 'r', conditions: [{ attribute: 'x', operator: 'IN', values }] }] },
      { key: 'long', enabled: true, rules: [{ id: 'r', conditions: [{ attribute: 'x', operator: 'NOT_IN', values: many }] }] },
    ]);
    for (const [x, expected] of [
      ['v1', true],
      ['v', false],
      ['1', false],
      ['v1\u0001v2', false],
      ['\u0001v1', false],
      ['', false],
    ] as const) {
      expect(evaluate(s, 'short', { properties: { x } }).enabled, JSON.stringify(x)).toBe(expected);
    }
    expect(evaluate(s, 'long', { properties: { x: 'w7' } }).enabled).toBe(false);
    expect(evaluate(s, 'long', { properties: { x: 'w77' } }).enabled).toBe(true);
  });

  it('cannot be hung by a regular expression (linear-time engine)', () => {
    const s = snap([
      {
        key: 'redos',
        enabled: true,
        rules: [{ id: 'r', conditions: [{ attribute: 'userId', operator: 'REGEX', values: ['^(a+)+$'] }] }],
      },
    ]);
    const evil = `${'a'.repeat(50_000)}!`;
    const started = performance.now();
    expect(evaluate(s, 'redos', { userId: evil }).enabled).toBe(false);
    // A backtracking engine needs longer than the universe's age here; RE2 is linear.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('evaluates one-level dependencies on the same context, including variants and off-parents', () => {
    const s = snap([
      {
        key: 'parent',
        enabled: true,
        rules: [{ id: 'eu', conditions: [{ attribute: 'region', operator: 'IN', values: ['eu'] }] }],
        variants: [{ name: 'blue', weight: 1 }],
      },
      { key: 'needs-parent', enabled: true, dependencies: [{ flag: 'parent' }] },
      { key: 'needs-blue', enabled: true, dependencies: [{ flag: 'parent', variants: ['blue'] }] },
      { key: 'needs-red', enabled: true, dependencies: [{ flag: 'parent', variants: ['red'] }] },
      { key: 'needs-parent-off', enabled: true, dependencies: [{ flag: 'parent', enabled: false }] },
      { key: 'grandchild', enabled: true, dependencies: [{ flag: 'needs-parent' }] },
      { key: 'cycle-a', enabled: true, dependencies: [{ flag: 'cycle-b' }] },
      { key: 'cycle-b', enabled: true, dependencies: [{ flag: 'cycle-a' }] },
    ]);
    const eu = { region: 'eu' };
    const us = { region: 'us' };
    expect(evaluate(s, 'needs-parent', eu).enabled).toBe(true);
    expect(evaluate(s, 'needs-parent', us).enabled).toBe(false);
    expect(evaluate(s, 'needs-blue', eu).enabled).toBe(true);
    expect(evaluate(s, 'needs-red', eu).enabled).toBe(false);
    expect(evaluate(s, 'needs-parent-off', us).enabled).toBe(true);
    expect(evaluate(s, 'needs-parent-off', eu).enabled).toBe(false);
    expect(evaluate(s, 'grandchild', eu)).toMatchObject({ enabled: false, reason: Reason.DependencyFailed });
    expect(evaluate(s, 'cycle-a', {}).reason).toBe(Reason.DependencyFailed);
  });

  it('picks rule variants over flag variants and honours overrides', () => {
    const s = snap([
      {
        key: 'banner',
        enabled: true,
        variants: [
          { name: 'flag-level', weight: 1 },
          { name: 'vip', weight: 0, overrides: [{ attribute: 'userId', values: ['ceo'] }] },
        ],
        rules: [
          {
            id: 'mobile',
            conditions: [{ attribute: 'platform', operator: 'IN', values: ['ios'] }],
            variants: [{ name: 'mobile', weight: 1, payload: { type: 'json', value: '{"a":1}' } }],
          },
          { id: 'rest' },
        ],
      },
    ]);
    expect(evaluate(s, 'banner', { platform: 'ios', userId: 'u1' })).toMatchObject({
      ruleId: 'mobile',
      variant: { name: 'mobile', enabled: true, payload: { type: 'json', value: '{"a":1}' } },
    });
    expect(evaluate(s, 'banner', { userId: 'u1' }).variant.name).toBe('flag-level');
    expect(evaluate(s, 'banner', { userId: 'ceo' }).variant.name).toBe('vip');
  });

  it('reads custom attributes from properties first, then the top level; standard ones the other way', () => {
    const s = snap([
      { key: 'custom', enabled: true, rules: [{ id: 'r', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }] }] },
      { key: 'standard', enabled: true, rules: [{ id: 'r', conditions: [{ attribute: 'userId', operator: 'IN', values: ['u1'] }] }] },
    ]);
    expect(evaluate(s, 'custom', { plan: 'pro' }).enabled).toBe(true);
    expect(evaluate(s, 'custom', { properties: { plan: 'pro' } }).enabled).toBe(true);
    expect(evaluate(s, 'custom', { plan: 'pro', properties: { plan: 'free' } }).enabled).toBe(false);
    expect(evaluate(s, 'standard', { userId: 'u1', properties: { userId: 'u2' } }).enabled).toBe(true);
    expect(evaluate(s, 'standard', { properties: { userId: 'u1' } }).enabled).toBe(true);
  });

  it('uses the injected clock for DATE conditions on currentTime', () => {
    const s = snap([
      {
        key: 'sale',
        enabled: true,
        rules: [{ id: 'r', conditions: [{ attribute: 'currentTime', operator: 'DATE_AFTER', values: ['2030-01-01T00:00:00Z'] }] }],
      },
    ]);
    expect(evaluate(s, 'sale', {}, { now: () => Date.parse('2029-12-31T23:59:59Z') }).enabled).toBe(false);
    expect(evaluate(s, 'sale', {}, { now: () => Date.parse('2030-01-01T00:00:01Z') }).enabled).toBe(true);
    expect(evaluate(s, 'sale', { currentTime: '2031-05-05T00:00:00Z' }, { now: () => 0 }).enabled).toBe(true);
  });

  it('returns frozen results, so a caller cannot corrupt later answers', () => {
    const s = snap([{ key: 'on', enabled: true }]);
    const r = evaluate(s, 'on', {});
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.keys(evaluateAll(s, {}))).toEqual(['on']);
  });
});

describe('plug-in operators', () => {
  const flag: FlagConfig = {
    key: 'f',
    enabled: true,
    rules: [{ id: 'r', conditions: [{ attribute: 'version', operator: 'SEMVER_GTE', values: ['2.0.0'] }] }],
  };
  const ctx = { properties: { version: '2.1.0' } };

  it('match once their plug-in is passed', () => {
    expect(evaluate(compileSnapshot({ revision: 1, flags: [flag] }, allOperators), 'f', ctx)).toMatchObject({ enabled: true, ruleId: 'r' });
  });

  it('never match without it, and say which plug-in is missing', () => {
    const r = evaluate(compileSnapshot({ revision: 1, flags: [flag] }, { regex: allOperators.regex }), 'f', ctx);
    expect(r).toMatchObject({ enabled: false, reason: Reason.NoRuleMatch, errorCode: ErrorCode.InvalidRule });
    expect(r.errorMessage).toContain('SEMVER_GTE needs the semver plug-in');
  });

  it('reads attributes of any name, quotes and inherited names included, as the wire evaluator does', () => {
    const names = ['a"b', "it's", 'back\\slash', 'line\u2028sep', '__proto__', 'toString', 'constructor', '0', '', 'userId'];
    const flags: FlagConfig[] = names.map((attribute, i) => ({
      key: `f${i}`,
      enabled: true,
      rules: [
        { id: 'r', conditions: [{ attribute, operator: 'IN', values: ['yes'] }], rollout: { percentage: 50, stickiness: attribute } },
      ],
    }));
    const s = snap(flags);
    const wire = wireView({ revision: 3, flags }, allOperators);
    let matched = 0;
    names.forEach((attribute, i) => {
      const shapes: Context[] = [{ [attribute]: 'yes' }, { properties: { [attribute]: 'yes' } }, {}];
      for (const shape of shapes) {
        for (let u = 0; u < 20; u++) {
          // Through JSON, so `__proto__` is an own property, as in a context parsed from a request.
          const ctx: Context = JSON.parse(JSON.stringify({ userId: `user-${u}`, ...shape }));
          const result = evaluate(s, `f${i}`, ctx);
          expect(result).toEqual(evaluateWire(wire, `f${i}`, ctx));
          if (result.enabled) matched++;
        }
      }
    });
    // Not vacuous: contexts holding the value under the odd names do get in.
    expect(matched).toBeGreaterThan(20);
  });
});
