import { rolloutPrefix, rolloutThreshold, variantPrefix } from './bucketing.ts';
import {
  type CompiledCondition,
  type CompileOptions,
  type ConditionPool,
  compileCondition,
  conditionError,
  createPool,
  link,
  neverCondition,
} from './conditions.ts';
import { list, NONE } from './list.ts';
import {
  DISABLED_VARIANT,
  ErrorCode,
  type EvaluationResult,
  type FlagConfig,
  Reason,
  type Rule,
  type Snapshot,
  type Stickiness,
  type VariantResult,
  type WeightedVariant,
} from './model.ts';
import { type HashPrefix, packPrefix } from './murmur3.ts';
import { type Reader, readerOf } from './readers.ts';
import { NO_MATCH, ON_RESULT } from './results.ts';

/**
 * A snapshot prepared for evaluation: conditions parsed into data, hash prefixes computed, result
 * objects shared or built once (and frozen). Compact on purpose: an SDK may hold ten thousand
 * flags, and every field of every object costs eight bytes. What flags have in common is held
 * once: equal value lists, equal condition chains (`ConditionPool`), the rule of flags that are
 * simply on, and results.
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
  /** Running weight sums of the variants, in order (0 for zero-weight variants, which never win). */
  readonly upTo: readonly number[];
  readonly overrides: ReadonlyArray<{ readonly attribute: string; readonly values: readonly string[]; readonly index: number }>;
  /** One result per variant of the split's source, for the rule that owns this split. */
  readonly results: readonly EvaluationResult[];
  readonly noVariant: EvaluationResult;
}

export interface CompiledRule {
  /** '' for the implicit rule of a flag that is on for everyone. */
  readonly id: string;
  /** The first of the rule's conditions (segments' first); a malformed rule starts with one that never matches. */
  readonly first: CompiledCondition | null;
  /** Bucket bound; -1 when the rule has no rollout (everyone who matches). */
  readonly threshold: number;
  readonly stickiness: Stickiness;
  /** Reads the stickiness attribute (unused for `default` and `random`). */
  readonly read: Reader;
  /** The rollout's hash prefix state, as `packPrefix` gives it. */
  readonly ph: number;
  readonly pk: number;
  readonly pm: number;
  /** The split that applies when this rule matches: its own, else the flag's, else none. */
  readonly split: CompiledSplit | null;
  /** The result when there is no split; built on first use. */
  result: EvaluationResult | null;
  /** The flag's next rule (set while compiling): rules are a chain, which spares every flag an array. */
  next: CompiledRule | null;
}

export interface CompiledDependency {
  readonly flag: string;
  readonly enabled: boolean;
  readonly variants: readonly string[] | null;
}

export const FlagMode = {
  /** Too broken to compile: `noMatch` says why, for every evaluation. */
  Broken: 0,
  /** Disabled: off for everyone (its rules are not kept). */
  Off: 1,
  /** The first matching rule decides; none matching means off. */
  Rules: 2,
  /** On with no rules: `rules` is the implicit rule everyone matches. */
  Everyone: 3,
} as const;

export interface CompiledFlag {
  readonly mode: number;
  /** The first rule of the chain; null when there are none to check. */
  readonly rules: CompiledRule | null;
  readonly dependencies: readonly CompiledDependency[];
  readonly noMatch: EvaluationResult;
}

export type { CompileOptions } from './conditions.ts';

const NO_PREFIX: HashPrefix = { h: 0, k: 0, pending: 0, length: 0 };

function matchResult(reason: Reason, ruleId: string | null, variant = DISABLED_VARIANT): EvaluationResult {
  return Object.freeze({ enabled: true, variant, reason, ruleId });
}

/** The implicit rule of every flag that is on for everyone without variants: one for all of them. */
const EVERYONE: CompiledRule = {
  id: '',
  first: null,
  threshold: -1,
  stickiness: 'default',
  read: readerOf('userId'),
  ph: 0,
  pk: 0,
  pm: 0,
  split: null,
  result: ON_RESULT,
  next: null,
};

function compileSplit(
  source: WeightedVariant[] | undefined,
  stickiness: Stickiness,
  groupId: string,
  reason: Reason,
  ruleId: string | null,
): CompiledSplit | null {
  const variants = list(source);
  if (variants.length === 0) return null;
  let total = 0;
  const upTo: number[] = [];
  const overrides: CompiledSplit['overrides'][number][] = [];
  const results = variants.map((v, index) => {
    const weight = Number.isFinite(v.weight) && v.weight > 0 ? Math.floor(v.weight) : 0;
    total += weight;
    upTo.push(weight > 0 ? total : 0);
    for (const o of list(v.overrides)) if (o && typeof o.attribute === 'string' && Array.isArray(o.values)) overrides.push({ ...o, index });
    const variant: VariantResult = v.payload
      ? { name: v.name, enabled: true, payload: Object.freeze({ ...v.payload }) }
      : { name: v.name, enabled: true };
    return matchResult(reason, ruleId, Object.freeze(variant));
  });
  return { total, stickiness, prefix: variantPrefix(groupId), upTo, overrides, results, noVariant: matchResult(reason, ruleId) };
}

interface Compiling {
  /** Each segment's conditions, unlinked (a rule links them into its own chain). */
  segments: ReadonlyMap<string, readonly CompiledCondition[]>;
  plugins: CompileOptions;
  pool: ConditionPool;
  /** Why rules of the flag being compiled can never match. */
  problems: string[];
}

function compileRule(flag: FlagConfig, rule: Rule, reason: Reason, k: Compiling): CompiledRule {
  let error: string | null = null;
  const conditions: CompiledCondition[] = [];
  for (const key of list(rule.segments)) {
    const seg = k.segments.get(key);
    if (!seg) error ??= `unknown segment ${JSON.stringify(key)}`;
    for (const c of seg ?? NONE) {
      error ??= conditionError(c);
      conditions.push(c);
    }
  }
  for (const raw of list(rule.conditions)) {
    const c = compileCondition(raw, k.plugins, k.pool);
    error ??= conditionError(c);
    conditions.push(c);
  }
  const rollout = rule.rollout;
  const stickiness = k.pool.intern(rollout?.stickiness || 'default');
  const groupId = rollout?.groupId ?? flag.key;
  let threshold = -1;
  if (rollout) {
    const pct = Number(rollout.percentage);
    if (!Number.isFinite(pct)) error ??= `rollout percentage ${JSON.stringify(rollout.percentage)} is not a number`;
    threshold = pct > 0 ? rolloutThreshold(pct) : 0;
  }
  if (error !== null) {
    conditions.unshift(neverCondition(error));
    k.problems.push(`rule ${JSON.stringify(rule.id)}: ${error}`);
  }
  const ruleId = reason === Reason.On ? null : rule.id;
  const split =
    compileSplit(rule.variants, rule.variantStickiness || stickiness, groupId, reason, ruleId) ??
    compileSplit(flag.variants, flag.variantStickiness || 'default', flag.key, reason, ruleId);
  const [ph, pk, pm] = packPrefix(rollout ? rolloutPrefix(groupId) : NO_PREFIX);
  // The implicit rule's result is known now; a real rule's is built on first use (a rule may be called '').
  const result = reason === Reason.On ? ON_RESULT : null;
  return {
    id: k.pool.intern(rule.id),
    first: link(conditions, k.pool),
    threshold,
    stickiness,
    read: readerOf(stickiness),
    ph,
    pk,
    pm,
    split,
    result,
    next: null,
  };
}

function compileFlag(flag: FlagConfig, k: Compiling): CompiledFlag {
  const dependencies = list(flag.dependencies).map((d) => ({
    flag: d.flag,
    enabled: d.enabled !== false,
    variants: list(d.variants).length > 0 ? (d.variants as string[]) : null,
  }));
  const source = list(flag.rules);
  const everyone = source.length === 0;
  k.problems = [];
  let rules: CompiledRule | null = null;
  if (everyone) {
    rules = list(flag.variants).length === 0 ? EVERYONE : compileRule(flag, { id: '' }, Reason.On, k);
  } else {
    let last: CompiledRule | null = null;
    for (const r of source) {
      const rule = compileRule(flag, r, Reason.RuleMatch, k);
      if (last === null) rules = rule;
      else last.next = rule;
      last = rule;
    }
  }
  // A disabled flag's rules were compiled all the same: one that cannot be compiled is broken, on or off.
  const mode = flag.enabled !== true ? FlagMode.Off : everyone ? FlagMode.Everyone : FlagMode.Rules;
  return {
    mode,
    rules: mode === FlagMode.Off ? null : rules,
    dependencies: dependencies.length > 0 ? dependencies : NONE,
    noMatch:
      k.problems.length === 0
        ? NO_MATCH
        : Object.freeze({ ...NO_MATCH, errorCode: ErrorCode.InvalidRule, errorMessage: k.problems.join('; ') }),
  };
}

/**
 * The key as V8's one shared (internalized) copy. Keys parsed from JSON are separate copies, so a
 * lookup by a string literal, which is internalized, would compare their characters on every call;
 * against the shared copy it compares pointers. Property names are internalized, hence the round trip.
 */
function internalized(key: string): string {
  return Object.keys({ [key]: 0 })[0] ?? key;
}

/** Prepares a snapshot for evaluation. Never throws: malformed parts become rules that never match. */
export function compileSnapshot(snapshot: Snapshot, options: CompileOptions = {}): CompiledSnapshot {
  const pool = createPool();
  const segments = new Map<string, readonly CompiledCondition[]>();
  for (const s of list(snapshot.segments)) {
    if (s && typeof s.key === 'string')
      segments.set(
        s.key,
        list(s.conditions).map((c) => compileCondition(c, options, pool)),
      );
  }
  const k: Compiling = { segments, plugins: options, pool, problems: [] };
  const flags = new Map<string, CompiledFlag>();
  for (const f of list(snapshot.flags)) {
    if (!f || typeof f.key !== 'string') continue;
    try {
      flags.set(internalized(f.key), compileFlag(f, k));
    } catch (e) {
      // A flag too broken to compile is kept as one that is always off, with the reason why.
      const noMatch = Object.freeze({
        ...NO_MATCH,
        reason: Reason.Error,
        errorCode: ErrorCode.General,
        errorMessage: `flag could not be compiled: ${e}`,
      });
      flags.set(internalized(f.key), { mode: FlagMode.Broken, rules: null, dependencies: NONE, noMatch });
    }
  }
  return { revision: Number(snapshot.revision) || 0, environment: snapshot.environment, flags };
}

/** The result of a matched rule without a split, built once. */
export function ruleResult(rule: CompiledRule): EvaluationResult {
  rule.result ??= matchResult(Reason.RuleMatch, rule.id);
  return rule.result;
}
