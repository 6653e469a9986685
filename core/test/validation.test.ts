import { describe, expect, it } from 'vitest';
import type { FlagConfig } from '../src/index.ts';
import {
  IssueCode,
  validateFlagConfig,
  validateSegment,
  validateSnapshot,
  validateWireFlag,
  validateWirePatch,
  validateWireSegment,
  validateWireSnapshot,
} from '../src/validation.ts';

const codes = (issues: { code: string }[]) => issues.map((i) => i.code);

describe('validation', () => {
  it('accepts a well-formed flag', () => {
    const flag: FlagConfig = {
      key: 'new-checkout',
      enabled: true,
      rules: [
        {
          id: 'r1',
          conditions: [
            { attribute: 'country', operator: 'IN', values: ['NO', 'SE'] },
            { attribute: 'version', operator: 'SEMVER_GTE', values: ['2.0.0'] },
            { attribute: 'email', operator: 'REGEX', values: ['^[^@]+@acme\\.io$'] },
            { attribute: 'ip', operator: 'IN_CIDR', values: ['10.0.0.0/8', '2001:db8::/32'] },
          ],
          rollout: { percentage: 12.5, stickiness: 'accountId' },
        },
      ],
      variants: [
        { name: 'a', weight: 500, payload: { type: 'json', value: '{"x":1}' } },
        { name: 'b', weight: 500 },
      ],
    };
    expect(validateFlagConfig(flag)).toEqual([]);
  });

  it('refuses what would evaluate differently from what the author meant', () => {
    const issues = validateFlagConfig({
      key: 'bad key',
      enabled: true,
      rules: [
        {
          id: 'r',
          conditions: [
            { attribute: 'x', operator: 'LIKE' as 'IN', values: ['a'] },
            { attribute: 'n', operator: 'NUM_GT', values: ['ten'] },
            { attribute: 'd', operator: 'DATE_AFTER', values: ['yesterday'] },
            { attribute: 'v', operator: 'SEMVER_EQ', values: ['v1.0'] },
            { attribute: 'e', operator: 'REGEX', values: ['^(a)\\1$'] },
            { attribute: 'e', operator: 'REGEX', values: ['(unclosed'] },
            { attribute: 'ip', operator: 'IN_CIDR', values: ['10.0.0.0/33'] },
          ],
          rollout: { percentage: 12.345 },
        },
        { id: 'r' },
      ],
      variants: [
        { name: 'a', weight: 1, payload: { type: 'json', value: '{' } },
        { name: 'a', weight: -1 },
      ],
      dependencies: [{ flag: 'bad key' }],
    });
    expect(codes(issues)).toEqual([
      IssueCode.Invalid,
      IssueCode.UnknownOperator,
      IssueCode.BadValue,
      IssueCode.BadValue,
      IssueCode.BadValue,
      IssueCode.UnsafeRegex,
      IssueCode.UnsafeRegex,
      IssueCode.BadValue,
      IssueCode.BadValue,
      IssueCode.Duplicate,
      IssueCode.BadValue,
      IssueCode.Duplicate,
      IssueCode.BadValue,
      IssueCode.DependencyCycle,
    ]);
    expect(issues[2]?.path).toBe('/rules/0/conditions/1/values/0');
  });

  it('keeps dependencies one level deep and acyclic across a snapshot', () => {
    const issues = validateSnapshot({
      revision: 1,
      flags: [
        { key: 'a', enabled: true, dependencies: [{ flag: 'b' }] },
        { key: 'b', enabled: true, dependencies: [{ flag: 'a' }] },
        { key: 'c', enabled: true, dependencies: [{ flag: 'a' }] },
        { key: 'd', enabled: true, dependencies: [{ flag: 'ghost' }] },
        { key: 'e', enabled: true, rules: [{ id: 'r', segments: ['nope'] }] },
      ],
    });
    expect(codes(issues)).toEqual([
      IssueCode.DependencyCycle,
      IssueCode.DependencyCycle,
      IssueCode.TransitiveDependency,
      IssueCode.UnknownFlag,
      IssueCode.UnknownSegment,
    ]);
  });

  it('allows keys in any script, as Unleash does', () => {
    expect(validateSegment({ key: 'Hellø_Wørld.😊', conditions: [] })).toEqual([]);
    expect(codes(validateSegment({ key: 'a/b', conditions: [] }))).toEqual([IssueCode.Invalid]);
  });
});

describe('sensitive attributes', () => {
  const sensitive = new Set(['email']);
  it('allow only case-sensitive IN and NOT_IN, and never serve as stickiness', () => {
    const flag: FlagConfig = {
      key: 'f',
      enabled: true,
      rules: [
        {
          id: 'r',
          conditions: [
            { attribute: 'email', operator: 'IN', values: ['a@b.c'] },
            { attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@b.c'] },
            { attribute: 'email', operator: 'NOT_IN', values: ['x@b.c'], caseInsensitive: true },
          ],
          rollout: { percentage: 50, stickiness: 'email' },
        },
      ],
    };
    const issues = validateFlagConfig(flag, { sensitiveAttributes: sensitive });
    expect(issues.map((i) => i.path)).toEqual([
      '/rules/0/conditions/1/operator',
      '/rules/0/conditions/2/operator',
      '/rules/0/rollout/stickiness',
    ]);
    expect(codes(issues)).toEqual([IssueCode.SensitiveAttribute, IssueCode.SensitiveAttribute, IssueCode.SensitiveAttribute]);
    expect(
      codes(validateSegment({ key: 's', conditions: [{ attribute: 'email', operator: 'REGEX', values: ['.*'] }] }, sensitive)),
    ).toEqual([IssueCode.SensitiveAttribute]);
  });
});

describe('wire validation (what SDKs check before they take data)', () => {
  const good = {
    key: 'checkout',
    enabled: true,
    rules: [
      {
        id: 'r1',
        conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }],
        rollout: { percentage: 50, stickiness: null },
        variants: null,
      },
    ],
    variants: [{ name: 'a', weight: 1, payload: { type: 'json', value: '{}' } }],
  };

  it('accepts a well-formed flag, with null for absent optional fields', () => {
    expect(validateWireFlag(good)).toEqual([]);
    expect(validateWireSnapshot({ revision: 1, flags: [good], segments: [{ key: 's', conditions: [] }] })).toEqual([]);
  });

  it('refuses broken rules inside a well-formed flag, naming where', () => {
    const broken = { key: 'checkout', enabled: true, rules: [null, { rollout: { percentage: 'abc' } }] };
    const issues = validateWireFlag(broken);
    expect(issues.map((i) => i.path)).toEqual(['/rules/0', '/rules/1/id', '/rules/1/rollout/percentage']);
    expect(validateWirePatch({ revision: 2, changes: [{ op: 'flag', flag: broken as never }] })[0]?.path).toBe('/changes/0/flag/rules/0');
  });

  it('refuses what evaluation cannot use: wrong types, percentages, weights, duplicate keys', () => {
    const flag = (rule: object) => ({ key: 'f', enabled: true, rules: [{ id: 'r', ...rule }] });
    expect(codes(validateWireFlag(flag({ rollout: { percentage: 101 } })))).toEqual([IssueCode.BadValue]);
    expect(codes(validateWireFlag(flag({ conditions: [{ attribute: 'n', operator: 'NUM_GT', values: [1] }] })))).toEqual([
      IssueCode.Invalid,
    ]);
    expect(codes(validateWireFlag(flag({ conditions: [{ attribute: 'n', operator: 'IN', values: 'a' }] })))).toEqual([IssueCode.Invalid]);
    expect(codes(validateWireFlag(flag({ variants: [{ name: 'a', weight: -1 }] })))).toEqual([IssueCode.BadValue]);
    expect(codes(validateWireFlag({ key: 'f', enabled: 'yes' }))).toEqual([IssueCode.Invalid]);
    expect(
      codes(
        validateWireSnapshot({
          revision: 1,
          flags: [
            { key: 'f', enabled: true },
            { key: 'f', enabled: false },
          ],
        }),
      ),
    ).toEqual([IssueCode.Duplicate]);
    expect(codes(validateWireSegment({ key: 's', conditions: [{ attribute: 'd', operator: 'DATE_AFTER' }] }))).toEqual([IssueCode.Invalid]);
  });

  it('checks the envelope from raw JSON: revision, arrays, known changes', () => {
    expect(codes(validateWireSnapshot({ revision: -1, flags: [] }))).toEqual([IssueCode.Invalid]);
    expect(codes(validateWireSnapshot({ revision: 1, flags: {} }))).toEqual([IssueCode.Invalid]);
    expect(codes(validateWireSnapshot(null))).toEqual([IssueCode.Invalid]);
    expect(codes(validateWirePatch({ revision: 2, changes: [{ op: 'rename' }] }))).toEqual([IssueCode.Invalid]);
    expect(codes(validateWirePatch({ revision: 2, changes: [{ op: 'flag-removed' }] }))).toEqual([IssueCode.Invalid]);
    expect(validateWirePatch({ revision: 2, changes: [{ op: 'segment-removed', key: 's' }] })).toEqual([]);
  });

  it('lets through what only writes must respect: unknown operators (a newer server), counts (inlined segments), key grammar', () => {
    const conditions = Array.from({ length: 120 }, () => ({ attribute: 'a', operator: 'IN', values: ['x'] }));
    const flag = {
      key: 'legacy key',
      enabled: true,
      rules: [{ id: 'r', conditions: [...conditions, { attribute: 'a', operator: 'FUTURE_OP', values: [] }] }],
    };
    expect(validateWireFlag(flag)).toEqual([]);
    expect(codes(validateFlagConfig(flag as FlagConfig))).toContain(IssueCode.UnknownOperator);
    // A value its operator cannot parse never matches (Unleash's specification tests exactly that).
    const unparsable = (operator: string, value: string) => ({ attribute: 'a', operator, values: [value] });
    const odd = [unparsable('NUM_GT', 'x'), unparsable('DATE_AFTER', 'soon'), unparsable('SEMVER_EQ', '1.2'), unparsable('IN_CIDR', 'lan')];
    expect(validateWireFlag({ key: 'f', enabled: true, rules: [{ id: 'r', conditions: odd }] })).toEqual([]);
    // A payload is the application's to parse (the OpenFeature providers report it per flag).
    expect(
      validateWireFlag({ key: 'f', enabled: true, variants: [{ name: 'v', weight: 1, payload: { type: 'json', value: '{' } }] }),
    ).toEqual([]);
  });
});
