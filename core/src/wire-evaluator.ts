import { BUCKETS, bucketOf, rolloutThreshold, VARIANT_SEED } from './bucketing.ts';
import { type CompileOptions, type EvalEnv, type Matcher, PLUGINS } from './conditions.ts';
import { attributeOf, isStandardField } from './context.ts';
import type { EvaluateOptions } from './evaluate.ts';
import { list } from './list.ts';
import {
  type Condition,
  type Context,
  DISABLED_VARIANT,
  ErrorCode,
  type EvaluationResult,
  type FlagConfig,
  Reason,
  type Rule,
  type Snapshot,
  type VariantResult,
  type WeightedVariant,
} from './model.ts';
import { murmur3 } from './murmur3.ts';
import { contextOf, DEPENDENCY_FAILED_RESULT, envOf, failure, NO_MATCH, NOT_FOUND, OFF_RESULT } from './results.ts';

/**
 * The second of core's evaluators, for browsers: it evaluates the snapshot as it came off the wire,
 * with no compile step, instead of the compact form `evaluate` runs on. It is a third of the code
 * (what a page downloads) and several times slower (a page evaluates its flags when the view or the
 * context changes, not per call). Plug-in matchers (a REGEX's compiled pattern) are built once per
 * view. Same semantics and results on every snapshot the server can send: both run the
 * conformance suites, and a differential test holds each to the other. On malformed data (a
 * hand-made bootstrap) both stay safe but may answer differently: the compiled one rejects a flag
 * it cannot compile whole, this one only when evaluation reaches the broken part.
 */
export interface WireView {
  readonly revision: number;
  readonly flags: ReadonlyMap<string, FlagConfig>;
  readonly segments: ReadonlyMap<string, readonly Condition[]>;
  readonly plugins: CompileOptions;
  /** Plug-in matchers by condition, built on first use. */
  readonly matchers: WeakMap<Condition, Matcher | string>;
}

export function wireView(snapshot: Snapshot, options: CompileOptions = {}): WireView {
  const flags = new Map<string, FlagConfig>();
  for (const f of list(snapshot.flags)) if (f && typeof f.key === 'string') flags.set(f.key, f);
  const segments = new Map<string, readonly Condition[]>();
  for (const s of list(snapshot.segments)) if (s && typeof s.key === 'string') segments.set(s.key, list(s.conditions));
  return { revision: Number(snapshot.revision) || 0, flags, segments, plugins: options, matchers: new WeakMap() };
}

const TEXT: Readonly<Record<string, (value: string, wanted: string) => boolean>> = {
  STR_STARTS_WITH: (v, w) => v.startsWith(w),
  STR_ENDS_WITH: (v, w) => v.endsWith(w),
  STR_CONTAINS: (v, w) => v.includes(w),
};
const COMPARE: Readonly<Record<string, (n: number, target: number) => boolean>> = {
  NUM_EQ: (n, t) => n === t,
  NUM_GT: (n, t) => n > t,
  NUM_GTE: (n, t) => n >= t,
  NUM_LT: (n, t) => n < t,
  NUM_LTE: (n, t) => n <= t,
  DATE_AFTER: (n, t) => n > t,
  DATE_BEFORE: (n, t) => n < t,
};

/** Whether the condition holds for the context, or why it can never hold (inverted or not). */
function conditionHolds(view: WireView, c: Condition, ctx: Context, env: EvalEnv): boolean | string {
  if (c === null || typeof c !== 'object' || typeof c.attribute !== 'string') return 'condition without an attribute';
  const { attribute, operator } = c;
  const raw: readonly unknown[] = list(c.values);
  const first = raw[0];
  // Unleash trims list values and drops empty ones.
  const values = raw.filter((v): v is string => typeof v === 'string' && v !== '').map((v) => v.trim());
  const ci = c.caseInsensitive === true;
  const v = attributeOf(ctx, attribute, !isStandardField(attribute));
  const text = Object.hasOwn(TEXT, operator) ? TEXT[operator] : undefined;
  const compare = Object.hasOwn(COMPARE, operator) ? COMPARE[operator] : undefined;
  let holds: boolean;
  if (operator === 'IN' || operator === 'NOT_IN') {
    holds = v === undefined ? operator === 'NOT_IN' : values.includes(v) !== (operator === 'NOT_IN');
  } else if (text) {
    holds = v !== undefined && values.some((w) => (ci ? text(v.toLowerCase(), w.toLowerCase()) : text(v, w)));
  } else if (compare) {
    const date = operator.startsWith('DATE_');
    const target = typeof first !== 'string' ? Number.NaN : date ? Date.parse(first) : first.trim() === '' ? Number.NaN : Number(first);
    if (Number.isNaN(target)) return `${operator} needs ${date ? 'an ISO date' : 'a number'}, got ${JSON.stringify(first)}`;
    const n = v !== undefined ? (date ? Date.parse(v) : Number(v)) : date && attribute === 'currentTime' ? env.now() : Number.NaN;
    holds = !Number.isNaN(n) && compare(n, target);
  } else {
    const plugin = PLUGINS[operator];
    if (typeof plugin !== 'string') return `unknown operator ${JSON.stringify(operator)}`;
    let matcher = view.matchers.get(c);
    if (!matcher) {
      const make = view.plugins[plugin];
      matcher = make ? make(operator, raw, ci) : `${operator} needs the ${plugin} plug-in`;
      view.matchers.set(c, matcher);
    }
    if (typeof matcher === 'string') return matcher;
    holds = v !== undefined && matcher.test(v);
  }
  return holds !== (c.inverted === true);
}

/** The id a rollout or split hashes: `default` is the first of `defaults` the context has; `random` is none. */
function stickyId(ctx: Context, stickiness: string, defaults: readonly string[]): string | undefined {
  if (stickiness !== 'default') return stickiness === 'random' ? undefined : attributeOf(ctx, stickiness, false);
  for (const a of defaults) {
    const id = attributeOf(ctx, a, false);
    if (id !== undefined) return id;
  }
}

const ROLLOUT_IDS = ['userId', 'sessionId'];
const VARIANT_IDS = [...ROLLOUT_IDS, 'remoteAddress'];

/** Whether the rule holds for the context (conditions, then rollout), or why it can never hold. */
function ruleHolds(view: WireView, flag: FlagConfig, rule: Rule, ctx: Context, env: EvalEnv): boolean | string {
  let error: string | null = null;
  let holds = true;
  const check = (c: Condition) => {
    const r = conditionHolds(view, c, ctx, env);
    if (typeof r === 'string') error ??= r;
    else holds &&= r;
  };
  for (const key of list(rule.segments)) {
    const conditions = view.segments.get(key);
    if (!conditions) error ??= `unknown segment ${JSON.stringify(key)}`;
    conditions?.forEach(check);
  }
  list(rule.conditions).forEach(check);
  const rollout = rule.rollout;
  const pct = Number(rollout?.percentage);
  if (rollout && !Number.isFinite(pct)) error ??= `rollout percentage ${JSON.stringify(rollout.percentage)} is not a number`;
  if (error !== null) return error;
  if (!holds || !rollout) return holds;
  const threshold = pct > 0 ? rolloutThreshold(pct) : 0;
  const stickiness = rollout.stickiness || 'default';
  if (threshold === 0) return false;
  const id = stickyId(ctx, stickiness, ROLLOUT_IDS);
  // No id to stick to: `default` and `random` fall back to a coin toss; a named attribute is a miss.
  if (id === undefined && stickiness !== 'default' && stickiness !== 'random') return false;
  return (
    threshold >= BUCKETS ||
    (id === undefined ? Math.floor(env.random() * BUCKETS) : bucketOf(murmur3(`${rollout.groupId ?? flag.key}:${id}`))) < threshold
  );
}

const variantOf = (v: WeightedVariant): VariantResult =>
  v.payload ? { name: v.name, enabled: true, payload: { ...v.payload } } : { name: v.name, enabled: true };

function pickVariant(variants: readonly WeightedVariant[], stickiness: string, groupId: string, ctx: Context, env: EvalEnv): VariantResult {
  for (const v of variants) {
    for (const o of list(v.overrides)) {
      const value = o && typeof o.attribute === 'string' && Array.isArray(o.values) ? attributeOf(ctx, o.attribute, false) : undefined;
      if (value !== undefined && o.values.includes(value)) return variantOf(v);
    }
  }
  const weights = variants.map((v) => (Number.isFinite(v.weight) && v.weight > 0 ? Math.floor(v.weight) : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return DISABLED_VARIANT;
  const seed = stickyId(ctx, stickiness, VARIANT_IDS);
  const target = seed === undefined ? Math.floor(env.random() * total) + 1 : (murmur3(`${groupId}:${seed}`, VARIANT_SEED) % total) + 1;
  let sum = 0;
  // A zero-weight variant cannot win: the sum it would reach was reached, and returned, before it.
  for (const [i, w] of weights.entries()) {
    sum += w;
    if (sum >= target) return variantOf(variants[i] as WeightedVariant);
  }
  return DISABLED_VARIANT;
}

/** The answer for a rule that matched (or the implicit rule of a flag without rules), with its variant. */
function matched(flag: FlagConfig, rule: Rule | null, ctx: Context, env: EvalEnv): EvaluationResult {
  const own = rule !== null && list(rule.variants).length > 0;
  const variants = own ? list(rule.variants) : list(flag.variants);
  const variant =
    variants.length === 0
      ? DISABLED_VARIANT
      : own
        ? pickVariant(
            variants,
            rule.variantStickiness || rule.rollout?.stickiness || 'default',
            rule.rollout?.groupId ?? flag.key,
            ctx,
            env,
          )
        : pickVariant(variants, flag.variantStickiness || 'default', flag.key, ctx, env);
  return { enabled: true, variant, reason: rule ? Reason.RuleMatch : Reason.On, ruleId: rule ? rule.id : null };
}

/** A flag's own answer, ignoring its dependencies. */
function evaluateOwn(view: WireView, flag: FlagConfig, ctx: Context, env: EvalEnv): EvaluationResult {
  if (flag.enabled !== true) return OFF_RESULT;
  const rules = list(flag.rules);
  if (rules.length === 0) return matched(flag, null, ctx, env);
  const problems: string[] = [];
  for (const rule of rules) {
    const holds = ruleHolds(view, flag, rule, ctx, env);
    if (typeof holds === 'string') problems.push(`rule ${JSON.stringify(rule.id)}: ${holds}`);
    else if (holds) return matched(flag, rule, ctx, env);
  }
  return problems.length === 0 ? NO_MATCH : { ...NO_MATCH, errorCode: ErrorCode.InvalidRule, errorMessage: problems.join('; ') };
}

/** Dependencies are one level deep, as in `evaluate`: a parent with dependencies of its own never satisfies one. */
function dependenciesHold(view: WireView, flag: FlagConfig, ctx: Context, env: EvalEnv): boolean {
  return list(flag.dependencies).every((d) => {
    const parent = view.flags.get(d.flag);
    if (!parent || list(parent.dependencies).length > 0) return false;
    const r = evaluateOwn(view, parent, ctx, env);
    if (d.enabled === false) return !r.enabled;
    return r.enabled && (list(d.variants).length === 0 || d.variants?.includes(r.variant.name) === true);
  });
}

/** As `evaluate`, on a view of the snapshot as it came off the wire. Never throws. */
export function evaluateWire(view: WireView, flagKey: string, context?: Context | null, options?: EvaluateOptions): EvaluationResult {
  try {
    const flag = view.flags.get(flagKey);
    if (!flag) return NOT_FOUND;
    if (flag.enabled !== true) return OFF_RESULT;
    const ctx = contextOf(context);
    const env = envOf(options);
    return dependenciesHold(view, flag, ctx, env) ? evaluateOwn(view, flag, ctx, env) : DEPENDENCY_FAILED_RESULT;
  } catch (e) {
    return failure(e);
  }
}
