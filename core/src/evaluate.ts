import { BUCKETS, bucketOf } from './bucketing.ts';
import { type CompiledFlag, type CompiledRule, type CompiledSnapshot, type CompiledSplit, FlagMode, ruleResult } from './compile.ts';
import { type EvalEnv, testCondition } from './conditions.ts';
import { resolveAttribute } from './context.ts';
import type { Context, EvaluationResult } from './model.ts';
import { hashWithPrefix, hashWithState } from './murmur3.ts';
import { readerOf, standardValue } from './readers.ts';
import { contextOf, DEPENDENCY_FAILED_RESULT, envOf, failure, NOT_FOUND, OFF_RESULT } from './results.ts';

export interface EvaluateOptions {
  /** Milliseconds since the epoch, for DATE conditions on `currentTime`; defaults to Date.now. */
  now?: () => number;
  /** In [0, 1), for random stickiness; defaults to Math.random. */
  random?: () => number;
}

const readUserId = readerOf('userId');
const readSessionId = readerOf('sessionId');

function stickyId(rule: CompiledRule, ctx: Context): string | undefined {
  const stickiness = rule.stickiness;
  if (stickiness === 'default') return standardValue(ctx, readUserId) ?? standardValue(ctx, readSessionId);
  return stickiness === 'random' ? undefined : standardValue(ctx, rule.read);
}

function inRollout(rule: CompiledRule, ctx: Context, env: EvalEnv): boolean {
  const threshold = rule.threshold;
  if (threshold < 0) return true;
  if (threshold === 0) return false;
  const id = stickyId(rule, ctx);
  if (id === undefined) {
    // No id to stick to: `default` and `random` fall back to a coin toss; a named attribute is a miss.
    if (rule.stickiness !== 'default' && rule.stickiness !== 'random') return false;
    return threshold >= BUCKETS || Math.floor(env.random() * BUCKETS) < threshold;
  }
  return threshold >= BUCKETS || bucketOf(hashWithState(rule.ph, rule.pk, rule.pm, id)) < threshold;
}

function matches(rule: CompiledRule, ctx: Context, env: EvalEnv): boolean {
  for (let c = rule.first; c !== null; c = c.next) if (!testCondition(c, ctx, env)) return false;
  return inRollout(rule, ctx, env);
}

function variantSeed(split: CompiledSplit, ctx: Context): string | undefined {
  if (split.stickiness === 'default') {
    return resolveAttribute(ctx, 'userId') ?? resolveAttribute(ctx, 'sessionId') ?? resolveAttribute(ctx, 'remoteAddress');
  }
  return split.stickiness === 'random' ? undefined : resolveAttribute(ctx, split.stickiness);
}

function pickVariant(split: CompiledSplit, ctx: Context, env: EvalEnv): EvaluationResult {
  for (const o of split.overrides) {
    const v = resolveAttribute(ctx, o.attribute);
    if (v !== undefined && o.values.includes(v)) return split.results[o.index] ?? split.noVariant;
  }
  if (split.total <= 0) return split.noVariant;
  const seed = variantSeed(split, ctx);
  const target = seed === undefined ? Math.floor(env.random() * split.total) + 1 : (hashWithPrefix(split.prefix, seed) % split.total) + 1;
  const upTo = split.upTo;
  for (let i = 0; i < upTo.length; i++) {
    if ((upTo[i] as number) >= target) return split.results[i] ?? split.noVariant;
  }
  return split.noVariant;
}

function resultOf(rule: CompiledRule, ctx: Context, env: EvalEnv): EvaluationResult {
  return rule.split === null ? ruleResult(rule) : pickVariant(rule.split, ctx, env);
}

/** Evaluates a flag ignoring its dependencies. */
function evaluateOwn(flag: CompiledFlag, ctx: Context, env: EvalEnv): EvaluationResult {
  const mode = flag.mode;
  if (mode === FlagMode.Rules) {
    for (let rule = flag.rules; rule !== null; rule = rule.next) if (matches(rule, ctx, env)) return resultOf(rule, ctx, env);
    return flag.noMatch;
  }
  if (mode === FlagMode.Everyone) return resultOf(flag.rules as CompiledRule, ctx, env);
  return mode === FlagMode.Off ? OFF_RESULT : flag.noMatch;
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

/**
 * Evaluates a flag of `snapshot` that the caller already looked up in `snapshot.flags`, for SDKs
 * that keep their own per-flag state beside it (one lookup on the hot path instead of two).
 * Never throws, as `evaluate`.
 */
export function evaluateCompiled(
  snapshot: CompiledSnapshot,
  flag: CompiledFlag,
  context?: Context | null,
  options?: EvaluateOptions,
): EvaluationResult {
  try {
    const ctx = contextOf(context);
    const env = envOf(options);
    // A broken or disabled flag answers so before its dependencies are asked (evaluateOwn knows how).
    if (flag.dependencies.length > 0 && flag.mode >= FlagMode.Rules && !dependenciesHold(snapshot, flag, ctx, env)) {
      return DEPENDENCY_FAILED_RESULT;
    }
    return evaluateOwn(flag, ctx, env);
  } catch (e) {
    return failure(e);
  }
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
  let flag: CompiledFlag | undefined;
  try {
    flag = snapshot.flags.get(flagKey);
  } catch (e) {
    return failure(e);
  }
  return flag === undefined ? NOT_FOUND : evaluateCompiled(snapshot, flag, context, options);
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
