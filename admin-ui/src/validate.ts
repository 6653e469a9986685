import type { IssueDetail } from './api.ts';
import { checkValue, operatorInfo } from './operators.ts';
import type { Condition, Dependency, FlagConfig, Rule, Variant } from './types.ts';

/**
 * The checks the UI runs before saving, so a PM sees the problem beside the field as they type.
 * The server checks again (core/src/validation.ts); its answers land on the same paths.
 */

export const WEIGHT_TOTAL = 1000;

export function hasAtMostDecimals(n: number, decimals: number): boolean {
  const f = 10 ** decimals;
  return Math.abs(Math.round(n * f) - n * f) < 1e-6;
}

export function checkPercentage(n: number): string | undefined {
  if (!Number.isFinite(n)) return 'Enter a percentage from 0 to 100';
  if (n < 0 || n > 100) return 'The percentage must be from 0 to 100';
  if (!hasAtMostDecimals(n, 2)) return 'Use at most two decimals (0.01% steps)';
  return undefined;
}

/** Problems with a payload's value for its type, as the user types. */
export function checkPayload(type: string, value: string): string | undefined {
  if (type === 'json') {
    try {
      JSON.parse(value);
      return undefined;
    } catch (e) {
      return `Not valid JSON: ${e instanceof Error ? e.message.replace(/^JSON\.parse: /, '') : 'cannot parse'}`;
    }
  }
  if (type === 'number' && (value.trim() === '' || Number.isNaN(Number(value)))) return 'Enter a number';
  return undefined;
}

const NAME = /^[\p{L}\p{N}\p{S}][\p{L}\p{M}\p{N}\p{S}._:-]*$/u;

export function checkConditions(conditions: Condition[], path: string): IssueDetail[] {
  const issues: IssueDetail[] = [];
  conditions.forEach((c, i) => {
    const p = `${path}/${i}`;
    if (c.attribute.trim() === '') issues.push({ path: `${p}/attribute`, message: 'Name the attribute to compare' });
    const info = operatorInfo(c.operator);
    if (!info) {
      issues.push({ path: `${p}/operator`, message: 'Pick an operator' });
      return;
    }
    if (c.values.length === 0 || (info.single && (c.values[0] ?? '').trim() === '')) {
      issues.push({ path: `${p}/values`, message: info.single ? 'Enter a value' : 'Enter at least one value' });
      return;
    }
    c.values.forEach((v, j) => {
      const problem = checkValue(c.operator, v);
      if (problem) issues.push({ path: `${p}/values/${j}`, message: problem });
    });
  });
  return issues;
}

export function checkVariants(variants: Variant[], path: string): IssueDetail[] {
  const issues: IssueDetail[] = [];
  if (variants.length === 0) return issues;
  const names = new Set<string>();
  let total = 0;
  variants.forEach((v, i) => {
    const p = `${path}/${i}`;
    if (!NAME.test(v.name)) issues.push({ path: `${p}/name`, message: 'Names use letters, digits, ".", "_", ":" or "-", no spaces' });
    else if (names.has(v.name)) issues.push({ path: `${p}/name`, message: `${v.name} appears twice` });
    names.add(v.name);
    if (!Number.isFinite(v.weight) || v.weight < 0 || v.weight > WEIGHT_TOTAL) {
      issues.push({ path: `${p}/weight`, message: 'Enter a share from 0 to 100%' });
    } else if (!Number.isInteger(v.weight)) {
      issues.push({ path: `${p}/weight`, message: 'Use at most one decimal (0.1% steps)' });
    }
    total += Number.isFinite(v.weight) ? v.weight : 0;
    if (v.payload) {
      const problem = checkPayload(v.payload.type, v.payload.value);
      if (problem) issues.push({ path: `${p}/payload/value`, message: problem });
    }
  });
  if (Math.round(total) !== WEIGHT_TOTAL) {
    issues.push({
      path,
      message: `The weights add up to ${Math.round(total) / 10}%; they must add up to 100% before you can save`,
    });
  }
  return issues;
}

export function checkRules(rules: Rule[]): IssueDetail[] {
  const issues: IssueDetail[] = [];
  rules.forEach((r, i) => {
    const p = `/rules/${i}`;
    issues.push(...checkConditions(r.conditions ?? [], `${p}/conditions`));
    if (r.rollout) {
      const problem = checkPercentage(r.rollout.percentage);
      if (problem) issues.push({ path: `${p}/rollout/percentage`, message: problem });
      if (r.rollout.stickiness !== undefined && r.rollout.stickiness.trim() === '') {
        issues.push({ path: `${p}/rollout/stickiness`, message: 'Name the attribute to stick to' });
      }
    }
    if (r.variants) issues.push(...checkVariants(r.variants, `${p}/variants`));
  });
  return issues;
}

export function checkDependencies(deps: Dependency[]): IssueDetail[] {
  return deps.flatMap((d, i) => (d.flag ? [] : [{ path: `/dependencies/${i}/flag`, message: 'Pick the flag this one depends on' }]));
}

export function checkConfig(c: Pick<FlagConfig, 'rules' | 'variants' | 'dependencies'>): IssueDetail[] {
  return [...checkRules(c.rules), ...checkVariants(c.variants, '/variants'), ...checkDependencies(c.dependencies)];
}
