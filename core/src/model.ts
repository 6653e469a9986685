/**
 * The flag model: what one environment's configuration looks like on the wire and in memory.
 * Plain JSON-compatible data, so the server stores it, the stream sends it and the SDKs evaluate it
 * without translation.
 */

export const Operator = {
  In: 'IN',
  NotIn: 'NOT_IN',
  StrStartsWith: 'STR_STARTS_WITH',
  StrEndsWith: 'STR_ENDS_WITH',
  StrContains: 'STR_CONTAINS',
  NumEq: 'NUM_EQ',
  NumGt: 'NUM_GT',
  NumGte: 'NUM_GTE',
  NumLt: 'NUM_LT',
  NumLte: 'NUM_LTE',
  DateAfter: 'DATE_AFTER',
  DateBefore: 'DATE_BEFORE',
  SemverEq: 'SEMVER_EQ',
  SemverGt: 'SEMVER_GT',
  SemverGte: 'SEMVER_GTE',
  SemverLt: 'SEMVER_LT',
  SemverLte: 'SEMVER_LTE',
  Regex: 'REGEX',
  InCidr: 'IN_CIDR',
} as const;
export type Operator = (typeof Operator)[keyof typeof Operator];

/**
 * Operators that compare against exactly one value; the rest accept a list. Plain strings and the
 * annotation let a bundle that never validates (a browser page) leave the set and `Operator` out.
 */
export const SINGLE_VALUE_OPERATORS: ReadonlySet<string> = /* @__PURE__ */ new Set<Operator>([
  'NUM_EQ',
  'NUM_GT',
  'NUM_GTE',
  'NUM_LT',
  'NUM_LTE',
  'DATE_AFTER',
  'DATE_BEFORE',
  'SEMVER_EQ',
  'SEMVER_GT',
  'SEMVER_GTE',
  'SEMVER_LT',
  'SEMVER_LTE',
  'REGEX',
]);

export interface Condition {
  /** Context attribute: a top-level context field (`userId`, ...) or a key of `properties`. */
  attribute: string;
  operator: Operator;
  /** Single-value operators use `values[0]`. */
  values: string[];
  inverted?: boolean;
  caseInsensitive?: boolean;
}

/**
 * How a rollout or a variant split picks the id it hashes: `default` is userId, then sessionId,
 * then a random id; `random` is always random; anything else names a context attribute.
 */
export type Stickiness = string;

export interface Rollout {
  /** 0 to 100 with at most two decimals (0.01% steps). */
  percentage: number;
  stickiness?: Stickiness;
  /** Hash namespace; defaults to the flag key, so flags bucket independently. */
  groupId?: string;
}

export interface Payload {
  type: string;
  value: string;
}

export interface VariantOverride {
  attribute: string;
  values: string[];
}

export interface WeightedVariant {
  name: string;
  /** Non-negative integer; the split is weight / sum of weights. */
  weight: number;
  payload?: Payload;
  overrides?: VariantOverride[];
}

export interface Rule {
  id: string;
  description?: string;
  /** Keys of segments; all must match, as must every condition. */
  segments?: string[];
  conditions?: Condition[];
  /** Absent means everyone who matches the conditions. */
  rollout?: Rollout;
  /** A split that overrides the flag's own variants for users matched by this rule. */
  variants?: WeightedVariant[];
  variantStickiness?: Stickiness;
}

export interface Dependency {
  flag: string;
  /** Whether the parent must be on (default) or off. */
  enabled?: boolean;
  /** When set, the parent must be on with one of these variants. */
  variants?: string[];
}

/** One flag's configuration in one environment. */
export interface FlagConfig {
  key: string;
  enabled: boolean;
  /**
   * Ordered; the first rule that matches decides. No rules at all means on for everyone (when
   * `enabled`); rules that all miss mean off.
   */
  rules?: Rule[];
  variants?: WeightedVariant[];
  variantStickiness?: Stickiness;
  /** One level deep: a parent that has dependencies of its own never satisfies one. */
  dependencies?: Dependency[];
  /**
   * Client view only: the flag is evaluated on the server for browsers (its rules would reveal
   * identifying values), so it comes as `{ key, enabled, remote: true }` without rules or variants
   * and its answer comes from OFREP bulk evaluation (ofrep.ts).
   */
  remote?: boolean;
}

export interface Segment {
  key: string;
  conditions: Condition[];
}

/** Everything an SDK needs to evaluate one environment. */
export interface Snapshot {
  environment?: string;
  revision: number;
  flags: FlagConfig[];
  segments?: Segment[];
}

export type ContextValue = string | number | boolean | null | undefined;

export interface Context {
  userId?: string;
  sessionId?: string;
  remoteAddress?: string;
  environment?: string;
  appName?: string;
  /** ISO date; what DATE_* conditions on `currentTime` compare against (now when absent). */
  currentTime?: string | Date;
  properties?: Record<string, ContextValue>;
  [attribute: string]: unknown;
}

export const Reason = {
  /** The flag is switched off in this environment. */
  Off: 'OFF',
  /** On, no rules: everyone gets it. */
  On: 'ON',
  RuleMatch: 'RULE_MATCH',
  NoRuleMatch: 'NO_RULE_MATCH',
  DependencyFailed: 'DEPENDENCY_FAILED',
  NotFound: 'FLAG_NOT_FOUND',
  Error: 'ERROR',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export const ErrorCode = {
  FlagNotFound: 'FLAG_NOT_FOUND',
  /** A rule could not be evaluated (unknown operator, bad value, missing segment); it counted as a miss. */
  InvalidRule: 'INVALID_RULE',
  General: 'GENERAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface VariantResult {
  name: string;
  enabled: boolean;
  payload?: Payload;
}

export interface EvaluationResult {
  enabled: boolean;
  variant: VariantResult;
  reason: Reason;
  /** The rule that matched, when one did. */
  ruleId: string | null;
  errorCode?: ErrorCode;
  errorMessage?: string;
}

/** The variant reported when a flag is off or has no variants (Unleash's name for it). */
export const DISABLED_VARIANT: VariantResult = Object.freeze({ name: 'disabled', enabled: false });
