import { isStandardField, resolveAttribute, resolveCustomAttribute } from './context.ts';
import type { Condition, Context } from './model.ts';

/** Clock and randomness, passed in so core stays pure and tests stay deterministic. */
export interface EvalEnv {
  now: () => number;
  random: () => number;
}

/** Operator codes: a switch over small integers beats a closure per condition in speed and memory. */
const NEVER = 0;
const IN = 1;
const NOT_IN = 2;
const STARTS_WITH = 3;
const ENDS_WITH = 4;
const CONTAINS = 5;
const NUM_EQ = 6;
const NUM_GT = 7;
const NUM_GTE = 8;
const NUM_LT = 9;
const NUM_LTE = 10;
const DATE_AFTER = 11;
const DATE_BEFORE = 12;
/** A plug-in operator: `arg` is its Matcher. */
const MATCH = 13;

const CODES: Readonly<Record<string, number>> = {
  IN,
  NOT_IN,
  STR_STARTS_WITH: STARTS_WITH,
  STR_ENDS_WITH: ENDS_WITH,
  STR_CONTAINS: CONTAINS,
  NUM_EQ,
  NUM_GT,
  NUM_GTE,
  NUM_LT,
  NUM_LTE,
  DATE_AFTER,
  DATE_BEFORE,
};

/** A test built once per condition, at compile time, by a plug-in. */
export interface Matcher {
  test(value: string): boolean;
}

/** Builds the matcher of one condition, or says why it cannot be built (the condition then never matches). */
export type MatcherFactory = (operator: string, values: readonly unknown[], caseInsensitive: boolean) => Matcher | string;

/**
 * The operators that need a parser of their own (RE2, SemVer, IP ranges) are plug-ins, so a
 * browser bundle carries a parser only when its flags use one. Without its plug-in, a condition
 * with such an operator never matches (error code INVALID_RULE says why). `allOperators` from
 * `@switchboard/core/operators` has them all (what Node passes); browsers load each on demand.
 */
export interface CompileOptions {
  /** REGEX: `regexMatcher` from `@switchboard/core/regex`. */
  regex?: MatcherFactory;
  /** SEMVER_*: `semverMatcher` from `@switchboard/core/semver`. */
  semver?: MatcherFactory;
  /** IN_CIDR: `cidrMatcher` from `@switchboard/core/cidr`. */
  cidr?: MatcherFactory;
}

/** Which plug-in an operator needs; a lookup result that is not a string (`toString`, ...) means none. */
export const PLUGINS: Readonly<Record<string, keyof CompileOptions>> = {
  REGEX: 'regex',
  IN_CIDR: 'cidr',
  SEMVER_EQ: 'semver',
  SEMVER_GT: 'semver',
  SEMVER_GTE: 'semver',
  SEMVER_LT: 'semver',
  SEMVER_LTE: 'semver',
};

/**
 * A condition prepared for evaluation: plain data of one small shape for every operator, chained
 * to the next condition of its rule. Small matters: an SDK may hold ten thousand flags, and one
 * shape keeps the evaluator's property accesses monomorphic.
 */
export interface CompiledCondition {
  /** The operator code, plus INVERTED and CASE_INSENSITIVE bits above it. */
  readonly op: number;
  readonly attribute: string;
  /**
   * IN, NOT_IN and STR_*: the cleaned values (lower-cased when case-insensitive). A short list of
   * IN/NOT_IN values is one string joined with SEP (a third of the memory of an array of strings,
   * and searched without allocating); a long one is a Set.
   */
  readonly values: string | readonly string[] | ReadonlySet<string> | null;
  /** NUM_* and DATE_*: the number or time compared with; a plug-in's: its matcher; a malformed condition: why it can never match. */
  readonly arg: number | Matcher | string | null;
  /** The rule's next condition. */
  next: CompiledCondition | null;
}

const NO_VALUES: readonly unknown[] = Object.freeze([]);
const CODE_MASK = 31;
const INVERTED = 32;
const CASE_INSENSITIVE = 64;
/** The attribute is a custom one: look in `properties` first. */
const CUSTOM = 128;
const SEP = '\u0001';

/** Shares equal strings within one compile, as JSON.parse does for short ones. */
export type Interner = (s: string) => string;

export function createInterner(): Interner {
  const seen = new Map<string, string>();
  return (s) => {
    const hit = seen.get(s);
    if (hit !== undefined) return hit;
    seen.set(s, s);
    return s;
  };
}

const identity: Interner = (s) => s;

function condition(
  c: Condition,
  code: number,
  values: CompiledCondition['values'],
  arg: CompiledCondition['arg'],
  intern: Interner,
): CompiledCondition {
  const op =
    code |
    (c.inverted === true ? INVERTED : 0) |
    (c.caseInsensitive === true ? CASE_INSENSITIVE : 0) |
    (isStandardField(c.attribute) ? 0 : CUSTOM);
  return { op, attribute: intern(c.attribute), values, arg, next: null };
}

function malformed(c: Condition, error: string): CompiledCondition {
  return { op: NEVER, attribute: typeof c.attribute === 'string' ? c.attribute : '', values: null, arg: error, next: null };
}

/** A condition that never matches, carrying why. */
export function neverCondition(error: string): CompiledCondition {
  return { op: NEVER, attribute: '', values: null, arg: error, next: null };
}

/** Why a compiled condition can never match, or null. */
export function conditionError(c: CompiledCondition): string | null {
  return (c.op & CODE_MASK) === NEVER ? (c.arg as string) : null;
}

/** IN/NOT_IN values in their most compact searchable form. */
function membershipValues(values: string[]): CompiledCondition['values'] {
  if (values.length > 8) return new Set(values);
  if (values.some((v) => v.includes(SEP))) return values;
  // One join yields a flat string; concatenating pieces would leave a rope of several objects.
  return ['', ...values, ''].join(SEP);
}

/** Unleash trims list values and drops empty ones. The result is sized exactly (no growth slack). */
function cleanValues(values: readonly unknown[], intern: Interner): string[] {
  if (values.every((v) => typeof v === 'string' && v !== '')) return values.map((v) => intern((v as string).trim()));
  const out: string[] = [];
  for (const v of values) if (typeof v === 'string' && v !== '') out.push(intern(v.trim()));
  return out.slice();
}

/** A condition as data. Malformed ones never match, inverted or not. */
export function compileCondition(c: Condition, plugins: CompileOptions = {}, intern: Interner = identity): CompiledCondition {
  if (c === null || typeof c !== 'object' || typeof c.attribute !== 'string') {
    return malformed({ attribute: '', operator: 'IN', values: [] }, 'condition without an attribute');
  }
  const raw: readonly unknown[] = Array.isArray(c.values) ? c.values : NO_VALUES;
  const first = raw[0];
  const code = CODES[c.operator];
  // A name such as `toString` finds a member of Object.prototype, not an operator.
  if (typeof code !== 'number') {
    const plugin = PLUGINS[c.operator];
    if (typeof plugin !== 'string') return malformed(c, `unknown operator ${JSON.stringify(c.operator)}`);
    const make = plugins[plugin];
    const m = make ? make(c.operator, raw, c.caseInsensitive === true) : `${c.operator} needs the ${plugin} plug-in`;
    return typeof m === 'string' ? malformed(c, m) : condition(c, MATCH, null, m, intern);
  }
  if (code === IN || code === NOT_IN) return condition(c, code, membershipValues(cleanValues(raw, intern)), null, intern);
  if (code <= CONTAINS) {
    const values = cleanValues(raw, intern);
    return condition(c, code, c.caseInsensitive === true ? values.map((v) => v.toLowerCase()) : values, null, intern);
  }
  const n =
    code >= DATE_AFTER
      ? typeof first === 'string'
        ? Date.parse(first)
        : Number.NaN
      : typeof first === 'string' && first.trim() !== ''
        ? Number(first)
        : Number.NaN;
  if (Number.isNaN(n))
    return malformed(c, `${c.operator} needs ${code >= DATE_AFTER ? 'an ISO date' : 'a number'}, got ${JSON.stringify(first)}`);
  return condition(c, code, null, n, intern);
}

function hasValue(c: CompiledCondition, v: string): boolean {
  const values = c.values;
  if (typeof values === 'string') {
    // Find v between two separators, without building a string to search for. A v that holds a
    // separator itself could straddle two values, so a hit counts only when it holds none.
    const n = v.length;
    for (let at = values.indexOf(v, 1); at >= 0; at = values.indexOf(v, at + 1)) {
      if (values.charCodeAt(at - 1) === 1 && values.charCodeAt(at + n) === 1) return !v.includes(SEP);
    }
    return false;
  }
  return Array.isArray(values) ? values.includes(v) : (values as ReadonlySet<string>).has(v);
}

function attributeValue(c: CompiledCondition, ctx: Context): string | undefined {
  return c.op & CUSTOM ? resolveCustomAttribute(ctx, c.attribute) : resolveAttribute(ctx, c.attribute);
}

function testBase(c: CompiledCondition, ctx: Context, env: EvalEnv): boolean {
  const code = c.op & CODE_MASK;
  if (code === IN) {
    const v = attributeValue(c, ctx);
    return v !== undefined && hasValue(c, v);
  }
  if (code === NOT_IN) {
    const v = attributeValue(c, ctx);
    return v === undefined || !hasValue(c, v);
  }
  if (code === DATE_AFTER || code === DATE_BEFORE) {
    const s = attributeValue(c, ctx);
    const t = s !== undefined ? Date.parse(s) : c.attribute === 'currentTime' ? env.now() : Number.NaN;
    if (Number.isNaN(t)) return false;
    return code === DATE_AFTER ? t > (c.arg as number) : t < (c.arg as number);
  }
  let v = attributeValue(c, ctx);
  if (v === undefined) return false;
  if (code === MATCH) return (c.arg as Matcher).test(v);
  if (code <= CONTAINS) {
    if (c.op & CASE_INSENSITIVE) v = v.toLowerCase();
    for (const candidate of c.values as readonly string[]) {
      if (code === STARTS_WITH ? v.startsWith(candidate) : code === ENDS_WITH ? v.endsWith(candidate) : v.includes(candidate)) return true;
    }
    return false;
  }
  const n = Number(v);
  const target = c.arg as number;
  if (Number.isNaN(n)) return false;
  if (code === NUM_EQ) return n === target;
  if (code === NUM_GT) return n > target;
  if (code === NUM_GTE) return n >= target;
  return code === NUM_LT ? n < target : n <= target;
}

export function testCondition(c: CompiledCondition, ctx: Context, env: EvalEnv): boolean {
  if ((c.op & CODE_MASK) === NEVER) return false;
  const result = testBase(c, ctx, env);
  return c.op & INVERTED ? !result : result;
}

/** A copy of a chain (segment conditions are shared; each rule needs its own links). */
export function chain(conditions: readonly CompiledCondition[]): CompiledCondition | null {
  let head: CompiledCondition | null = null;
  for (let i = conditions.length - 1; i >= 0; i--) head = { ...(conditions[i] as CompiledCondition), next: head };
  return head;
}
