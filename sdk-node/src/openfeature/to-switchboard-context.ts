import type { EvaluationContext } from '@openfeature/server-sdk';
import type { Context, ContextValue } from '@switchboard/core';

function scalar(value: unknown): ContextValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  return undefined;
}

/**
 * OpenFeature's context as Switchboard's: `targetingKey` is the `userId` (what rollouts stick to by
 * default); other scalar attributes keep their names, and a `properties` object is carried over.
 * Nested objects and arrays have no meaning to conditions and are left out.
 */
export function toSwitchboardContext(context: EvaluationContext | undefined): Context {
  const out: Context = {};
  if (context === undefined || context === null) return out;
  for (const [key, value] of Object.entries(context)) {
    if (key === 'targetingKey') continue;
    if (key === 'properties' && value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
      const properties: Record<string, ContextValue> = {};
      for (const [name, v] of Object.entries(value)) {
        const s = scalar(v);
        if (s !== undefined) properties[name] = s;
      }
      out.properties = properties;
      continue;
    }
    const s = scalar(value);
    if (s !== undefined) out[key] = s;
  }
  if (typeof context.targetingKey === 'string' && context.targetingKey !== '') out.userId = context.targetingKey;
  return out;
}
