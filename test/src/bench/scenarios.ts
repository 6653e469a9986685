/**
 * What the benchmark evaluates, described once and neutrally: each engine adapter translates these
 * flag specs into its own configuration, so all engines answer the same question.
 */

/** One flag: optional targeting on country and plan, then an optional rollout on userId. */
export interface FlagSpec {
  key: string;
  /** Country must be one of these, when set. */
  countries?: readonly string[];
  /** Plan must not be one of these, when set. */
  excludedPlans?: readonly string[];
  /** Percentage of matching users who get the flag, sticky on userId; everyone when absent. */
  rollout?: number;
}

export interface User {
  userId: string;
  country: string;
  plan: string;
}

export interface Scenario {
  id: string;
  title: string;
  flags: FlagSpec[];
}

/** Which flag and which user each call evaluates, precomputed so picking costs every engine the same. */
export interface CallOrder {
  flags: Uint16Array;
  users: Uint16Array;
}

export const USER_COUNT = 10_000;
export const HEAP_FLAG_COUNT = 10_000;
/** Calls cycle through the order; a power of two so the index is a mask, not a modulo. */
export const CALL_MASK = (1 << 16) - 1;

const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'NO', 'SE', 'JP', 'BR', 'IN', 'CA'];
const PLANS = ['free', 'trial', 'pro', 'enterprise'];

function typeC(key: string): FlagSpec {
  return { key, countries: COUNTRIES.slice(0, 5), excludedPlans: ['free', 'trial'], rollout: 50 };
}

function numberedKeys(prefix: string, count: number): string[] {
  const width = String(count - 1).length;
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(width, '0')}`);
}

/**
 * Applications name flags with string literals, which V8 interns; keys built by concatenation are
 * rope strings instead, slower to hash and compare. Property names are interned, so a round trip
 * through an object's keys turns the built keys into the literal kind.
 */
function interned(keys: string[]): string[] {
  return Object.keys(Object.fromEntries(keys.map((k) => [k, 0])));
}

/**
 * Type-C flags whose lists are drawn from the pools: 5 of the 10 countries and 2 of the 4 plans, in
 * drawn order. Real flag sets differ flag by flag; identical rules would let an engine that caches
 * per rule (flagd-core's JSON-logic, our shared conditions) look better than it does in production.
 */
function variedTypeC(keys: readonly string[], seed: number): FlagSpec[] {
  const random = seededRandom(seed);
  return keys.map((key) => ({ key, countries: sample(COUNTRIES, 5, random), excludedPlans: sample(PLANS, 2, random), rollout: 50 }));
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'A', title: 'flag simply on', flags: [{ key: 'bench-on' }] },
  { id: 'B', title: '30% rollout on userId', flags: [{ key: 'bench-rollout', rollout: 30 }] },
  { id: 'C', title: 'country IN 5, plan NOT_IN 2, 50% rollout', flags: [typeC('bench-targeted')] },
  {
    id: 'D',
    title: '1,000 type-C flags, lists drawn per flag, random flag and user',
    flags: variedTypeC(interned(numberedKeys('bench-vary', 1_000)), 3),
  },
  {
    id: 'D-same',
    title: '1,000 identical type-C flags, random flag and user',
    flags: interned(numberedKeys('bench-many', 1_000)).map(typeC),
  },
];

/**
 * The flags whose heap footprint is measured. Their keys stay uninterned: interned ones could be
 * shared with the strings an engine parses out of its wire JSON, which would then not be counted.
 */
export function heapFlags(): FlagSpec[] {
  return numberedKeys('bench-heap', HEAP_FLAG_COUNT).map(typeC);
}

/** Mulberry32: seeded, so every run evaluates the same users in the same order. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(values: readonly T[], random: () => number): T {
  return values[Math.floor(random() * values.length)] as T;
}

/** `count` distinct values of `values` in drawn order (a partial Fisher-Yates shuffle). */
function sample<T>(values: readonly T[], count: number, random: () => number): T[] {
  const pool = [...values];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, count);
}

/** User ids look like UUIDs, as most production ids do; hashing cost depends on their length. */
function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

export function makeUsers(count = USER_COUNT, seed = 1): User[] {
  const random = seededRandom(seed);
  const users = Array.from({ length: count }, () => ({
    userId: uuid(random),
    country: pick(COUNTRIES, random),
    plan: pick(PLANS, random),
  }));
  // Through JSON, as a server gets its users: built by concatenation, the ids would be rope strings
  // that every engine's hash reads more slowly than the flat strings a request body yields.
  return JSON.parse(JSON.stringify(users)) as User[];
}

export function makeCallOrder(flagCount: number, userCount = USER_COUNT, seed = 2): CallOrder {
  const random = seededRandom(seed);
  const flags = new Uint16Array(CALL_MASK + 1);
  const users = new Uint16Array(CALL_MASK + 1);
  for (let i = 0; i <= CALL_MASK; i++) {
    flags[i] = Math.floor(random() * flagCount);
    users[i] = Math.floor(random() * userCount);
  }
  return { flags, users };
}

/** Whether the user passes the flag's targeting, before the rollout. */
export function targeted(flag: FlagSpec, user: User): boolean {
  return (flag.countries?.includes(user.country) ?? true) && !(flag.excludedPlans?.includes(user.plan) ?? false);
}
