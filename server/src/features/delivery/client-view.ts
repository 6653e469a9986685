import { createHash } from 'node:crypto';
import type { Condition, FlagConfig, Rule, Segment, WeightedVariant } from '@switchboard/core';
import type { SnapshotFlag } from '../../domain/snapshot-flag.ts';

/**
 * What a browser may see of an environment: client-visible flags only, segments inlined into the
 * rules that use them (so segment keys and unused cohorts stay home), and the values of conditions
 * on sensitive attributes replaced by salted SHA-256 digests. The browser SDK digests the context's
 * sensitive values the same way, so equality still matches and no raw value leaves the server.
 */

export interface SensitivePolicy {
  salt: string;
  attributes: ReadonlySet<string>;
}

/** hex(SHA-256(UTF-8("<salt>:<value>"))); the browser SDK computes the same. */
export function sensitiveDigest(salt: string, value: string): string {
  return createHash('sha256').update(`${salt}:${value}`).digest('hex');
}

function digestValues(values: readonly string[], policy: SensitivePolicy): string[] {
  // Core trims list values before comparing; digest what it would compare.
  return values.filter((v) => v.trim() !== '').map((v) => sensitiveDigest(policy.salt, v.trim()));
}

function clientCondition(c: Condition, policy: SensitivePolicy): Condition {
  return policy.attributes.has(c.attribute) ? { ...c, values: digestValues(c.values, policy) } : c;
}

function clientVariants(variants: WeightedVariant[] | undefined, policy: SensitivePolicy): WeightedVariant[] | undefined {
  return variants?.map((v) =>
    v.overrides
      ? {
          ...v,
          overrides: v.overrides.map((o) => (policy.attributes.has(o.attribute) ? { ...o, values: digestValues(o.values, policy) } : o)),
        }
      : v,
  );
}

function clientRule(rule: Rule, segments: ReadonlyMap<string, Segment>, policy: SensitivePolicy): Rule {
  const conditions: Condition[] = [];
  let missingSegment = false;
  for (const key of rule.segments ?? []) {
    const segment = segments.get(key);
    if (segment) conditions.push(...segment.conditions);
    else missingSegment = true;
  }
  conditions.push(...(rule.conditions ?? []));
  const out: Rule = { id: rule.id, conditions: conditions.map((c) => clientCondition(c, policy)) };
  // A rule naming a segment that is gone matches nobody, as on the server.
  if (missingSegment) out.rollout = { percentage: 0 };
  else if (rule.rollout) out.rollout = rule.rollout;
  const variants = clientVariants(rule.variants, policy);
  if (variants) out.variants = variants;
  if (rule.variantStickiness) out.variantStickiness = rule.variantStickiness;
  return out;
}

/** A client-visible flag as browsers receive it. */
export function clientFlag(
  flag: SnapshotFlag,
  segments: ReadonlyMap<string, Segment>,
  policy: SensitivePolicy,
  isVisible: (key: string) => boolean,
): FlagConfig {
  // A dependency on a flag browsers cannot see cannot be evaluated there, and naming the parent
  // would reveal it: such a flag is off in browsers.
  const hiddenParent = (flag.dependencies ?? []).some((d) => !isVisible(d.flag));
  const out: FlagConfig = {
    key: flag.key,
    enabled: flag.enabled && !hiddenParent,
    rules: (flag.rules ?? []).map((r) => clientRule(r, segments, policy)),
  };
  const variants = clientVariants(flag.variants, policy);
  if (variants) out.variants = variants;
  if (flag.variantStickiness) out.variantStickiness = flag.variantStickiness;
  if (flag.dependencies && !hiddenParent) out.dependencies = flag.dependencies;
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
