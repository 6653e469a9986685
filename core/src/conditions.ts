import { isStandardField } from './context.ts';
import type { Condition, Context } from './model.ts';
import { customValue, type Reader, readerOf, standardValue } from './readers.ts';

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
 * shape keeps the evaluator's property accesses monomorphic. Compiled conditions are shared: equal
 * conditions followed by equal chains are one object (see `ConditionPool`), so a thousand rules
 * that test the same list hold one chain between them.
 */
export interface CompiledCondition {
  /** The operator code, plus the FLIP, CASE_INSENSITIVE, CUSTOM and LARGE bits above it. */
  readonly op: number;
  readonly attribute: string;
  /** Reads `attribute` off the context or its `properties` (readers.ts says why). */
  readonly read: Reader;
  /**
   * IN, NOT_IN and STR_*: the cleaned values (lower-cased when case-insensitive), shared by every
   * condition of the snapshot with the same list. IN/NOT_IN: an array compared with `===` when
   * short (no hashing, and the strings are mostly the context's interned ones), a Set (LARGE) when long.
   */
  readonly values: readonly string[] | ReadonlySet<string> | null;
  /** NUM_* and DATE_*: the number or time compared with; a plug-in's: its matcher; a malformed condition: why it can never match. */
  readonly arg: number | Matcher | string | null;
  /** The rule's next condition. */
  readonly next: CompiledCondition | null;
}

const NO_VALUES: readonly unknown[] = Object.freeze([]);
const CODE_MASK = 15;
/**
 * The answer is negated: `inverted`, or NOT_IN (compiled as IN with the bit, so one test serves
 * both), or both (which cancel).
 */
const FLIP = 16;
const CASE_INSENSITIVE = 32;
/** The attribute is a custom one: look in `properties` first. */
const CUSTOM = 64;
/** IN's values are a Set. */
const LARGE = 128;
/** Lists longer than this are searched through a Set; shorter ones by comparing each value. */
const SHORT_LIST = 8;

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

/**
 * What one compile shares: strings, value lists (by content) and conditions with their chains
 * (by content and successor). Dropped when the compile ends; what it handed out stays shared.
 */
export interface ConditionPool {
  readonly intern: Interner;
  /** Value lists by their content's key. */
  readonly lists: Map<string, readonly string[] | ReadonlySet<string>>;
  /** Conditions by their content's key and their successor's id. */
  readonly nodes: Map<string, CompiledCondition>;
  /** A number for every list, matcher and condition handed out, for the keys above. */
  readonly ids: Map<unknown, number>;
}

export function createPool(intern: Interner = createInterner()): ConditionPool {
  return { intern, lists: new Map(), nodes: new Map(), ids: new Map() };
}

function idOf(pool: ConditionPool, x: unknown): number {
  let id = pool.ids.get(x);
  if (id === undefined) {
    id = pool.ids.size + 1;
    pool.ids.set(x, id);
  }
  return id;
}

function condition(
  c: Condition,
  code: number,
  values: CompiledCondition['values'],
  arg: CompiledCondition['arg'],
  intern: Interner,
  flip = false,
): CompiledCondition {
  const op =
    code |
    ((c.inverted === true) !== flip ? FLIP : 0) |
    (c.caseInsensitive === true ? CASE_INSENSITIVE : 0) |
    (isStandardField(c.attribute) ? 0 : CUSTOM) |
    (values instanceof Set ? LARGE : 0);
  const attribute = intern(c.attribute);
  return { op, attribute, read: readerOf(attribute), values, arg, next: null };
}

/** Never called: a malformed condition is never read. */
const NO_READ: Reader = () => undefined;

function malformed(c: Condition, error: string): CompiledCondition {
  return { op: NEVER, attribute: typeof c.attribute === 'string' ? c.attribute : '', read: NO_READ, values: null, arg: error, next: null };
}

/** A condition that never matches, carrying why. */
export function neverCondition(error: string): CompiledCondition {
  return { op: NEVER, attribute: '', read: NO_READ, values: null, arg: error, next: null };
}

/** Why a compiled condition can never match, or null. */
export function conditionError(c: CompiledCondition): string | null {
  return (c.op & CODE_MASK) === NEVER ? (c.arg as string) : null;
}

/** The one shared copy of a list (IN/NOT_IN: as a Set when long; order does not matter there). */
function sharedList(values: string[], membership: boolean, pool: ConditionPool | null): readonly string[] | ReadonlySet<string> {
  const unique = membership ? [...new Set(values)].sort() : values.slice();
  const large = membership && unique.length > SHORT_LIST;
  // Not frozen: TurboFan reads a frozen array's elements through the generic keyed lookup (V8 11),
  // several times slower. Nothing outside core sees these lists.
  if (pool === null) return large ? new Set(unique) : unique;
  const key = `${large ? 's' : membership ? 'm' : 'l'}${JSON.stringify(unique)}`;
  let list = pool.lists.get(key);
  if (list === undefined) {
    list = large ? new Set(unique) : unique;
    pool.lists.set(key, list);
  }
  return list;
}

/** Unleash trims list values and drops empty ones. */
function cleanValues(values: readonly unknown[], intern: Interner): string[] {
  const out: string[] = [];
  for (const v of values) if (typeof v === 'string' && v !== '') out.push(intern(v.trim()));
  return out;
}

/**
 * A condition as data, not yet linked (`next` is null; `link` chains and shares conditions). Malformed
 * ones never match, inverted or not.
 */
export function compileCondition(c: Condition, plugins: CompileOptions = {}, pool: ConditionPool | null = null): CompiledCondition {
  const intern = pool?.intern ?? identity;
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
  if (code === IN || code === NOT_IN) {
    return condition(c, IN, sharedList(cleanValues(raw, intern), true, pool), null, intern, code === NOT_IN);
  }
  if (code <= CONTAINS) {
    const values = cleanValues(raw, intern);
    return condition(
      c,
      code,
      sharedList(c.caseInsensitive === true ? values.map((v) => intern(v.toLowerCase())) : values, false, pool),
      null,
      intern,
    );
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

/**
 * Chains `conditions` (as `compileCondition` gives them, or taken from other chains: only their
 * content counts) into one rule's chain, reusing every suffix the pool already holds.
 */
export function link(conditions: readonly CompiledCondition[], pool: ConditionPool): CompiledCondition | null {
  let next: CompiledCondition | null = null;
  for (let i = conditions.length - 1; i >= 0; i--) {
    const c = conditions[i] as CompiledCondition;
    const arg = c.arg;
    const argKey = typeof arg === 'number' ? `n${arg}` : typeof arg === 'string' ? `e${arg}` : arg === null ? '' : `m${idOf(pool, arg)}`;
    const valuesKey = c.values === null ? 0 : idOf(pool, c.values);
    const key = `${c.op}\u0000${c.attribute}\u0000${valuesKey}\u0000${argKey}\u0000${next === null ? 0 : idOf(pool, next)}`;
    let node = pool.nodes.get(key);
    if (node === undefined) {
      node = { op: c.op, attribute: c.attribute, read: c.read, values: c.values, arg, next };
      pool.nodes.set(key, node);
    }
    next = node;
  }
  return next;
}

function hasValue(values: readonly string[], v: string): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] === v) return true;
  return false;
}

function attributeValue(c: CompiledCondition, ctx: Context): string | undefined {
  return c.op & CUSTOM ? customValue(ctx, c.read) : standardValue(ctx, c.read);
}

function testOther(c: CompiledCondition, code: number, ctx: Context, env: EvalEnv): boolean {
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

/** Whether the context passes the condition. IN (and NOT_IN, its flip) first: most conditions are one. */
export function testCondition(c: CompiledCondition, ctx: Context, env: EvalEnv): boolean {
  const op = c.op;
  const code = op & CODE_MASK;
  let result: boolean;
  if (code === IN) {
    const v = op & CUSTOM ? customValue(ctx, c.read) : standardValue(ctx, c.read);
    result = v !== undefined && (op & LARGE ? (c.values as ReadonlySet<string>).has(v) : hasValue(c.values as readonly string[], v));
  } else {
    if (code === NEVER) return false;
    result = testOther(c, code, ctx, env);
  }
  return op & FLIP ? !result : result;
}
