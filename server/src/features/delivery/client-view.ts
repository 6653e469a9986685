import type { Condition, FlagConfig, Rule, Segment, WeightedVariant } from '@switchboard/core';
import type { SnapshotFlag } from '../../domain/snapshot-flag.ts';

/**
 * What a browser may see of an environment: client-visible flags only, segments inlined into the
 * rules that use them (so segment keys and unused cohorts stay home). A flag whose rules would
 * reveal identifying values (a condition or variant override on a sensitive attribute, directly or
 * through a segment) or that depends on a flag browsers cannot evaluate is sent as
 * `{ key, enabled, remote: true }` (plus a rule matching nobody, for SDKs older than `remote`):
 * browsers ask the OFREP bulk endpoint for its answer. A rollout
 * or split sticky on a sensitive attribute stays local: a hash bucket reveals no value. Disabled
 * flags carry no rules: their answer is known without them.
 *
 * `browserEvaluation` is the one decision: the client view and the admin API's answer (which shows
 * an admin where a flag is evaluated and why) both come from it.
 */

/** Where browsers get a flag's answer. */
export const BrowserMode = {
  /** In the page, from the client view's rules. */
  Local: 'local',
  /** From the server (OFREP bulk evaluation): the client view names the flag without its rules. */
  Server: 'server',
  /** Not client-visible: browsers never learn of the flag. */
  Hidden: 'hidden',
} as const;
export type BrowserMode = (typeof BrowserMode)[keyof typeof BrowserMode];

export const BrowserReasonCode = {
  NotClientVisible: 'NOT_CLIENT_VISIBLE',
  /** Off: sent without rules, evaluated locally. */
  Disabled: 'DISABLED',
  /** A condition on a sensitive attribute, in a rule or in a segment a rule uses. */
  SensitiveCondition: 'SENSITIVE_CONDITION',
  /** A variant override listing values of a sensitive attribute. */
  SensitiveOverride: 'SENSITIVE_OVERRIDE',
  /** Depends on a flag that browsers do not see. */
  HiddenDependency: 'HIDDEN_DEPENDENCY',
  /** Depends on a flag that browsers get from the server. */
  ServerDependency: 'SERVER_DEPENDENCY',
} as const;
export type BrowserReasonCode = (typeof BrowserReasonCode)[keyof typeof BrowserReasonCode];

export interface BrowserReason {
  code: BrowserReasonCode;
  attribute?: string;
  ruleId?: string;
  segment?: string;
  flag?: string;
}

export interface BrowserEvaluation {
  mode: BrowserMode;
  reasons: BrowserReason[];
}

function conditionReasons(
  conditions: readonly Condition[] | undefined,
  sensitive: ReadonlySet<string>,
  where: { ruleId: string; segment?: string },
  out: BrowserReason[],
): void {
  for (const c of conditions ?? []) {
    if (sensitive.has(c.attribute)) out.push({ code: BrowserReasonCode.SensitiveCondition, attribute: c.attribute, ...where });
  }
}

function overrideReasons(
  variants: readonly WeightedVariant[] | undefined,
  sensitive: ReadonlySet<string>,
  ruleId: string | undefined,
  out: BrowserReason[],
): void {
  for (const v of variants ?? []) {
    for (const o of v.overrides ?? []) {
      if (sensitive.has(o.attribute) && o.values.length > 0)
        out.push({ code: BrowserReasonCode.SensitiveOverride, attribute: o.attribute, ...(ruleId === undefined ? {} : { ruleId }) });
    }
  }
}

/**
 * Where browsers evaluate `flag`, and why. `flagOf` looks up the other flags of the environment (for
 * dependencies: a parent evaluated on the server, or not visible at all, makes its child remote).
 */
export function browserEvaluation(
  flag: SnapshotFlag,
  segments: ReadonlyMap<string, Segment>,
  sensitive: ReadonlySet<string>,
  flagOf: (key: string) => SnapshotFlag | undefined,
  seen: ReadonlySet<string> = new Set(),
): BrowserEvaluation {
  if (!flag.clientVisible) return { mode: BrowserMode.Hidden, reasons: [{ code: BrowserReasonCode.NotClientVisible }] };
  if (!flag.enabled) return { mode: BrowserMode.Local, reasons: [{ code: BrowserReasonCode.Disabled }] };
  const reasons: BrowserReason[] = [];
  for (const rule of flag.rules ?? []) {
    for (const key of rule.segments ?? []) {
      conditionReasons(segments.get(key)?.conditions, sensitive, { ruleId: rule.id, segment: key }, reasons);
    }
    conditionReasons(rule.conditions, sensitive, { ruleId: rule.id }, reasons);
    overrideReasons(rule.variants, sensitive, rule.id, reasons);
  }
  overrideReasons(flag.variants, sensitive, undefined, reasons);
  const inner = new Set(seen).add(flag.key);
  for (const d of flag.dependencies ?? []) {
    const parent = flagOf(d.flag);
    if (!parent?.clientVisible) reasons.push({ code: BrowserReasonCode.HiddenDependency, flag: d.flag });
    // Validation keeps dependencies one level deep; `seen` guards against a stored cycle all the same.
    else if (inner.has(d.flag) || browserEvaluation(parent, segments, sensitive, flagOf, inner).mode === BrowserMode.Server)
      reasons.push({ code: BrowserReasonCode.ServerDependency, flag: d.flag });
  }
  return { mode: reasons.length > 0 ? BrowserMode.Server : BrowserMode.Local, reasons };
}

function clientRule(rule: Rule, segments: ReadonlyMap<string, Segment>): Rule {
  const conditions: Condition[] = [];
  let missingSegment = false;
  for (const key of rule.segments ?? []) {
    const segment = segments.get(key);
    if (segment) conditions.push(...segment.conditions);
    else missingSegment = true;
  }
  conditions.push(...(rule.conditions ?? []));
  const out: Rule = { id: rule.id, conditions };
  // A rule naming a segment that is gone matches nobody, as on the server.
  if (missingSegment) out.rollout = { percentage: 0 };
  else if (rule.rollout) out.rollout = rule.rollout;
  if (rule.variants) out.variants = rule.variants;
  if (rule.variantStickiness) out.variantStickiness = rule.variantStickiness;
  return out;
}

/**
 * The one rule of a server-evaluated flag's client form: it matches nobody. Browser SDKs that know
 * `remote` never read it; older ones, which would take a flag without rules as on for everyone,
 * evaluate it as off (fail closed) instead of releasing a targeted flag to every page.
 */
export const REMOTE_GUARD_RULE = Object.freeze({ id: 'server-evaluated', rollout: Object.freeze({ percentage: 0 }) });

/** A client-visible flag as browsers receive it, given where they evaluate it. */
export function clientFlag(flag: SnapshotFlag, segments: ReadonlyMap<string, Segment>, evaluation: BrowserEvaluation): FlagConfig {
  if (evaluation.mode === BrowserMode.Server) {
    return flag.enabled
      ? { key: flag.key, enabled: true, remote: true, rules: [REMOTE_GUARD_RULE] }
      : { key: flag.key, enabled: false, remote: true };
  }
  if (!flag.enabled) return { key: flag.key, enabled: false, rules: [] };
  const out: FlagConfig = { key: flag.key, enabled: true, rules: (flag.rules ?? []).map((r) => clientRule(r, segments)) };
  if (flag.variants) out.variants = flag.variants;
  if (flag.variantStickiness) out.variantStickiness = flag.variantStickiness;
  if (flag.dependencies) out.dependencies = flag.dependencies;
  return out;
}

/** The server view strips what only the server needs to know. */
export function serverFlag(flag: SnapshotFlag): FlagConfig {
  const { clientVisible: _, ...config } = flag;
  return config;
}

export function usesSegment(flag: SnapshotFlag, segmentKey: string): boolean {
  return (flag.rules ?? []).some((r) => r.segments?.includes(segmentKey));
}
