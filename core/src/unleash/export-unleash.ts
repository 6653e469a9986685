import { type Condition, type FlagConfig, type Rule, type Segment, SINGLE_VALUE_OPERATORS, type WeightedVariant } from '../model.ts';
import type { UnleashConstraint, UnleashFeature, UnleashSegment, UnleashStrategy, UnleashVariant } from './types.ts';

/** Why an Unleash SDK may answer differently from ours for a flag; stable codes, for the UI and tests. */
export const UnleashDifferenceCode = {
  /** A rollout with hundredths: Unleash SDKs bucket in whole percents and see the percentage rounded down. */
  FractionalRollout: 'FRACTIONAL_ROLLOUT',
  /** DATE_AFTER/DATE_BEFORE on an attribute other than `currentTime`: Unleash SDKs compare the current time. */
  DateOnAttribute: 'DATE_ON_ATTRIBUTE',
  /** A rollout (or a rule's variant split) whose group id is '': Unleash SDKs hash with the flag key instead. */
  EmptyGroupId: 'EMPTY_GROUP_ID',
  /** Variant overrides in a split whose weights are all 0: Unleash SDKs pick no variant, overrides included. */
  OverridesWithoutWeight: 'OVERRIDES_WITHOUT_WEIGHT',
} as const;
export type UnleashDifferenceCode = (typeof UnleashDifferenceCode)[keyof typeof UnleashDifferenceCode];

export interface UnleashDifference {
  flag: string;
  /** The rule concerned; absent when it is the flag's own variants. */
  ruleId?: string;
  code: UnleashDifferenceCode;
  /** What Unleash SDKs will see, in a sentence. */
  message: string;
}

/** The body of Unleash's `GET /api/client/features`. */
export interface UnleashClientFeatures {
  version: 2;
  features: UnleashFeature[];
  segments: UnleashSegment[];
}

export interface UnleashExport {
  payload: UnleashClientFeatures;
  /** Per flag, what Unleash SDKs will compute differently; empty when they compute what we do. */
  differences: UnleashDifference[];
}

export interface UnleashExportInput {
  flags: readonly FlagConfig[];
  segments?: readonly Segment[];
}

/**
 * A constraint that matches nobody in every Unleash SDK (IN with no values), for rules that name a
 * segment that is gone: ours never match either, and our importer reads it back as such.
 */
const NEVER: UnleashConstraint = {
  contextName: 'switchboard-missing-segment',
  operator: 'IN',
  values: [],
  inverted: false,
  caseInsensitive: false,
};

function toConstraint(c: Condition): UnleashConstraint {
  const out: UnleashConstraint = {
    contextName: c.attribute,
    operator: c.operator,
    inverted: c.inverted === true,
    caseInsensitive: c.caseInsensitive === true,
  };
  if (SINGLE_VALUE_OPERATORS.has(c.operator)) {
    out.value = c.values[0] ?? '';
    out.values = [];
  } else {
    out.values = [...c.values];
  }
  return out;
}

function toVariants(variants: readonly WeightedVariant[], stickiness: string): UnleashVariant[] {
  return variants.map((v) => {
    const out: UnleashVariant = {
      name: v.name,
      weight: Number.isFinite(v.weight) && v.weight > 0 ? Math.floor(v.weight) : 0,
      weightType: 'variable',
      stickiness,
    };
    if (v.payload) out.payload = { type: v.payload.type, value: v.payload.value };
    if (v.overrides && v.overrides.length > 0)
      out.overrides = v.overrides.map((o) => ({ contextName: o.attribute, values: [...o.values] }));
    return out;
  });
}

function splitDifferences(flag: string, ruleId: string | undefined, variants: readonly WeightedVariant[] | undefined): UnleashDifference[] {
  if (!variants || variants.length === 0) return [];
  const total = variants.reduce((sum, v) => sum + (Number.isFinite(v.weight) && v.weight > 0 ? Math.floor(v.weight) : 0), 0);
  if (total > 0 || !variants.some((v) => (v.overrides ?? []).length > 0)) return [];
  const where = ruleId === undefined ? 'The flag variants' : `Rule ${JSON.stringify(ruleId)}`;
  return [
    {
      flag,
      ...(ruleId === undefined ? {} : { ruleId }),
      code: UnleashDifferenceCode.OverridesWithoutWeight,
      message: `${where}: all weights are 0, so Unleash SDKs ignore the overrides and give no variant`,
    },
  ];
}

function ruleDifferences(flag: FlagConfig, rule: Rule, segments: ReadonlyMap<string, Segment>): UnleashDifference[] {
  const out: UnleashDifference[] = [];
  const at = { flag: flag.key, ruleId: rule.id };
  const pct = rule.rollout ? Number(rule.rollout.percentage) : 100;
  if (rule.rollout && Number.isFinite(pct) && pct > 0 && pct < 100 && !Number.isInteger(pct)) {
    out.push({
      ...at,
      code: UnleashDifferenceCode.FractionalRollout,
      message: `Rule ${JSON.stringify(rule.id)}: Unleash SDKs bucket in whole percents and roll out to ${Math.floor(pct)}% instead of ${pct}%`,
    });
  }
  // The group id seeds both the rollout and the rule's variant split, so it matters for either.
  const splits = (rule.variants ?? []).some((v) => v.weight > 0);
  if (rule.rollout && rule.rollout.groupId === '' && pct > 0 && (pct < 100 || splits)) {
    out.push({
      ...at,
      code: UnleashDifferenceCode.EmptyGroupId,
      message: `Rule ${JSON.stringify(rule.id)}: Unleash SDKs read an empty group id as the flag key, so they pick other users for the ${pct < 100 ? 'rollout' : 'variants'}`,
    });
  }
  const conditions = [...(rule.conditions ?? []), ...(rule.segments ?? []).flatMap((k) => segments.get(k)?.conditions ?? [])];
  for (const c of conditions) {
    if ((c.operator === 'DATE_AFTER' || c.operator === 'DATE_BEFORE') && c.attribute !== 'currentTime') {
      out.push({
        ...at,
        code: UnleashDifferenceCode.DateOnAttribute,
        message: `Rule ${JSON.stringify(rule.id)}: Unleash SDKs compare the current time, not ${JSON.stringify(c.attribute)}, with ${c.operator} ${c.values[0] ?? ''}`,
      });
    }
  }
  out.push(...splitDifferences(flag.key, rule.id, rule.variants));
  return out;
}

/**
 * What Unleash SDKs will compute differently from ours for one flag (empty: the same answers for
 * every context with ASCII ids). The admin UI shows it on the flag; `exportUnleash` reports it too.
 */
export function unleashDifferences(flag: FlagConfig, segments: readonly Segment[] = []): UnleashDifference[] {
  const byKey = new Map(segments.map((s) => [s.key, s]));
  const out = (flag.rules ?? []).flatMap((r) => ruleDifferences(flag, r, byKey));
  out.push(...splitDifferences(flag.key, undefined, flag.variants));
  return out;
}

function toStrategy(flag: FlagConfig, rule: Rule, segmentIds: ReadonlyMap<string, number>): UnleashStrategy {
  const constraints = (rule.conditions ?? []).map(toConstraint);
  const segmentRefs: number[] = [];
  for (const key of rule.segments ?? []) {
    const id = segmentIds.get(key);
    if (id === undefined) constraints.push(NEVER);
    else segmentRefs.push(id);
  }
  const hasVariants = (rule.variants ?? []).length > 0;
  const strategy: UnleashStrategy = { name: 'default', parameters: {}, constraints, segments: segmentRefs, variants: [] };
  if (rule.id) strategy.id = rule.id;
  // `default` is understood by every SDK; strategy variants need flexibleRollout's groupId and stickiness.
  if (rule.rollout || hasVariants) {
    const pct = rule.rollout ? Number(rule.rollout.percentage) : 100;
    const stickiness = rule.rollout?.stickiness || 'default';
    strategy.name = 'flexibleRollout';
    strategy.parameters = {
      // Unleash SDKs parse whole percents; hundredths are reported as a difference.
      rollout: String(Number.isFinite(pct) ? Math.min(100, Math.max(0, Math.floor(pct))) : 0),
      stickiness,
      groupId: rule.rollout?.groupId ?? flag.key,
    };
    if (hasVariants) strategy.variants = toVariants(rule.variants ?? [], rule.variantStickiness || stickiness);
  }
  return strategy;
}

function toFeature(flag: FlagConfig, segmentIds: ReadonlyMap<string, number>): UnleashFeature {
  const rules = flag.rules ?? [];
  const feature: UnleashFeature = {
    name: flag.key,
    type: 'release',
    enabled: flag.enabled === true,
    project: 'default',
    stale: false,
    impressionData: false,
    // No rules means on for everyone: the `default` strategy says so to every SDK.
    strategies:
      rules.length === 0
        ? [{ name: 'default', parameters: {}, constraints: [], segments: [], variants: [] }]
        : rules.map((r) => toStrategy(flag, r, segmentIds)),
    variants: toVariants(flag.variants ?? [], flag.variantStickiness || 'default'),
  };
  if (flag.dependencies && flag.dependencies.length > 0) {
    feature.dependencies = flag.dependencies.map((d) => {
      const dep: { feature: string; enabled: boolean; variants?: string[] } = { feature: d.flag, enabled: d.enabled !== false };
      if (d.variants && d.variants.length > 0) dep.variants = [...d.variants];
      return dep;
    });
  }
  return feature;
}

/**
 * Our flags in Unleash's client-features format, the inverse of `importUnleash`: each rule a
 * strategy (`default`, or `flexibleRollout` when it has a rollout or variants), conditions as
 * constraints, segments with numeric ids, variants with their stickiness, dependencies as they are.
 * Unleash SDKs then compute what ours do, except where `differences` says otherwise.
 */
export function exportUnleash(input: UnleashExportInput): UnleashExport {
  const segments = [...(input.segments ?? [])].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // Unleash segment ids are numbers; keys sorted give ids that stay put while segments stay put.
  const segmentIds = new Map(segments.map((s, i) => [s.key, i + 1]));
  const payload: UnleashClientFeatures = {
    version: 2,
    features: input.flags.map((f) => toFeature(f, segmentIds)),
    segments: segments.map((s, i) => ({ id: i + 1, name: s.key, constraints: s.conditions.map(toConstraint) })),
  };
  const differences = input.flags.flatMap((f) => unleashDifferences(f, segments));
  return { payload, differences };
}
