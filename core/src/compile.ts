import { rolloutPrefix, rolloutThreshold, variantPrefix } from './bucketing.ts';
import { type CompiledCondition, compileCondition, type Predicate } from './conditions.ts';
import {
  DISABLED_VARIANT,
  ErrorCode,
  type EvaluationResult,
  type FlagConfig,
  Reason,
  type Rule,
  type Snapshot,
  type Stickiness,
  type WeightedVariant,
} from './model.ts';
import type { HashPrefix } from './murmur3.ts';
import type { RegexEngine } from './regex.ts';

/**
 * A snapshot prepared for evaluation: conditions turned into predicates, hash prefixes computed,
 * and every result object an evaluation can return built (and frozen) up front, so evaluating
 * allocates nothing on the common paths.
 */
export interface CompiledSnapshot {
  readonly revision: number;
  readonly environment: string | undefined;
  readonly flags: ReadonlyMap<string, CompiledFlag>;
}

export interface CompiledSplit {
  readonly total: number;
  readonly stickiness: Stickiness;
  readonly prefix: HashPrefix;
  /** Variants with weight > 0, in order, each with its running weight sum. */
  readonly variants: ReadonlyArray<{ readonly upTo: number; readonly index: number }>;
  readonly overrides: ReadonlyArray<{ readonly attribute: string; readonly values: readonly string[]; readonly index: number }>;
}

export interface CompiledRule {
  readonly id: string;
  readonly conditions: readonly Predicate[];
  /** Bucket bound; -1 when the rule has no rollout (everyone who matches). */
  readonly threshold: number;
  readonly stickiness: Stickiness;
  readonly prefix: HashPrefix | null;
  /** Set when the rule can never match (malformed condition, unknown segment). */
  readonly error: string | null;
  /** The split that applies when this rule matches: its own, else the flag's, else none. */
  readonly split: CompiledSplit | null;
  /** Indexed like the split's source variants; `[0]` alone when there is no split. */
  readonly results: readonly EvaluationResult[];
  /** When the split selects nothing (all weights zero). */
  readonly noVariantResult: EvaluationResult;
}

export interface CompiledDependency {
  readonly flag: string;
  readonly enabled: boolean;
  readonly variants: readonly string[] | null;
}

export interface CompiledFlag {
  readonly key: string;
  readonly enabled: boolean;
  readonly rules: readonly CompiledRule[];
  /** Used when the flag is on with no rules: everyone matches. */
  readonly everyone: CompiledRule | null;
  readonly dependencies: readonly CompiledDependency[];
  readonly offResult: EvaluationResult;
  readonly dependencyFailedResult: EvaluationResult;
  readonly noMatchResult: EvaluationResult;
}

const OFF: EvaluationResult = Object.freeze({ enabled: false, variant: DISABLED_VARIANT, reason: Reason.Off, ruleId: null });
const DEPENDENCY_FAILED: EvaluationResult = Object.freeze({
  enabled: false,
  variant: DISABLED_VARIANT,
  reason: Reason.DependencyFailed,
  ruleId: null,
});
const NO_MATCH: EvaluationResult = Object.freeze({
  enabled: false,
  variant: DISABLED_VARIANT,
  reason: Reason.NoRuleMatch,
  ruleId: null,
});

function compileSplit(variants: readonly WeightedVariant[] | undefined, stickiness: Stickiness, groupId: string): CompiledSplit | null {
  if (!Array.isArray(variants) || variants.length === 0) return null;
  let total = 0;
  const picks: Array<{ upTo: number; index: number }> = [];
  const overrides: Array<{ attribute: string; values: string[]; index: number }> = [];
  variants.forEach((v, index) => {
    const weight = Number.isFinite(v.weight) && v.weight > 0 ? Math.floor(v.weight) : 0;
    if (weight > 0) {
      total += weight;
      picks.push({ upTo: total, index });
    }
    for (const o of v.overrides ?? []) {
      if (o && typeof o.attribute === 'string' && Array.isArray(o.values)) {
        overrides.push({ attribute: o.attribute, values: o.values, index });
      }
    }
  });
  return { total, stickiness, prefix: variantPrefix(groupId), variants: picks, overrides };
}

function freezeResult(result: EvaluationResult): EvaluationResult {
  return Object.freeze(result);
}

function ruleResults(
  split: CompiledSplit | null,
  source: readonly WeightedVariant[] | undefined,
  reason: Reason,
  ruleId: string | null,
): { results: EvaluationResult[]; noVariantResult: EvaluationResult } {
  const noVariantResult = freezeResult({ enabled: true, variant: DISABLED_VARIANT, reason, ruleId });
  if (!split || !source) return { results: [noVariantResult], noVariantResult };
  const results = source.map((v) =>
    freezeResult({
      enabled: true,
      variant: Object.freeze(
        v.payload ? { name: v.name, enabled: true, payload: Object.freeze({ ...v.payload }) } : { name: v.name, enabled: true },
      ),
      reason,
      ruleId,
    }),
  );
  return { results, noVariantResult };
}

function compileRule(
  flag: FlagConfig,
  rule: Rule,
  segments: ReadonlyMap<string, CompiledCondition[]>,
  flagSplit: CompiledSplit | null,
  reason: Reason,
  options: CompileOptions,
): CompiledRule {
  const conditions: Predicate[] = [];
  let error: string | null = null;
  for (const key of rule.segments ?? []) {
    const seg = segments.get(key);
    if (!seg) {
      error ??= `unknown segment ${JSON.stringify(key)}`;
      continue;
    }
    for (const c of seg) {
      error ??= c.error === null ? null : `segment ${JSON.stringify(key)}: ${c.error}`;
      conditions.push(c.test);
    }
  }
  for (const condition of rule.conditions ?? []) {
    const c = compileCondition(condition, options.regex);
    error ??= c.error;
    conditions.push(c.test);
  }
  const rollout = rule.rollout;
  const stickiness = rollout?.stickiness || 'default';
  let threshold = -1;
  let prefix: HashPrefix | null = null;
  if (rollout) {
    const pct = Number(rollout.percentage);
    if (!Number.isFinite(pct)) error ??= `rollout percentage ${JSON.stringify(rollout.percentage)} is not a number`;
    threshold = Number.isFinite(pct) && pct > 0 ? rolloutThreshold(pct) : 0;
    prefix = rolloutPrefix(rollout.groupId ?? flag.key);
  }
  const ownSplit = compileSplit(rule.variants, rule.variantStickiness || stickiness, rollout?.groupId ?? flag.key);
  const split = ownSplit ?? flagSplit;
  const { results, noVariantResult } = ruleResults(
    split,
    ownSplit ? rule.variants : flag.variants,
    reason,
    reason === Reason.On ? null : rule.id,
  );
  return { id: rule.id, conditions, threshold, stickiness, prefix, error, split, results, noVariantResult };
}

function compileFlag(flag: FlagConfig, segments: ReadonlyMap<string, CompiledCondition[]>, options: CompileOptions): CompiledFlag {
  const flagSplit = compileSplit(flag.variants, flag.variantStickiness || 'default', flag.key);
  const rules = (Array.isArray(flag.rules) ? flag.rules : []).map((r) =>
    compileRule(flag, r, segments, flagSplit, Reason.RuleMatch, options),
  );
  const everyone = rules.length === 0 ? compileRule(flag, { id: '' }, segments, flagSplit, Reason.On, options) : null;
  const dependencies = (Array.isArray(flag.dependencies) ? flag.dependencies : []).map((d) => ({
    flag: d.flag,
    enabled: d.enabled !== false,
    variants: Array.isArray(d.variants) && d.variants.length > 0 ? d.variants : null,
  }));
  const invalid = rules.filter((r) => r.error !== null);
  const noMatchResult =
    invalid.length === 0
      ? NO_MATCH
      : freezeResult({
          ...NO_MATCH,
          errorCode: ErrorCode.InvalidRule,
          errorMessage: invalid.map((r) => `rule ${JSON.stringify(r.id)}: ${r.error}`).join('; '),
        });
  return {
    key: flag.key,
    enabled: flag.enabled === true,
    rules,
    everyone,
    dependencies,
    offResult: OFF,
    dependencyFailedResult: DEPENDENCY_FAILED,
    noMatchResult,
  };
}

export interface CompileOptions {
  /** Engine for REGEX conditions (`re2Engine` from `@switchboard/core/regex`); without one they never match. */
  regex?: RegexEngine;
}

/** Prepares a snapshot for evaluation. Never throws: malformed parts become rules that never match. */
export function compileSnapshot(snapshot: Snapshot, options: CompileOptions = {}): CompiledSnapshot {
  const segments = new Map<string, CompiledCondition[]>();
  for (const s of Array.isArray(snapshot.segments) ? snapshot.segments : []) {
    if (s && typeof s.key === 'string')
      segments.set(
        s.key,
        (Array.isArray(s.conditions) ? s.conditions : []).map((c) => compileCondition(c, options.regex)),
      );
  }
  const flags = new Map<string, CompiledFlag>();
  for (const f of Array.isArray(snapshot.flags) ? snapshot.flags : []) {
    if (!f || typeof f.key !== 'string') continue;
    try {
      flags.set(f.key, compileFlag(f, segments, options));
    } catch (e) {
      // A flag too broken to compile is kept as one that is always off, with the reason why.
      flags.set(f.key, brokenFlag(f.key, e));
    }
  }
  return { revision: Number(snapshot.revision) || 0, environment: snapshot.environment, flags };
}

function brokenFlag(key: string, e: unknown): CompiledFlag {
  const result = freezeResult({
    ...NO_MATCH,
    reason: Reason.Error,
    errorCode: ErrorCode.General,
    errorMessage: `flag could not be compiled: ${e instanceof Error ? e.message : String(e)}`,
  });
  return {
    key,
    enabled: true,
    rules: [],
    everyone: null,
    dependencies: [],
    offResult: result,
    dependencyFailedResult: result,
    noMatchResult: result,
  };
}
