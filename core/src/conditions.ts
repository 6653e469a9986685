import { type CidrRange, cidrContains, parseAddress, parseCidr } from './cidr.ts';
import { isStandardField, resolveAttribute, resolveCustomAttribute } from './context.ts';
import type { Condition, Context } from './model.ts';
import type { CompiledRegex, RegexEngine } from './regex.ts';
import { compareSemver, parseSemver, type SemVer } from './semver.ts';

/** Clock and randomness, passed in so core stays pure and tests stay deterministic. */
export interface EvalEnv {
  now: () => number;
  random: () => number;
}

/** Operator codes: a switch over small integers beats a closure per condition in speed and memory. */
const Code = {
  Never: 0,
  In: 1,
  NotIn: 2,
  StartsWith: 3,
  EndsWith: 4,
  Contains: 5,
  NumEq: 6,
  NumGt: 7,
  NumGte: 8,
  NumLt: 9,
  NumLte: 10,
  DateAfter: 11,
  DateBefore: 12,
  SemverEq: 13,
  SemverGt: 14,
  SemverGte: 15,
  SemverLt: 16,
  SemverLte: 17,
  Regex: 18,
  InCidr: 19,
} as const;

const CODES: Readonly<Record<string, number>> = {
  IN: Code.In,
  NOT_IN: Code.NotIn,
  STR_STARTS_WITH: Code.StartsWith,
  STR_ENDS_WITH: Code.EndsWith,
  STR_CONTAINS: Code.Contains,
  NUM_EQ: Code.NumEq,
  NUM_GT: Code.NumGt,
  NUM_GTE: Code.NumGte,
  NUM_LT: Code.NumLt,
  NUM_LTE: Code.NumLte,
  DATE_AFTER: Code.DateAfter,
  DATE_BEFORE: Code.DateBefore,
  SEMVER_EQ: Code.SemverEq,
  SEMVER_GT: Code.SemverGt,
  SEMVER_GTE: Code.SemverGte,
  SEMVER_LT: Code.SemverLt,
  SEMVER_LTE: Code.SemverLte,
  REGEX: Code.Regex,
  IN_CIDR: Code.InCidr,
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
  /**
   * NUM_* and DATE_*: the number or time compared with; SEMVER_*: the version; REGEX: the compiled
   * pattern; IN_CIDR: the ranges; a malformed condition: why it can never match.
   */
  readonly arg: number | SemVer | CompiledRegex | readonly CidrRange[] | string | null;
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
  return { op: Code.Never, attribute: typeof c.attribute === 'string' ? c.attribute : '', values: null, arg: error, next: null };
}

/** A condition that never matches, carrying why. */
export function neverCondition(error: string): CompiledCondition {
  return { op: Code.Never, attribute: '', values: null, arg: error, next: null };
}

/** Why a compiled condition can never match, or null. */
export function conditionError(c: CompiledCondition): string | null {
  return (c.op & CODE_MASK) === Code.Never ? (c.arg as string) : null;
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
export function compileCondition(c: Condition, regex?: RegexEngine, intern: Interner = identity): CompiledCondition {
  if (c === null || typeof c !== 'object' || typeof c.attribute !== 'string') {
    return malformed({ attribute: '', operator: 'IN', values: [] }, 'condition without an attribute');
  }
  const code = CODES[c.operator as string];
  if (code === undefined) return malformed(c, `unknown operator ${JSON.stringify(c.operator)}`);
  const raw: readonly unknown[] = Array.isArray(c.values) ? c.values : NO_VALUES;
  const first = raw[0];
  switch (code) {
    case Code.In:
    case Code.NotIn: {
      return condition(c, code, membershipValues(cleanValues(raw, intern)), null, intern);
    }
    case Code.StartsWith:
    case Code.EndsWith:
    case Code.Contains: {
      const values = cleanValues(raw, intern);
      return condition(c, code, c.caseInsensitive ? values.map((v) => v.toLowerCase()) : values, null, intern);
    }
    case Code.NumEq:
    case Code.NumGt:
    case Code.NumGte:
    case Code.NumLt:
    case Code.NumLte: {
      const n = typeof first === 'string' && first.trim() !== '' ? Number(first) : Number.NaN;
      if (Number.isNaN(n)) return malformed(c, `${c.operator} needs a number, got ${JSON.stringify(first)}`);
      return condition(c, code, null, n, intern);
    }
    case Code.DateAfter:
    case Code.DateBefore: {
      const t = typeof first === 'string' ? Date.parse(first) : Number.NaN;
      if (Number.isNaN(t)) return malformed(c, `${c.operator} needs an ISO date, got ${JSON.stringify(first)}`);
      return condition(c, code, null, t, intern);
    }
    case Code.Regex: {
      if (!regex) return malformed(c, 'REGEX needs a regex engine; pass one to compileSnapshot');
      if (typeof first !== 'string') return malformed(c, 'REGEX needs a pattern');
      const re = regex(first, c.caseInsensitive === true);
      return typeof re === 'string' ? malformed(c, re) : condition(c, code, null, re, intern);
    }
    case Code.InCidr:
      return condition(
        c,
        code,
        null,
        cleanValues(raw, identity)
          .map(parseCidr)
          .filter((r) => r !== null),
        intern,
      );
    default: {
      const v = typeof first === 'string' ? parseSemver(first) : null;
      if (!v) return malformed(c, `${c.operator} needs a semantic version, got ${JSON.stringify(first)}`);
      return condition(c, code, null, v, intern);
    }
  }
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
  if (code === Code.In) {
    const v = attributeValue(c, ctx);
    return v !== undefined && hasValue(c, v);
  }
  if (code === Code.NotIn) {
    const v = attributeValue(c, ctx);
    return v === undefined || !hasValue(c, v);
  }
  if (code === Code.DateAfter || code === Code.DateBefore) {
    const s = attributeValue(c, ctx);
    const t = s !== undefined ? Date.parse(s) : c.attribute === 'currentTime' ? env.now() : Number.NaN;
    if (Number.isNaN(t)) return false;
    return code === Code.DateAfter ? t > (c.arg as number) : t < (c.arg as number);
  }
  let v = attributeValue(c, ctx);
  if (v === undefined) return false;
  switch (code) {
    case Code.StartsWith:
    case Code.EndsWith:
    case Code.Contains: {
      if (c.op & CASE_INSENSITIVE) v = v.toLowerCase();
      for (const candidate of c.values as readonly string[]) {
        if (code === Code.StartsWith ? v.startsWith(candidate) : code === Code.EndsWith ? v.endsWith(candidate) : v.includes(candidate))
          return true;
      }
      return false;
    }
    case Code.NumEq:
    case Code.NumGt:
    case Code.NumGte:
    case Code.NumLt:
    case Code.NumLte: {
      const n = Number(v);
      const target = c.arg as number;
      if (Number.isNaN(n)) return false;
      if (code === Code.NumEq) return n === target;
      if (code === Code.NumGt) return n > target;
      if (code === Code.NumGte) return n >= target;
      return code === Code.NumLt ? n < target : n <= target;
    }
    case Code.Regex:
      return (c.arg as CompiledRegex).test(v);
    case Code.InCidr: {
      const address = parseAddress(v);
      if (!address) return false;
      for (const range of c.arg as readonly CidrRange[]) if (cidrContains(range, address)) return true;
      return false;
    }
    default: {
      const version = parseSemver(v);
      if (!version) return false;
      const cmp = compareSemver(version, c.arg as SemVer);
      if (code === Code.SemverEq) return cmp === 0;
      if (code === Code.SemverGt) return cmp > 0;
      if (code === Code.SemverGte) return cmp >= 0;
      return code === Code.SemverLt ? cmp < 0 : cmp <= 0;
    }
  }
}

export function testCondition(c: CompiledCondition, ctx: Context, env: EvalEnv): boolean {
  if ((c.op & CODE_MASK) === Code.Never) return false;
  const result = testBase(c, ctx, env);
  return c.op & INVERTED ? !result : result;
}

/** A copy of a chain (segment conditions are shared; each rule needs its own links). */
export function chain(conditions: readonly CompiledCondition[]): CompiledCondition | null {
  let head: CompiledCondition | null = null;
  for (let i = conditions.length - 1; i >= 0; i--) head = { ...(conditions[i] as CompiledCondition), next: head };
  return head;
}
