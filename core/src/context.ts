import type { Context } from './model.ts';

/**
 * The string value of a context attribute: a top-level field first, then `properties`. Empty and
 * non-scalar values count as absent, as in Unleash.
 */
export function resolveAttribute(ctx: Context, attribute: string): string | undefined {
  const top = ctx[attribute];
  // Most lookups miss the top level (custom attributes live in properties): test that first.
  if (top !== undefined) {
    if (typeof top === 'string') {
      if (top !== '') return top;
    } else if (typeof top === 'number' || typeof top === 'boolean') {
      return String(top);
    } else if (top instanceof Date) {
      return top.toISOString();
    }
  }
  const props = ctx.properties;
  if (props == null || typeof props !== 'object') return undefined;
  // Inherited members (toString, constructor, __proto__) are functions or objects, never scalars,
  // so the type checks below keep them out without a slower own-property test.
  const value = props[attribute];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** The fields Unleash (and our Context type) define at the top level; custom ones go in `properties`. */
const STANDARD_FIELDS: ReadonlySet<string> = new Set(['userId', 'sessionId', 'remoteAddress', 'environment', 'appName', 'currentTime']);

export function isStandardField(attribute: string): boolean {
  return STANDARD_FIELDS.has(attribute);
}

/**
 * As `resolveAttribute`, for a custom attribute: `properties` first, then the top level. Looking a
 * missing name up on the context object walks its prototype chain, which is most of the cost of a
 * condition; custom attributes almost always sit in `properties`. The two orders differ only for a
 * context that holds the same custom name in both places.
 */
export function resolveCustomAttribute(ctx: Context, attribute: string): string | undefined {
  const props = ctx.properties;
  if (props != null && typeof props === 'object') {
    const value = props[attribute];
    if (typeof value === 'string') {
      if (value !== '') return value;
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      return String(value);
    }
  }
  const top = ctx[attribute];
  if (top === undefined) return undefined;
  if (typeof top === 'string') return top === '' ? undefined : top;
  if (typeof top === 'number' || typeof top === 'boolean') return String(top);
  return top instanceof Date ? top.toISOString() : undefined;
}

/** The text core compares for a context value, or undefined when it counts as absent. Dates count at the top level only. */
export function textOf(value: unknown, topLevel: boolean): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return topLevel && value instanceof Date ? value.toISOString() : undefined;
}

/**
 * `resolveAttribute` (custom = false) and `resolveCustomAttribute` (custom = true) in one: shorter
 * and slower, for the wire evaluator, where bundle size matters more than speed.
 */
export function attributeOf(ctx: Context, attribute: string, custom: boolean): string | undefined {
  const props = ctx.properties;
  const top = textOf(ctx[attribute], true);
  const inProps = props != null && typeof props === 'object' ? textOf(props[attribute], false) : undefined;
  return custom ? (inProps ?? top) : (top ?? inProps);
}
