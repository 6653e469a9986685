import { type Context, type SensitiveSpec, textOf } from '@switchboard/core';

/** Identifies a salt and attribute list, to notice when a new one arrives. */
export function specKey(spec: SensitiveSpec | undefined): string {
  return spec ? [spec.salt, ...spec.attributes].join('\n') : '';
}

/** Whether the context holds a value of a sensitive attribute, i.e. whether it must be digested before use. */
export function needsHashing(ctx: Context, spec: SensitiveSpec | undefined): boolean {
  return !!spec?.attributes.some((a) => textOf(ctx[a], true) !== undefined || textOf(ctx.properties?.[a], false) !== undefined);
}

/** The context without its sensitive values: what is evaluated when they cannot be digested. */
export function withoutSensitive(ctx: Context, spec: SensitiveSpec): Context {
  const out: Context = { ...ctx, properties: { ...ctx.properties } };
  for (const a of spec.attributes) {
    delete out[a];
    delete out.properties?.[a];
  }
  return out;
}
