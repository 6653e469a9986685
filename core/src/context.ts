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
