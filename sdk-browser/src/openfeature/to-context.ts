import type { EvaluationContext } from '@openfeature/web-sdk';
import type { Context } from '@switchboard/core';

/**
 * An OpenFeature context as a Switchboard one: `targetingKey` is the `userId`; every other field
 * is an attribute under its own name (core reads top-level fields before `properties`).
 */
export function toContext({ targetingKey, ...attributes }: EvaluationContext): Context {
  return targetingKey === undefined ? attributes : { ...attributes, userId: targetingKey };
}
