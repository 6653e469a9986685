import { describe, expect, it } from 'vitest';
import { describeCondition, describeRule, diffConfig } from '../../../admin-ui/src/describe.ts';
import { describePath, Issues } from '../../../admin-ui/src/issues.ts';
import { type Editable, rebase } from '../../../admin-ui/src/merge.ts';
import { OPERATORS, typeOfOperator } from '../../../admin-ui/src/operators.ts';
import type { Rule } from '../../../admin-ui/src/types.ts';
import { checkPayload, checkPercentage, checkRules, checkVariants } from '../../../admin-ui/src/validate.ts';

/** The admin UI's pure parts: the words it uses for changes, its checks and its merge of two edits. */

const country = (values: string[], id?: string): Rule => ({
  ...(id ? { id } : {}),
  conditions: [{ attribute: 'country', operator: 'IN', values }],
  rollout: { percentage: 12.5, stickiness: 'userId' },
});

describe('describing and diffing configurations', () => {
  it('puts rules and conditions in words', () => {
    expect(describeRule(country(['DE', 'FR']))).toBe('If country is one of DE, FR → 12.5% by userId');
    expect(describeCondition({ attribute: 'appVersion', operator: 'SEMVER_GTE', values: ['2.1.0'], inverted: true })).toBe(
      'NOT (appVersion (version) ≥ 2.1.0)',
    );
    expect(describeRule({ segments: ['beta'] })).toBe('If in segment beta → 100%');
  });

  it('diffs rule by rule and part by part', () => {
    const before = { enabled: false, rules: [country(['DE'], 'r1')], variants: [], dependencies: [] };
    const after = {
      enabled: true,
      rules: [{ ...country(['DE'], 'r1'), rollout: { percentage: 25, stickiness: 'userId' } }, country(['NL'], 'r2')],
      variants: [],
      dependencies: [{ flag: 'parent' }],
    };
    expect(diffConfig(before, after)).toEqual([
      { kind: 'changed', label: 'Status', before: 'Off', after: 'On' },
      { kind: 'changed', label: 'Rule 1 rollout', before: '12.5% by userId', after: '25% by userId' },
      { kind: 'added', label: 'Rule 2 added', after: 'If country is one of NL → 12.5% by userId' },
      { kind: 'added', label: 'Dependency added', after: 'parent is on' },
    ]);
  });

  it('pairs a rule that got a new id with the one it replaced', () => {
    const changes = diffConfig({ rules: [country(['DE'], 'old')] }, { rules: [country(['DE', 'AT'], 'new')] });
    expect(changes).toEqual([
      { kind: 'added', label: 'Rule 1 condition', after: 'country is one of DE, AT' },
      expect.objectContaining({ kind: 'removed' }),
    ]);
  });
});

describe('checks before saving', () => {
  it('takes rollout percentages with two decimals and weights that add up to 100%', () => {
    expect(checkPercentage(12.5)).toBeUndefined();
    expect(checkPercentage(0.01)).toBeUndefined();
    expect(checkPercentage(12.345)).toMatch(/two decimals/);
    expect(checkPercentage(Number.NaN)).toMatch(/percentage/);
    expect(
      checkVariants(
        [
          { name: 'a', weight: 125 },
          { name: 'b', weight: 875 },
        ],
        '/variants',
      ),
    ).toEqual([]);
    expect(
      checkVariants(
        [
          { name: 'a', weight: 125 },
          { name: 'b', weight: 800 },
        ],
        '/variants',
      ),
    ).toEqual([{ path: '/variants', message: expect.stringMatching(/92\.5%.*100%/) }]);
    expect(checkVariants([{ name: 'a b', weight: 1000 }], '/v')[0]?.path).toBe('/v/0/name');
  });

  it('checks JSON and number payloads as they are typed', () => {
    expect(checkPayload('json', '{"a": 1}')).toBeUndefined();
    expect(checkPayload('json', '{"a": ')).toMatch(/Not valid JSON/);
    expect(checkPayload('number', '12.5')).toBeUndefined();
    expect(checkPayload('number', 'twelve')).toBe('Enter a number');
    expect(checkPayload('string', 'anything')).toBeUndefined();
  });

  it('checks condition values for their type, on the paths the server uses', () => {
    const issues = checkRules([
      { conditions: [{ attribute: 'v', operator: 'SEMVER_GT', values: ['one'] }] },
      { conditions: [{ attribute: '', operator: 'IN', values: [] }] },
    ]);
    expect(issues.map((i) => i.path)).toEqual([
      '/rules/0/conditions/0/values/0',
      '/rules/1/conditions/0/attribute',
      '/rules/1/conditions/0/values',
    ]);
  });

  it('finds issues by the field they concern and says where they are', () => {
    const issues = new Issues([
      { path: '/rules/0/conditions/1/values/0', message: 'bad regex' },
      { path: '/rules/0/rollout/percentage', message: 'too big' },
    ]);
    expect(issues.at('/rules/0/conditions/1/values')).toBe('Value 1: bad regex');
    expect(issues.exact('/rules/0/conditions/1/values')).toBeUndefined();
    expect(issues.has('/rules/0')).toBe(true);
    expect(describePath('/rules/0/conditions/1/values/0')).toBe('Rule 1 › condition 2 › value 1');
  });

  it('offers operators by attribute type, covering core’s whole list', () => {
    const all = Object.values(OPERATORS)
      .flat()
      .map((o) => o.value)
      .sort();
    expect(all).toEqual(
      [
        'IN',
        'NOT_IN',
        'STR_STARTS_WITH',
        'STR_ENDS_WITH',
        'STR_CONTAINS',
        'NUM_EQ',
        'NUM_GT',
        'NUM_GTE',
        'NUM_LT',
        'NUM_LTE',
        'DATE_AFTER',
        'DATE_BEFORE',
        'SEMVER_EQ',
        'SEMVER_GT',
        'SEMVER_GTE',
        'SEMVER_LT',
        'SEMVER_LTE',
        'REGEX',
        'IN_CIDR',
      ].sort(),
    );
    expect(typeOfOperator('IN_CIDR')).toBe('ip');
    expect(typeOfOperator('DATE_BEFORE')).toBe('date');
  });
});

describe('applying my edit onto a newer version', () => {
  const base: Editable = { rules: [country(['DE'], 'a'), country(['FR'], 'b')], variants: [], dependencies: [] };

  it('keeps their rules, takes my edits and deletions, and appends my new rules', () => {
    const theirs: Editable = { ...base, rules: [country(['DE', 'AT'], 'a'), country(['FR'], 'b'), country(['IT'], 'c')] };
    const mine: Editable = { ...base, rules: [country(['DE'], 'a'), country(['NL'])] };
    // I deleted b and added NL; they edited a and added c.
    expect(rebase(base, theirs, mine).rules).toEqual([country(['DE', 'AT'], 'a'), country(['IT'], 'c'), country(['NL'])]);
  });

  it('takes my version of a rule we both edited, and my other fields only where I changed them', () => {
    const theirs: Editable = { ...base, rules: [country(['DE', 'AT'], 'a'), base.rules[1] as Rule], dependencies: [{ flag: 'x' }] };
    const mine: Editable = { ...base, rules: [country(['DE', 'CH'], 'a'), base.rules[1] as Rule], variants: [{ name: 'v', weight: 1000 }] };
    const merged = rebase(base, theirs, mine);
    expect(merged.rules[0]).toEqual(country(['DE', 'CH'], 'a'));
    expect(merged.dependencies).toEqual([{ flag: 'x' }]);
    expect(merged.variants).toEqual([{ name: 'v', weight: 1000 }]);
  });
});
