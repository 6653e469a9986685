import type { EvaluationResult, OfrepContext } from '@switchboard/core';

/** What the OpenFeature clients are asked with; a flag of another type answers with these. */
export const TYPED_DEFAULTS = {
  boolean: false,
  string: 'default-string',
  number: -1,
  object: { fallback: true },
} as const;
export type FlagType = keyof typeof TYPED_DEFAULTS;

/** A random OFREP context over the attributes the seeded flags look at (ids include the segment's). */
export function randomContext(random: () => number): OfrepContext {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const n = Math.floor(random() * 300);
  const context: OfrepContext = { targetingKey: `u-${n}` };
  if (random() < 0.5) context.email = `user${n}@${pick(['acme.io', 'example.org', 'acme.io.evil'])}`;
  if (random() < 0.5) context.plan = pick(['free', 'pro', 'team']);
  if (random() < 0.5) context.country = pick(['de', 'at', 'fr', 'us']);
  if (random() < 0.5) context.age = Math.floor(random() * 60) + 15;
  return context;
}

/** The payload as OFREP carries it (contract 3): parsed by its type. */
function payloadValue(type: string, text: string): unknown {
  if (type === 'json') return JSON.parse(text);
  if (type === 'number') return Number(text);
  return text;
}

export interface Expected {
  value: unknown;
  variant: string;
  errorCode?: string;
  metadata: Record<string, unknown>;
}

/**
 * What an OpenFeature OFREP provider should resolve for `type`, given Switchboard's own result for
 * the same context (sdk-node's local evaluation): the value OFREP carries, or the caller's default
 * with TYPE_MISMATCH when that value is of another type (an off variant flag answers `false`).
 */
export function expectedDetails(type: FlagType, result: Omit<EvaluationResult, 'reason'> & { reason: string }): Expected {
  const payload = result.variant.payload;
  const value = payload ? payloadValue(payload.type, payload.value) : result.enabled;
  const metadata: Record<string, unknown> = { enabled: result.enabled, reason: result.reason };
  if (result.ruleId !== null && result.ruleId !== '') metadata.ruleId = result.ruleId;
  if (payload) metadata.payloadType = payload.type;
  if (typeof value !== typeof TYPED_DEFAULTS[type]) {
    return { value: TYPED_DEFAULTS[type], variant: result.variant.name, errorCode: 'TYPE_MISMATCH', metadata };
  }
  return { value, variant: result.variant.name, metadata };
}
