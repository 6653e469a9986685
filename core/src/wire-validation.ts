import { parseCidr } from './cidr.ts';
import type { Condition, FlagConfig, Segment, WeightedVariant } from './model.ts';
import { parseSemver } from './semver.ts';

/**
 * The checks flag data passes: what SDKs check before they take data from the network, a cache or a
 * bootstrap (the wire checks, exported from the package root), and the core of what the server
 * checks on every write (validation.ts adds the rest). Evaluation still copes with anything
 * (malformed parts never match), but nothing malformed should get that far.
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
  /** A segment's values in all its conditions together (pasted id lists; IN is one hash lookup). */
  segmentValues: 50_000,
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

export function isValidKey(key: unknown): key is string {
  return typeof key === 'string' && key.length <= LIMITS.keyLength && KEY.test(key);
}

/**
 * What the checks of writes add to the wire checks. Passed in by validation.ts, so that this module
 * (what SDKs load, a browser on demand) holds neither the regex engine nor the operator tables.
 */
export interface AuthoringChecks {
  /** A problem with a REGEX pattern (unsafe, invalid), or null. */
  regex(pattern: string, caseInsensitive: boolean): string | null;
  /** Every operator this build knows; others are refused. */
  operators: ReadonlySet<string>;
  /** Operators that take exactly one value. */
  singleValue: ReadonlySet<string>;
}

function isPercentage(n: unknown): boolean {
  return typeof n === 'number' && n >= 0 && n <= 100 && Math.abs(Math.round(n * 100) - n * 100) < 1e-6;
}

/** `authoring` null: the wire checks, which let an operator this build does not know through (a newer server's). */
export function conditionIssues(
  c: Condition,
  path: string,
  sensitive: ReadonlySet<string> | undefined,
  authoring: AuthoringChecks | null,
  maxValues: number = LIMITS.valuesPerCondition,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (p: string, code: IssueCode, message: string) => issues.push({ path: path + p, code, message });
  if (sensitive?.has(c.attribute) && ((c.operator !== 'IN' && c.operator !== 'NOT_IN') || c.caseInsensitive)) {
    add('/operator', IssueCode.SensitiveAttribute, `${c.attribute} is sensitive: only IN and NOT_IN (case-sensitive) can compare it`);
  }
  if (typeof c.attribute !== 'string' || c.attribute === '' || c.attribute.length > LIMITS.attributeLength) {
    add('/attribute', IssueCode.Invalid, `attribute must be 1 to ${LIMITS.attributeLength} characters`);
  }
  if (authoring !== null && !authoring.operators.has(c.operator)) {
    add('/operator', IssueCode.UnknownOperator, `unknown operator ${JSON.stringify(c.operator)}`);
    return issues;
  }
  const values = Array.isArray(c.values) ? c.values : [];
  if (authoring !== null && values.length > maxValues) add('/values', IssueCode.Invalid, `at most ${maxValues} values`);
  values.forEach((v, i) => {
    if (typeof v !== 'string' || v.length > LIMITS.valueLength) {
      add(`/values/${i}`, IssueCode.BadValue, `values are strings of at most ${LIMITS.valueLength} characters`);
    }
  });
  if (authoring?.singleValue.has(c.operator) && values.length !== 1) {
    add('/values', IssueCode.BadValue, `${c.operator} takes exactly one value`);
    return issues;
  }
  // A value an operator cannot parse makes its condition never match, as in Unleash (whose
  // specification tests exactly that): only writes refuse it.
  if (authoring === null) return issues;
  const v = values[0] ?? '';
  switch (c.operator) {
    case 'NUM_EQ':
    case 'NUM_GT':
    case 'NUM_GTE':
    case 'NUM_LT':
    case 'NUM_LTE':
      if (v.trim() === '' || Number.isNaN(Number(v))) add('/values/0', IssueCode.BadValue, `${c.operator} needs a number`);
      break;
    case 'DATE_AFTER':
    case 'DATE_BEFORE':
      if (Number.isNaN(Date.parse(v))) add('/values/0', IssueCode.BadValue, `${c.operator} needs an ISO 8601 date`);
      break;
    case 'SEMVER_EQ':
    case 'SEMVER_GT':
    case 'SEMVER_GTE':
    case 'SEMVER_LT':
    case 'SEMVER_LTE':
      if (!parseSemver(v)) add('/values/0', IssueCode.BadValue, `${c.operator} needs a semantic version such as 1.2.3`);
      break;
    case 'REGEX': {
      const problem = authoring?.regex(v, c.caseInsensitive === true);
      if (problem) add('/values/0', IssueCode.UnsafeRegex, problem);
      break;
    }
    case 'IN_CIDR':
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

function validateVariants(variants: WeightedVariant[] | undefined, path: string, authoring: boolean): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (variants == null) return issues;
  if (!Array.isArray(variants) || (authoring && variants.length > LIMITS.variants)) {
    return [{ path, code: IssueCode.Invalid, message: `at most ${LIMITS.variants} variants` }];
  }
  const names = new Set<string>();
  variants.forEach((v, i) => {
    const p = `${path}/${i}`;
    if (authoring && !isValidKey(v.name))
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
    if (v.payload != null) {
      if (typeof v.payload.value !== 'string' || (authoring && v.payload.value.length > LIMITS.payloadLength)) {
        issues.push({
          path: `${p}/payload/value`,
          code: IssueCode.BadValue,
          message: `payload is a string of at most ${LIMITS.payloadLength} characters`,
        });
      } else if (!authoring) {
        // A payload is handed to the application, not evaluated: the OpenFeature providers report
        // one that does not parse for its own flag, which is no reason to refuse the others.
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

/**
 * `authoring` null: the wire checks, i.e. what evaluation relies on. They leave out what only
 * writes must respect (the key grammar, counts, regex safety, unknown operators, payloads that
 * parse), so that neither
 * a newer server nor the client view, which inlines segments into rules, makes an SDK refuse data.
 */
export function flagIssues(flag: FlagConfig, context: FlagValidationContext, authoring: AuthoringChecks | null): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const strict = authoring !== null;
  if (strict && !isValidKey(flag.key))
    issues.push({
      path: '/key',
      code: IssueCode.Invalid,
      message: 'keys are 1 to 100 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
    });
  const rules = flag.rules ?? [];
  if (strict && rules.length > LIMITS.rulesPerFlag)
    issues.push({ path: '/rules', code: IssueCode.Invalid, message: `at most ${LIMITS.rulesPerFlag} rules` });
  const ruleIds = new Set<string>();
  rules.forEach((rule, i) => {
    const p = `/rules/${i}`;
    if (typeof rule.id !== 'string' || rule.id === '' || (strict && rule.id.length > LIMITS.keyLength)) {
      issues.push({ path: `${p}/id`, code: IssueCode.Invalid, message: 'a rule needs an id' });
    } else if (ruleIds.has(rule.id)) {
      issues.push({ path: `${p}/id`, code: IssueCode.Duplicate, message: `rule id ${JSON.stringify(rule.id)} appears twice` });
    }
    ruleIds.add(rule.id);
    const conditions = rule.conditions ?? [];
    if (strict && conditions.length > LIMITS.conditionsPerRule)
      issues.push({ path: `${p}/conditions`, code: IssueCode.Invalid, message: `at most ${LIMITS.conditionsPerRule} conditions` });
    conditions.forEach((c, j) => {
      issues.push(...conditionIssues(c, `${p}/conditions/${j}`, context.sensitiveAttributes, authoring));
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
    if (strict && segs.length > LIMITS.segmentsPerRule)
      issues.push({ path: `${p}/segments`, code: IssueCode.Invalid, message: `at most ${LIMITS.segmentsPerRule} segments` });
    segs.forEach((s, j) => {
      if (context.segments && !context.segments.has(s)) {
        issues.push({ path: `${p}/segments/${j}`, code: IssueCode.UnknownSegment, message: `segment ${JSON.stringify(s)} does not exist` });
      }
    });
    if (rule.rollout != null && !isPercentage(rule.rollout.percentage)) {
      issues.push({
        path: `${p}/rollout/percentage`,
        code: IssueCode.BadValue,
        message: 'percentage is 0 to 100 with at most two decimals',
      });
    }
    issues.push(...validateVariants(rule.variants, `${p}/variants`, strict));
  });
  issues.push(...validateVariants(flag.variants, '/variants', strict));
  if (flag.variantStickiness !== undefined && context.sensitiveAttributes?.has(flag.variantStickiness)) {
    issues.push({
      path: '/variantStickiness',
      code: IssueCode.SensitiveAttribute,
      message: `${flag.variantStickiness} is sensitive and cannot be a stickiness`,
    });
  }
  const deps = flag.dependencies ?? [];
  if (strict && deps.length > LIMITS.dependencies)
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

/**
 * The JSON types of a flag's and a segment's fields as SDKs receive them. Optional fields are
 * marked `?` and may also be null (JSON has no undefined); fields not named here are ignored, so
 * a newer server can add some.
 */
type Shape = 'string' | 'boolean' | 'number' | readonly [Shape] | { readonly [field: string]: Shape };
const CONDITION: Shape = {
  attribute: 'string',
  operator: 'string',
  values: ['string'],
  'inverted?': 'boolean',
  'caseInsensitive?': 'boolean',
};
const VARIANT: Shape = {
  name: 'string',
  weight: 'number',
  'payload?': { type: 'string', value: 'string' },
  'overrides?': [{ attribute: 'string', values: ['string'] }],
};
const FLAG: Shape = {
  key: 'string',
  enabled: 'boolean',
  'rules?': [
    {
      id: 'string',
      'segments?': ['string'],
      'conditions?': [CONDITION],
      'rollout?': { percentage: 'number', 'stickiness?': 'string', 'groupId?': 'string' },
      'variants?': [VARIANT],
      'variantStickiness?': 'string',
    },
  ],
  'variants?': [VARIANT],
  'variantStickiness?': 'string',
  'dependencies?': [{ flag: 'string', 'enabled?': 'boolean', 'variants?': ['string'] }],
};
const SEGMENT: Shape = { key: 'string', conditions: [CONDITION] };

function shapeIssues(value: unknown, shape: Shape, path: string, issues: ValidationIssue[]): void {
  const wrong = (expected: string) => issues.push({ path, code: IssueCode.Invalid, message: `expected ${expected}` });
  if (typeof shape === 'string') {
    if (typeof value !== shape) wrong(`a ${shape}`);
  } else if (Array.isArray(shape)) {
    if (!Array.isArray(value)) wrong('an array');
    else
      value.forEach((item, i) => {
        shapeIssues(item, shape[0], `${path}/${i}`, issues);
      });
  } else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    wrong('an object');
  } else {
    for (const [field, inner] of Object.entries(shape)) {
      const name = field.replace('?', '');
      const v = Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
      if (v == null && field !== name) continue;
      shapeIssues(v, inner, `${path}/${name}`, issues);
    }
  }
}

/** One flag as an SDK receives it (`value` is untrusted JSON): its shape, then what evaluation relies on. */
export function validateWireFlag(value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  shapeIssues(value, FLAG, '', issues);
  return issues.length > 0 ? issues : flagIssues(value as FlagConfig, {}, null);
}

/** One segment as an SDK receives it. */
export function validateWireSegment(value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  shapeIssues(value, SEGMENT, '', issues);
  if (issues.length > 0) return issues;
  (value as Segment).conditions.forEach((c, i) => {
    issues.push(...conditionIssues(c, `/conditions/${i}`, undefined, null));
  });
  return issues;
}

const prefixed = (issues: ValidationIssue[], prefix: string) => issues.map((i) => ({ ...i, path: prefix + i.path }));

const badRevision = (revision: unknown): ValidationIssue[] =>
  Number.isSafeInteger(revision) && (revision as number) >= 0
    ? []
    : [{ path: '/revision', code: IssueCode.Invalid, message: 'a revision is a non-negative integer' }];

/**
 * What an SDK checks before it takes a snapshot (stream, poll, cache, bootstrap), from its raw
 * JSON: the revision, every flag and segment, and that no flag appears twice. Any issue rejects
 * the snapshot whole.
 */
export function validateWireSnapshot(value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  shapeIssues(
    value,
    { revision: 'number', flags: [{}], 'segments?': [{}], 'sensitive?': { salt: 'string', attributes: ['string'] } },
    '',
    issues,
  );
  if (issues.length > 0) return issues;
  const snapshot = value as { revision: number; flags: unknown[]; segments?: unknown[] | null };
  issues.push(...badRevision(snapshot.revision));
  const seen = new Set<unknown>();
  snapshot.flags.forEach((f, i) => {
    issues.push(...prefixed(validateWireFlag(f), `/flags/${i}`));
    const key = (f as Partial<FlagConfig>).key;
    if (seen.has(key)) issues.push({ path: `/flags/${i}/key`, code: IssueCode.Duplicate, message: 'flag appears twice' });
    seen.add(key);
  });
  (snapshot.segments ?? []).forEach((s, i) => {
    issues.push(...prefixed(validateWireSegment(s), `/segments/${i}`));
  });
  return issues;
}

/**
 * The same for a patch, from its raw JSON: its revision, and every change (flags and segments as
 * above, removals naming a key). A browser takes patches on this check alone (parsePatch stays out
 * of its entry).
 */
export function validateWirePatch(value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  shapeIssues(value, { revision: 'number', changes: [{ op: 'string' }] }, '', issues);
  if (issues.length > 0) return issues;
  const patch = value as { revision: number; changes: Array<Record<string, unknown>> };
  if (badRevision(patch.revision).length > 0) return badRevision(patch.revision);
  return patch.changes.flatMap((c, i): ValidationIssue[] => {
    const path = `/changes/${i}`;
    if (c.op === 'flag') return prefixed(validateWireFlag(c.flag), `${path}/flag`);
    if (c.op === 'segment') return prefixed(validateWireSegment(c.segment), `${path}/segment`);
    if ((c.op === 'flag-removed' || c.op === 'segment-removed') && typeof c.key === 'string') return [];
    return [{ path, code: IssueCode.Invalid, message: `not a change: ${JSON.stringify(c.op)}` }];
  });
}
