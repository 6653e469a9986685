import type { Condition, FlagConfig, Segment, Snapshot } from './model.ts';
import { Operator, SINGLE_VALUE_OPERATORS } from './model.ts';
import { re2Engine } from './regex.ts';
import {
  type AuthoringChecks,
  conditionIssues,
  type FlagValidationContext,
  flagIssues,
  IssueCode,
  isValidKey,
  LIMITS,
  type ValidationIssue,
} from './wire-validation.ts';

export {
  type AuthoringChecks,
  type FlagValidationContext,
  IssueCode,
  isValidKey,
  LIMITS,
  type ValidationIssue,
  validateWireFlag,
  validateWirePatch,
  validateWireSegment,
  validateWireSnapshot,
} from './wire-validation.ts';

/*
 * The checks the server runs on every write, so that what reaches an SDK always evaluates as its
 * author meant: the wire checks, plus the key grammar, limits, known operators and safe regexes.
 */

let checks: AuthoringChecks | undefined;
/**
 * Built on first use, not at load: a bundle that takes only the wire checks from this module (a
 * browser, on demand) then leaves the regex engine and the operator tables out.
 */
function authoring(): AuthoringChecks {
  checks ??= {
    regex(pattern, caseInsensitive) {
      const re = re2Engine(pattern, caseInsensitive);
      return typeof re === 'string' ? re : null;
    },
    operators: new Set(Object.values(Operator)),
    singleValue: SINGLE_VALUE_OPERATORS,
  };
  return checks;
}

export function validateCondition(
  c: Condition,
  path: string,
  sensitive?: ReadonlySet<string>,
  maxValues: number = LIMITS.valuesPerCondition,
): ValidationIssue[] {
  return conditionIssues(c, path, sensitive, authoring(), maxValues);
}

export function validateFlagConfig(flag: FlagConfig, context: FlagValidationContext = {}): ValidationIssue[] {
  return flagIssues(flag, context, authoring());
}

export function validateSegment(segment: Segment, sensitiveAttributes?: ReadonlySet<string>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (!isValidKey(segment.key))
    issues.push({ path: '/key', code: IssueCode.Invalid, message: 'keys are 1 to 100 letters, digits, ".", "_", ":" or "-"' });
  const conditions = segment.conditions ?? [];
  if (conditions.length > LIMITS.conditionsPerRule)
    issues.push({ path: '/conditions', code: IssueCode.Invalid, message: `at most ${LIMITS.conditionsPerRule} conditions` });
  const total = conditions.reduce((n, c) => n + (Array.isArray(c.values) ? c.values.length : 0), 0);
  if (total > LIMITS.segmentValues)
    issues.push({
      path: '/conditions',
      code: IssueCode.Invalid,
      message: `at most ${LIMITS.segmentValues} values in all conditions together`,
    });
  conditions.forEach((c, i) => {
    issues.push(...validateCondition(c, `/conditions/${i}`, sensitiveAttributes, LIMITS.segmentValues));
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
