import { parseCidr } from './cidr.ts';
import {
  type Condition,
  type FlagConfig,
  Operator,
  type Segment,
  SINGLE_VALUE_OPERATORS,
  type Snapshot,
  type WeightedVariant,
} from './model.ts';
import { re2Engine } from './regex.ts';
import { parseSemver } from './semver.ts';

/**
 * The checks the server runs on every write, so that what reaches an SDK always evaluates as its
 * author meant. Evaluation still copes with anything (malformed parts never match), but nothing
 * malformed should get that far.
 */

export const IssueCode = {
  Invalid: 'INVALID',
  UnknownOperator: 'UNKNOWN_OPERATOR',
  BadValue: 'BAD_VALUE',
  UnsafeRegex: 'INVALID_REGEX',
  Duplicate: 'DUPLICATE',
  UnknownSegment: 'UNKNOWN_SEGMENT',
  UnknownFlag: 'UNKNOWN_FLAG',
  DependencyCycle: 'DEPENDENCY_CYCLE',
  TransitiveDependency: 'TRANSITIVE_DEPENDENCY',
  /** Sensitive attributes travel to browsers as digests, which only equality can compare. */
  SensitiveAttribute: 'SENSITIVE_ATTRIBUTE',
} as const;
export type IssueCode = (typeof IssueCode)[keyof typeof IssueCode];

export interface ValidationIssue {
  /** JSON-pointer-like path to the offending field, e.g. `/rules/0/conditions/1/values/0`. */
  path: string;
  code: IssueCode;
  message: string;
}

export const LIMITS = {
  keyLength: 100,
  attributeLength: 100,
  valuesPerCondition: 1000,
  valueLength: 1000,
  conditionsPerRule: 50,
  rulesPerFlag: 200,
  segmentsPerRule: 20,
  variants: 50,
  payloadLength: 10_000,
  dependencies: 20,
} as const;

// Letters and digits of any script, symbols (emoji) and . _ : - ; never spaces, slashes or quotes,
// so a key is safe in a URL path segment once percent-encoded and unambiguous in logs.
const KEY = /^[\p{L}\p{N}\p{S}][\p{L}\p{M}\p{N}\p{S}._:-]*$/u;
const OPERATORS: ReadonlySet<string> = new Set(Object.values(Operator));

export function isValidKey(key: unknown): key is string {
  return typeof key === 'string' && key.length <= LIMITS.keyLength && KEY.test(key);
}

function isPercentage(n: unknown): boolean {
  return typeof n === 'number' && n >= 0 && n <= 100 && Math.abs(Math.round(n * 100) - n * 100) < 1e-6;
}

export function validateCondition(c: Condition, path: string, sensitive?: ReadonlySet<string>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (p: string, code: IssueCode, message: string) => issues.push({ path: path + p, code, message });
  if (sensitive?.has(c.attribute) && ((c.operator !== Operator.In && c.operator !== Operator.NotIn) || c.caseInsensitive)) {
    add('/operator', IssueCode.SensitiveAttribute, `${c.attribute} is sensitive: only IN and NOT_IN (case-sensitive) can compare it`);
  }
  if (typeof c.attribute !== 'string' || c.attribute === '' || c.attribute.length > LIMITS.attributeLength) {
    add('/attribute', IssueCode.Invalid, `attribute must be 1 to ${LIMITS.attributeLength} characters`);
  }
  if (!OPERATORS.has(c.operator)) {
    add('/operator', IssueCode.UnknownOperator, `unknown operator ${JSON.stringify(c.operator)}`);
    return issues;
  }
  const values = Array.isArray(c.values) ? c.values : [];
  if (values.length > LIMITS.valuesPerCondition) add('/values', IssueCode.Invalid, `at most ${LIMITS.valuesPerCondition} values`);
  values.forEach((v, i) => {
    if (typeof v !== 'string' || v.length > LIMITS.valueLength) {
      add(`/values/${i}`, IssueCode.BadValue, `values are strings of at most ${LIMITS.valueLength} characters`);
    }
  });
  if (SINGLE_VALUE_OPERATORS.has(c.operator) && values.length !== 1) {
    add('/values', IssueCode.BadValue, `${c.operator} takes exactly one value`);
    return issues;
  }
  const v = values[0] ?? '';
  switch (c.operator) {
    case Operator.NumEq:
    case Operator.NumGt:
    case Operator.NumGte:
    case Operator.NumLt:
    case Operator.NumLte:
      if (v.trim() === '' || Number.isNaN(Number(v))) add('/values/0', IssueCode.BadValue, `${c.operator} needs a number`);
      break;
    case Operator.DateAfter:
    case Operator.DateBefore:
      if (Number.isNaN(Date.parse(v))) add('/values/0', IssueCode.BadValue, `${c.operator} needs an ISO 8601 date`);
      break;
    case Operator.SemverEq:
    case Operator.SemverGt:
    case Operator.SemverGte:
    case Operator.SemverLt:
    case Operator.SemverLte:
      if (!parseSemver(v)) add('/values/0', IssueCode.BadValue, `${c.operator} needs a semantic version such as 1.2.3`);
      break;
    case Operator.Regex: {
      const re = re2Engine(v, c.caseInsensitive === true);
      if (typeof re === 'string') add('/values/0', IssueCode.UnsafeRegex, re);
      break;
    }
    case Operator.InCidr:
      values.forEach((cidr, i) => {
        if (typeof cidr === 'string' && !parseCidr(cidr.trim()))
          add(`/values/${i}`, IssueCode.BadValue, `not an IP address or CIDR range: ${JSON.stringify(cidr)}`);
      });
      break;
    default:
    // An empty list is meaningful (IN [] matches nobody, NOT_IN [] everybody), as in Unleash.
  }
  return issues;
}

function validateVariants(variants: WeightedVariant[] | undefined, path: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (variants === undefined) return issues;
  if (!Array.isArray(variants) || variants.length > LIMITS.variants) {
    return [{ path, code: IssueCode.Invalid, message: `at most ${LIMITS.variants} variants` }];
  }
  const names = new Set<string>();
  variants.forEach((v, i) => {
    const p = `${path}/${i}`;
    if (!isValidKey(v.name))
      issues.push({
        path: `${p}/name`,
        code: IssueCode.Invalid,
        message: 'variant names are 1 to 100 letters, digits, ".", "_", ":" or "-"',
      });
    else if (names.has(v.name))
      issues.push({ path: `${p}/name`, code: IssueCode.Duplicate, message: `variant ${JSON.stringify(v.name)} appears twice` });
    names.add(v.name);
    if (!Number.isInteger(v.weight) || v.weight < 0 || v.weight > 1_000_000) {
      issues.push({ path: `${p}/weight`, code: IssueCode.BadValue, message: 'weight is an integer from 0 to 1000000' });
    }
    if (v.payload !== undefined) {
      if (typeof v.payload.value !== 'string' || v.payload.value.length > LIMITS.payloadLength) {
        issues.push({
          path: `${p}/payload/value`,
          code: IssueCode.BadValue,
          message: `payload is a string of at most ${LIMITS.payloadLength} characters`,
        });
      } else if (v.payload.type === 'json') {
        try {
          JSON.parse(v.payload.value);
        } catch {
          issues.push({ path: `${p}/payload/value`, code: IssueCode.BadValue, message: 'payload of type json is not valid JSON' });
        }
      } else if (v.payload.type === 'number' && (v.payload.value.trim() === '' || Number.isNaN(Number(v.payload.value)))) {
        issues.push({ path: `${p}/payload/value`, code: IssueCode.BadValue, message: 'payload of type number is not a number' });
      }
    }
    (v.overrides ?? []).forEach((o, j) => {
      if (typeof o.attribute !== 'string' || o.attribute === '' || !Array.isArray(o.values)) {
        issues.push({ path: `${p}/overrides/${j}`, code: IssueCode.Invalid, message: 'an override names an attribute and its values' });
      }
    });
  });
  return issues;
}

export interface FlagValidationContext {
  /** Attributes marked sensitive: equality only, and never a stickiness. */
  sensitiveAttributes?: ReadonlySet<string>;
  /** Keys of the segments that exist; when given, references to others are refused. */
  segments?: ReadonlySet<string>;
  /** Dependencies of every other flag in the environment, for the one-level rule and cycles. */
  dependenciesOf?: (flagKey: string) => readonly string[] | undefined;
}

export function validateFlagConfig(flag: FlagConfig, context: FlagValidationContext = {}): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!isValidKey(flag.key))
    issues.push({
      path: '/key',
      code: IssueCode.Invalid,
      message: 'keys are 1 to 100 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
    });
  const rules = flag.rules ?? [];
  if (rules.length > LIMITS.rulesPerFlag)
    issues.push({ path: '/rules', code: IssueCode.Invalid, message: `at most ${LIMITS.rulesPerFlag} rules` });
  const ruleIds = new Set<string>();
  rules.forEach((rule, i) => {
    const p = `/rules/${i}`;
    if (typeof rule.id !== 'string' || rule.id === '' || rule.id.length > LIMITS.keyLength) {
      issues.push({ path: `${p}/id`, code: IssueCode.Invalid, message: 'a rule needs an id' });
    } else if (ruleIds.has(rule.id)) {
      issues.push({ path: `${p}/id`, code: IssueCode.Duplicate, message: `rule id ${JSON.stringify(rule.id)} appears twice` });
    }
    ruleIds.add(rule.id);
    const conditions = rule.conditions ?? [];
    if (conditions.length > LIMITS.conditionsPerRule)
      issues.push({ path: `${p}/conditions`, code: IssueCode.Invalid, message: `at most ${LIMITS.conditionsPerRule} conditions` });
    conditions.forEach((c, j) => {
      issues.push(...validateCondition(c, `${p}/conditions/${j}`, context.sensitiveAttributes));
    });
    for (const [field, value] of [
      ['rollout/stickiness', rule.rollout?.stickiness],
      ['variantStickiness', rule.variantStickiness],
    ] as const) {
      if (value !== undefined && context.sensitiveAttributes?.has(value)) {
        issues.push({
          path: `${p}/${field}`,
          code: IssueCode.SensitiveAttribute,
          message: `${value} is sensitive and cannot be a stickiness`,
        });
      }
    }
    const segs = rule.segments ?? [];
    if (segs.length > LIMITS.segmentsPerRule)
      issues.push({ path: `${p}/segments`, code: IssueCode.Invalid, message: `at most ${LIMITS.segmentsPerRule} segments` });
    segs.forEach((s, j) => {
      if (context.segments && !context.segments.has(s)) {
        issues.push({ path: `${p}/segments/${j}`, code: IssueCode.UnknownSegment, message: `segment ${JSON.stringify(s)} does not exist` });
      }
    });
    if (rule.rollout !== undefined && !isPercentage(rule.rollout.percentage)) {
      issues.push({
        path: `${p}/rollout/percentage`,
        code: IssueCode.BadValue,
        message: 'percentage is 0 to 100 with at most two decimals',
      });
    }
    issues.push(...validateVariants(rule.variants, `${p}/variants`));
  });
  issues.push(...validateVariants(flag.variants, '/variants'));
  if (flag.variantStickiness !== undefined && context.sensitiveAttributes?.has(flag.variantStickiness)) {
    issues.push({
      path: '/variantStickiness',
      code: IssueCode.SensitiveAttribute,
      message: `${flag.variantStickiness} is sensitive and cannot be a stickiness`,
    });
  }
  const deps = flag.dependencies ?? [];
  if (deps.length > LIMITS.dependencies)
    issues.push({ path: '/dependencies', code: IssueCode.Invalid, message: `at most ${LIMITS.dependencies} dependencies` });
  deps.forEach((d, i) => {
    const p = `/dependencies/${i}/flag`;
    if (d.flag === flag.key) {
      issues.push({ path: p, code: IssueCode.DependencyCycle, message: 'a flag cannot depend on itself' });
      return;
    }
    if (!context.dependenciesOf) return;
    const parentDeps = context.dependenciesOf(d.flag);
    if (parentDeps === undefined) {
      issues.push({ path: p, code: IssueCode.UnknownFlag, message: `flag ${JSON.stringify(d.flag)} does not exist` });
    } else if (parentDeps.includes(flag.key)) {
      issues.push({ path: p, code: IssueCode.DependencyCycle, message: `${JSON.stringify(d.flag)} already depends on this flag` });
    } else if (parentDeps.length > 0) {
      issues.push({
        path: p,
        code: IssueCode.TransitiveDependency,
        message: `${JSON.stringify(d.flag)} has dependencies of its own; dependencies are one level deep`,
      });
    }
  });
  return issues;
}

export function validateSegment(segment: Segment, sensitiveAttributes?: ReadonlySet<string>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!isValidKey(segment.key))
    issues.push({ path: '/key', code: IssueCode.Invalid, message: 'keys are 1 to 100 letters, digits, ".", "_", ":" or "-"' });
  const conditions = segment.conditions ?? [];
  if (conditions.length > LIMITS.conditionsPerRule)
    issues.push({ path: '/conditions', code: IssueCode.Invalid, message: `at most ${LIMITS.conditionsPerRule} conditions` });
  conditions.forEach((c, i) => {
    issues.push(...validateCondition(c, `/conditions/${i}`, sensitiveAttributes));
  });
  return issues;
}

/** Validates a whole environment: every flag and segment, references, and the dependency graph. */
export function validateSnapshot(snapshot: Snapshot): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const segments = snapshot.segments ?? [];
  const segmentKeys = new Set(segments.map((s) => s.key));
  segments.forEach((s, i) => {
    for (const issue of validateSegment(s)) issues.push({ ...issue, path: `/segments/${i}${issue.path}` });
  });
  const deps = new Map(snapshot.flags.map((f) => [f.key, (f.dependencies ?? []).map((d) => d.flag)]));
  const seen = new Set<string>();
  snapshot.flags.forEach((f, i) => {
    if (seen.has(f.key))
      issues.push({ path: `/flags/${i}/key`, code: IssueCode.Duplicate, message: `flag ${JSON.stringify(f.key)} appears twice` });
    seen.add(f.key);
    for (const issue of validateFlagConfig(f, { segments: segmentKeys, dependenciesOf: (k) => deps.get(k) })) {
      issues.push({ ...issue, path: `/flags/${i}${issue.path}` });
    }
  });
  return issues;
}
