import type { FlagConfig } from '@switchboard/core';

/**
 * The stickiness that decided an outcome, read from the flag's configuration (the wire model, not
 * core's compiled form, whose layout is core's business): the variant split's when there is one,
 * else the matched rule's rollout's. `default` means userId, then sessionId.
 */
export function stickinessOf(flag: FlagConfig, ruleId: string | null): string {
  const rule = ruleId === null ? undefined : flag.rules?.find((r) => r.id === ruleId);
  const rollout = rule?.rollout?.stickiness || 'default';
  if (rule?.variants !== undefined && rule.variants.length > 0) return rule.variantStickiness || rollout;
  if (flag.variants !== undefined && flag.variants.length > 0) return flag.variantStickiness || 'default';
  return rollout;
}
