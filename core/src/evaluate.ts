import { BUCKETS, rolloutBucket, variantTarget } from './bucketing.ts';
import type { CompiledFlag, CompiledRule, CompiledSnapshot, CompiledSplit } from './compile.ts';
import type { EvalEnv } from './conditions.ts';
import { resolveAttribute } from './context.ts';
import { type Context, DISABLED_VARIANT, ErrorCode, type EvaluationResult, Reason } from './model.ts';

export interface EvaluateOptions {
  /** Milliseconds since the epoch, for DATE conditions on `currentTime`; defaults to Date.now. */
  now?: () => number;
  /** In [0, 1), for random stickiness; defaults to Math.random. */
  random?: () => number;
}

const DEFAULT_ENV: EvalEnv = { now: Date.now, random: Math.random };

const NOT_FOUND: EvaluationResult = Object.freeze({
  enabled: false,
  variant: DISABLED_VARIANT,
  reason: Reason.NotFound,
  ruleId: null,
  errorCode: ErrorCode.FlagNotFound,
});

const EMPTY_CONTEXT: Context = Object.freeze({});

function stickyId(stickiness: string, ctx: Context): string | undefined {
  switch (stickiness) {
    case 'default':
      return resolveAttribute(ctx, 'userId') ?? resolveAttribute(ctx, 'sessionId');
    case 'random':
      return undefined;
    default:
      return resolveAttribute(ctx, stickiness);
  }
}

function inRollout(rule: CompiledRule, ctx: Context, env: EvalEnv): boolean {
  const threshold = rule.threshold;
  if (threshold < 0) return true;
  if (threshold === 0 || rule.prefix === null) return false;
  const id = stickyId(rule.stickiness, ctx);
  if (id === undefined) {
    // No id to stick to: `default` and `random` fall back to a coin toss; a named attribute is a miss.
    if (rule.stickiness !== 'default' && rule.stickiness !== 'random') return false;
    return threshold >= BUCKETS || Math.floor(env.random() * BUCKETS) < threshold;
  }
  return threshold >= BUCKETS || rolloutBucket(rule.prefix, id) < threshold;
}

function matches(rule: CompiledRule, ctx: Context, env: EvalEnv): boolean {
  const conditions = rule.conditions;
  for (let i = 0; i < conditions.length; i++) {
    if (!(conditions[i] as (c: Context, e: EvalEnv) => boolean)(ctx, env)) return false;
  }
  return rule.error === null && inRollout(rule, ctx, env);
}

function variantSeed(split: CompiledSplit, ctx: Context): string | undefined {
  if (split.stickiness === 'default') {
    return resolveAttribute(ctx, 'userId') ?? resolveAttribute(ctx, 'sessionId') ?? resolveAttribute(ctx, 'remoteAddress');
  }
  return split.stickiness === 'random' ? undefined : resolveAttribute(ctx, split.stickiness);
}

function pickVariant(rule: CompiledRule, split: CompiledSplit, ctx: Context, env: EvalEnv): EvaluationResult {
  for (const o of split.overrides) {
    const v = resolveAttribute(ctx, o.attribute);
    if (v !== undefined && o.values.includes(v)) return rule.results[o.index] ?? rule.noVariantResult;
  }
  if (split.total <= 0) return rule.noVariantResult;
  const seed = variantSeed(split, ctx);
  const target = seed === undefined ? Math.floor(env.random() * split.total) + 1 : variantTarget(split.prefix, seed, split.total);
  for (const v of split.variants) {
    if (v.upTo >= target) return rule.results[v.index] ?? rule.noVariantResult;
  }
  return rule.noVariantResult;
}

function resultOf(rule: CompiledRule, ctx: Context, env: EvalEnv): EvaluationResult {
  const split = rule.split;
  return split === null ? (rule.results[0] as EvaluationResult) : pickVariant(rule, split, ctx, env);
}

/** Evaluates a flag ignoring its dependencies. */
function evaluateOwn(flag: CompiledFlag, ctx: Context, env: EvalEnv): EvaluationResult {
  if (!flag.enabled) return flag.offResult;
  if (flag.everyone !== null) return resultOf(flag.everyone, ctx, env);
  const rules = flag.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as CompiledRule;
    if (matches(rule, ctx, env)) return resultOf(rule, ctx, env);
  }
  return flag.noMatchResult;
}

/**
 * Dependencies are one level deep, as in Unleash: a parent that has dependencies of its own never
 * satisfies one. That rules out cycles and recursion by construction; validation refuses such
 * configurations at write time so nobody builds one by accident.
 */
function dependenciesHold(snapshot: CompiledSnapshot, flag: CompiledFlag, ctx: Context, env: EvalEnv): boolean {
  for (const dep of flag.dependencies) {
    const parent = snapshot.flags.get(dep.flag);
    if (parent === undefined || parent.dependencies.length > 0) return false;
    const result = evaluateOwn(parent, ctx, env);
    if (!dep.enabled) {
      if (result.enabled) return false;
    } else if (!result.enabled || (dep.variants !== null && !dep.variants.includes(result.variant.name))) {
      return false;
    }
  }
  return true;
}

function evaluateFlag(snapshot: CompiledSnapshot, flagKey: string, ctx: Context, env: EvalEnv): EvaluationResult {
  const flag = snapshot.flags.get(flagKey);
  if (flag === undefined) return NOT_FOUND;
  if (!flag.enabled) return flag.offResult;
  if (flag.dependencies.length > 0 && !dependenciesHold(snapshot, flag, ctx, env)) return flag.dependencyFailedResult;
  return evaluateOwn(flag, ctx, env);
}

/**
 * Evaluates one flag for one context. Never throws: anything unexpected becomes a disabled result
 * with reason ERROR and an error code. The returned object is shared and frozen.
 */
export function evaluate(
  snapshot: CompiledSnapshot,
  flagKey: string,
  context?: Context | null,
  options?: EvaluateOptions,
): EvaluationResult {
  try {
    const ctx = context != null && typeof context === 'object' ? context : EMPTY_CONTEXT;
    const env = options === undefined ? DEFAULT_ENV : { now: options.now ?? Date.now, random: options.random ?? Math.random };
    return evaluateFlag(snapshot, flagKey, ctx, env);
  } catch (e) {
    return {
      enabled: false,
      variant: DISABLED_VARIANT,
      reason: Reason.Error,
      ruleId: null,
      errorCode: ErrorCode.General,
      errorMessage: e instanceof Error ? e.message : String(e),
    };
  }
}

/** Every flag of the snapshot for one context, keyed by flag key. */
export function evaluateAll(
  snapshot: CompiledSnapshot,
  context?: Context | null,
  options?: EvaluateOptions,
): Record<string, EvaluationResult> {
  const out: Record<string, EvaluationResult> = {};
  for (const key of snapshot.flags.keys()) out[key] = evaluate(snapshot, key, context, options);
  return out;
}
