import { parseCidr } from '../cidr.ts';
import {
  type Condition,
  type FlagConfig,
  Operator,
  type Rollout,
  type Rule,
  type Segment,
  SINGLE_VALUE_OPERATORS,
  type WeightedVariant,
} from '../model.ts';
import type { UnleashConstraint, UnleashFeature, UnleashPayload, UnleashStrategy, UnleashVariant } from './types.ts';

export interface ImportedFlag {
  description?: string;
  config: FlagConfig;
}

export interface UnleashImport {
  flags: ImportedFlag[];
  segments: Segment[];
  /** What could not be carried over exactly (unknown strategies become rules that never match). */
  warnings: string[];
}

/** IN_CIDR entries that are not addresses or ranges match nothing in Unleash; leave them out. */
function withoutBadRanges(condition: Condition, where: string, warnings: string[]): Condition {
  if (condition.operator !== Operator.InCidr) return condition;
  const good = condition.values.filter((v) => parseCidr(v.trim()) !== null);
  if (good.length < condition.values.length) {
    warnings.push(
      `${where}: left out values that are not IP addresses or ranges: ${condition.values.filter((v) => !good.includes(v)).join(', ')}`,
    );
  }
  return { ...condition, values: good };
}

function toCondition(c: UnleashConstraint): Condition {
  const list = Array.isArray(c.values) ? c.values.filter((v) => typeof v === 'string') : [];
  const values = SINGLE_VALUE_OPERATORS.has(c.operator)
    ? [typeof c.value === 'string' ? c.value : (list[0] ?? '')]
    : list.length > 0 || typeof c.value !== 'string'
      ? list
      : [c.value];
  const condition: Condition = { attribute: c.contextName, operator: c.operator as Operator, values };
  if (c.inverted) condition.inverted = true;
  if (c.caseInsensitive) condition.caseInsensitive = true;
  return condition;
}

function toVariants(variants: UnleashVariant[] | null | undefined): WeightedVariant[] | undefined {
  if (!Array.isArray(variants) || variants.length === 0) return undefined;
  return variants.map((v) => {
    const out: WeightedVariant = { name: v.name, weight: Number(v.weight) || 0 };
    if (v.payload) out.payload = { type: v.payload.type, value: v.payload.value };
    if (Array.isArray(v.overrides) && v.overrides.length > 0) {
      out.overrides = v.overrides.map((o) => ({ attribute: o.contextName, values: o.values }));
    }
    return out;
  });
}

function percentage(raw: unknown): number {
  const n = Number(raw);
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0;
}

function param(s: UnleashStrategy, name: string): string | undefined {
  const v = s.parameters?.[name];
  return v === undefined || v === null ? undefined : String(v);
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Unleash's built-in strategies as rollouts and conditions; `null` for a strategy we don't know. */
function strategyShape(feature: UnleashFeature, s: UnleashStrategy): { rollout?: Rollout; conditions: Condition[] } | null {
  switch (s.name) {
    case 'default':
      return { conditions: [] };
    case 'userWithId':
      return { conditions: [{ attribute: 'userId', operator: Operator.In, values: splitList(param(s, 'userIds')) }] };
    case 'remoteAddress':
      return { conditions: [{ attribute: 'remoteAddress', operator: Operator.InCidr, values: splitList(param(s, 'IPs')) }] };
    case 'gradualRolloutUserId':
    case 'gradualRolloutSessionId':
      return {
        conditions: [],
        rollout: {
          percentage: percentage(param(s, 'percentage')),
          stickiness: s.name === 'gradualRolloutUserId' ? 'userId' : 'sessionId',
          groupId: param(s, 'groupId') ?? '',
        },
      };
    case 'gradualRolloutRandom':
      return { conditions: [], rollout: { percentage: percentage(param(s, 'percentage')), stickiness: 'random' } };
    case 'flexibleRollout':
      return {
        conditions: [],
        rollout: {
          percentage: percentage(param(s, 'rollout')),
          stickiness: param(s, 'stickiness') || 'default',
          groupId: param(s, 'groupId') || feature.name,
        },
      };
    default:
      return null;
  }
}

/**
 * Maps an Unleash client-features payload to Switchboard flags, one environment's worth. Each
 * strategy becomes a rule; the normal evaluator then gives Unleash's answers, buckets included.
 */
export function importUnleash(payload: UnleashPayload): UnleashImport {
  const warnings: string[] = [];
  const segmentKeys = new Map<string, string>();
  const segments: Segment[] = [];
  for (const s of payload.segments ?? []) {
    const key = s.name ? s.name : `segment-${s.id}`;
    segmentKeys.set(String(s.id), key);
    segments.push({ key, conditions: (s.constraints ?? []).map(toCondition).map((c) => withoutBadRanges(c, `segment ${key}`, warnings)) });
  }

  const flags = (payload.features ?? []).map((feature): ImportedFlag => {
    const rules: Rule[] = [];
    (feature.strategies ?? []).forEach((s, index) => {
      if (s.disabled) return;
      const id = s.id ?? `${index + 1}`;
      let shape = strategyShape(feature, s);
      if (shape === null) {
        warnings.push(`${feature.name}: strategy ${JSON.stringify(s.name)} is not supported; imported as a rule that matches nobody`);
        shape = { conditions: [], rollout: { percentage: 0 } };
      }
      if (s.name === 'remoteAddress') {
        // Unleash SDKs match IPv6 entries of this strategy only as exact strings; we match the range.
        const v6Ranges = splitList(param(s, 'IPs')).filter((ip) => ip.includes(':') && ip.includes('/'));
        if (v6Ranges.length > 0) {
          warnings.push(
            `${feature.name}, strategy ${id}: IPv6 ranges ${v6Ranges.join(', ')} now match every address in them (Unleash SDKs matched them only as exact strings)`,
          );
        }
      }
      const conditions = [...shape.conditions, ...(s.constraints ?? []).map(toCondition)].map((c) =>
        withoutBadRanges(c, `${feature.name}, strategy ${id}`, warnings),
      );
      const rule: Rule = { id, conditions };
      if (shape.rollout) rule.rollout = shape.rollout;
      const refs = s.segments ?? [];
      const segs = refs.map((ref) => segmentKeys.get(String(ref))).filter((k) => k !== undefined);
      if (segs.length > 0) rule.segments = segs;
      if (segs.length < refs.length) {
        // Unleash: a strategy naming a segment that does not exist never matches.
        warnings.push(`${feature.name}: strategy ${id} names a segment that is not in the export; imported as a rule that matches nobody`);
        rule.rollout = { percentage: 0 };
      }
      const variants = toVariants(s.variants);
      if (variants) {
        rule.variants = variants;
        rule.variantStickiness = s.variants?.[0]?.stickiness || shape.rollout?.stickiness || 'default';
      }
      rules.push(rule);
    });

    const config: FlagConfig = { key: feature.name, enabled: feature.enabled === true, rules };
    // Unleash: a feature with no strategies is on for everyone; so is a rule list we leave empty.
    const variants = toVariants(feature.variants);
    if (variants) {
      config.variants = variants;
      config.variantStickiness = feature.variants?.[0]?.stickiness || 'default';
    }
    if (Array.isArray(feature.dependencies) && feature.dependencies.length > 0) {
      config.dependencies = feature.dependencies.map((d) => {
        const dep: { flag: string; enabled?: boolean; variants?: string[] } = { flag: d.feature };
        if (d.enabled === false) dep.enabled = false;
        if (Array.isArray(d.variants) && d.variants.length > 0) dep.variants = d.variants;
        return dep;
      });
    }
    const imported: ImportedFlag = { config };
    if (feature.description) imported.description = feature.description;
    return imported;
  });

  return { flags, segments, warnings };
}
