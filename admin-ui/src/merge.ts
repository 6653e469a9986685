import type { FlagConfig, FlagEnvironment } from './types.ts';

/** The part of one environment's configuration the targeting editor changes (not the on/off switch). */
export type Editable = Pick<FlagConfig, 'rules' | 'variants' | 'variantStickiness' | 'dependencies'>;

export function editable(fe: FlagEnvironment | FlagConfig): Editable {
  return {
    rules: fe.rules,
    variants: fe.variants,
    ...(fe.variantStickiness ? { variantStickiness: fe.variantStickiness } : {}),
    dependencies: fe.dependencies,
  };
}

export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * My changes applied to their version. Rules merge one by one (by id): rules I edited or deleted
 * take my edit, rules they added or edited stay, and rules I added come after theirs. For the other
 * fields what I changed wins and the rest is theirs.
 */
export function rebase(base: Editable, theirs: Editable, mine: Editable): Editable {
  const out: Editable = { ...theirs };
  if (!same(mine.variants, base.variants)) out.variants = mine.variants;
  if (!same(mine.dependencies, base.dependencies)) out.dependencies = mine.dependencies;
  if (!same(mine.variantStickiness, base.variantStickiness)) {
    if (mine.variantStickiness === undefined) delete out.variantStickiness;
    else out.variantStickiness = mine.variantStickiness;
  }
  const baseById = new Map(base.rules.flatMap((r) => (r.id ? [[r.id, r] as const] : [])));
  const mineById = new Map(mine.rules.flatMap((r) => (r.id ? [[r.id, r] as const] : [])));
  const rules = theirs.rules.flatMap((r) => {
    if (!r.id || !baseById.has(r.id)) return [r];
    const my = mineById.get(r.id);
    if (!my) return [];
    return [same(my, baseById.get(r.id)) ? r : my];
  });
  for (const r of mine.rules) if (!r.id || !baseById.has(r.id)) rules.push(r);
  out.rules = rules;
  return out;
}
