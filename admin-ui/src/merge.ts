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

/**
 * JSON with every object's keys sorted (absent and undefined alike left out): the same value
 * always gives the same text, whichever order its keys were written in (the server's jsonb, a
 * form's state and an audit entry each have their own).
 */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}

/** Equal by meaning of the JSON: key order never makes a difference. */
export function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
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

/**
 * The inverse of one saved change (`before` → `after`) applied on top of the current version: what
 * that change did is undone, what was changed since stays. Rules it added go, rules it removed come
 * back (at their old place when it still exists), rules it edited get their old form; the on/off
 * switch goes back only if that change flipped it.
 */
export function undoChange(before: FlagConfig, after: FlagConfig, current: FlagConfig): FlagConfig & { variantStickiness?: string } {
  const merged = rebase(editable(after), editable(current), editable(before));
  // Rules the change removed come back where they were rather than last.
  const restored = before.rules.filter((r) => r.id && !after.rules.some((x) => x.id === r.id) && !current.rules.some((x) => x.id === r.id));
  if (restored.length > 0) {
    const rest = merged.rules.filter((r) => !restored.includes(r));
    for (const r of restored) rest.splice(Math.min(before.rules.indexOf(r), rest.length), 0, r);
    merged.rules = rest;
  }
  return { ...merged, enabled: before.enabled !== after.enabled ? before.enabled : current.enabled };
}

/** Rules the change touched that were changed again since: undoing puts back their state before it. */
export function touchedSince(before: FlagConfig, after: FlagConfig, current: FlagConfig): string[] {
  const out: string[] = [];
  for (const r of after.rules) {
    if (!r.id) continue;
    const old = before.rules.find((x) => x.id === r.id);
    const now = current.rules.find((x) => x.id === r.id);
    if (old && now && !same(old, r) && !same(now, r)) out.push(r.id);
  }
  return out;
}
