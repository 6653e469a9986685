import { cidrContains, parseAddress, parseCidr } from './cidr.ts';
import { resolveAttribute } from './context.ts';
import { type Condition, type Context, Operator } from './model.ts';
import type { RegexEngine } from './regex.ts';
import { compareSemver, parseSemver } from './semver.ts';

/** Clock and randomness, passed in so core stays pure and tests stay deterministic. */
export interface EvalEnv {
  now: () => number;
  random: () => number;
}

export type Predicate = (ctx: Context, env: EvalEnv) => boolean;

export interface CompiledCondition {
  test: Predicate;
  /** Why the condition can never match, when it is malformed. */
  error: string | null;
}

const never: Predicate = () => false;

function malformed(error: string): CompiledCondition {
  return { test: never, error };
}

/** Unleash trims list values and drops empty ones. */
function cleanValues(values: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (typeof v === 'string' && v !== '') out.push(v.trim());
  }
  return out;
}

function membership(values: string[]): (value: string) => boolean {
  if (values.length > 8) {
    const set = new Set(values);
    return (value) => set.has(value);
  }
  return (value) => values.includes(value);
}

function compileBase(c: Condition, regex: RegexEngine | undefined): CompiledCondition {
  const attr = c.attribute;
  const raw = Array.isArray(c.values) ? c.values : [];
  switch (c.operator) {
    case Operator.In:
    case Operator.NotIn: {
      const has = membership(cleanValues(raw));
      const isIn = c.operator === Operator.In;
      return {
        test: (ctx) => {
          const v = resolveAttribute(ctx, attr);
          return (v !== undefined && has(v)) === isIn;
        },
        error: null,
      };
    }
    case Operator.StrStartsWith:
    case Operator.StrEndsWith:
    case Operator.StrContains: {
      const ci = c.caseInsensitive === true;
      const values = cleanValues(raw).map((v) => (ci ? v.toLowerCase() : v));
      const op = c.operator;
      return {
        test: (ctx) => {
          let v = resolveAttribute(ctx, attr);
          if (v === undefined) return false;
          if (ci) v = v.toLowerCase();
          for (const candidate of values) {
            if (
              op === Operator.StrStartsWith
                ? v.startsWith(candidate)
                : op === Operator.StrEndsWith
                  ? v.endsWith(candidate)
                  : v.includes(candidate)
            ) {
              return true;
            }
          }
          return false;
        },
        error: null,
      };
    }
    case Operator.NumEq:
    case Operator.NumGt:
    case Operator.NumGte:
    case Operator.NumLt:
    case Operator.NumLte: {
      const target = typeof raw[0] === 'string' && raw[0].trim() !== '' ? Number(raw[0]) : Number.NaN;
      if (Number.isNaN(target)) return malformed(`${c.operator} needs a number, got ${JSON.stringify(raw[0])}`);
      const op = c.operator;
      return {
        test: (ctx) => {
          const s = resolveAttribute(ctx, attr);
          if (s === undefined) return false;
          const n = Number(s);
          if (Number.isNaN(n)) return false;
          switch (op) {
            case Operator.NumEq:
              return n === target;
            case Operator.NumGt:
              return n > target;
            case Operator.NumGte:
              return n >= target;
            case Operator.NumLt:
              return n < target;
            default:
              return n <= target;
          }
        },
        error: null,
      };
    }
    case Operator.DateAfter:
    case Operator.DateBefore: {
      const target = typeof raw[0] === 'string' ? Date.parse(raw[0]) : Number.NaN;
      if (Number.isNaN(target)) return malformed(`${c.operator} needs an ISO date, got ${JSON.stringify(raw[0])}`);
      const after = c.operator === Operator.DateAfter;
      return {
        test: (ctx, env) => {
          const s = resolveAttribute(ctx, attr);
          let t: number;
          if (s !== undefined) t = Date.parse(s);
          else if (attr === 'currentTime') t = env.now();
          else return false;
          if (Number.isNaN(t)) return false;
          return after ? t > target : t < target;
        },
        error: null,
      };
    }
    case Operator.SemverEq:
    case Operator.SemverGt:
    case Operator.SemverGte:
    case Operator.SemverLt:
    case Operator.SemverLte: {
      const target = typeof raw[0] === 'string' ? parseSemver(raw[0]) : null;
      if (!target) return malformed(`${c.operator} needs a semantic version, got ${JSON.stringify(raw[0])}`);
      const op = c.operator;
      return {
        test: (ctx) => {
          const s = resolveAttribute(ctx, attr);
          const v = s === undefined ? null : parseSemver(s);
          if (!v) return false;
          const cmp = compareSemver(v, target);
          switch (op) {
            case Operator.SemverEq:
              return cmp === 0;
            case Operator.SemverGt:
              return cmp > 0;
            case Operator.SemverGte:
              return cmp >= 0;
            case Operator.SemverLt:
              return cmp < 0;
            default:
              return cmp <= 0;
          }
        },
        error: null,
      };
    }
    case Operator.Regex: {
      if (!regex) return malformed('REGEX needs a regex engine; pass one to compileSnapshot');
      if (typeof raw[0] !== 'string') return malformed('REGEX needs a pattern');
      const re = regex(raw[0], c.caseInsensitive === true);
      if (typeof re === 'string') return malformed(re);
      return {
        test: (ctx) => {
          const s = resolveAttribute(ctx, attr);
          return s !== undefined && re.test(s);
        },
        error: null,
      };
    }
    case Operator.InCidr: {
      const ranges = cleanValues(raw)
        .map(parseCidr)
        .filter((r) => r !== null);
      return {
        test: (ctx) => {
          const s = resolveAttribute(ctx, attr);
          const address = s === undefined ? null : parseAddress(s);
          if (!address) return false;
          for (const range of ranges) if (cidrContains(range, address)) return true;
          return false;
        },
        error: null,
      };
    }
    default:
      return malformed(`unknown operator ${JSON.stringify(c.operator)}`);
  }
}

/** A condition as a predicate. Malformed conditions never match, inverted or not. */
export function compileCondition(c: Condition, regex?: RegexEngine): CompiledCondition {
  if (c === null || typeof c !== 'object' || typeof c.attribute !== 'string') {
    return malformed('condition without an attribute');
  }
  const base = compileBase(c, regex);
  if (base.error !== null || c.inverted !== true) return base;
  const test = base.test;
  return { test: (ctx, env) => !test(ctx, env), error: null };
}
