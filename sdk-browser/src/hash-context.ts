import type { Context, SensitiveSpec } from '@switchboard/core';

type Bag = Record<string, unknown>;

/** The string core would compare for this value (see core's resolveAttribute); undefined when it counts as absent. */
function textOf(value: unknown, topLevel: boolean): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return topLevel && value instanceof Date ? value.toISOString() : undefined;
}

/** Identifies a salt and attribute list, to notice when a new one arrives. */
export function specKey(spec: SensitiveSpec | undefined): string {
  return spec ? [spec.salt, ...spec.attributes].join('\n') : '';
}

/** Whether the context holds a value of a sensitive attribute, i.e. whether it must be digested before use. */
export function needsHashing(ctx: Context, spec: SensitiveSpec | undefined): boolean {
  return !!spec?.attributes.some((a) => textOf(ctx[a], true) !== undefined || textOf(ctx.properties?.[a], false) !== undefined);
}

/** Every sensitive value replaced by `map(text)`; the caller's object is not touched. */
async function mapSensitive(ctx: Context, spec: SensitiveSpec, map: (text: string) => Promise<string | undefined>): Promise<Context> {
  const out: Bag = { ...ctx };
  const bags: Array<[Bag, boolean]> = [[out, true]];
  if (ctx.properties && typeof ctx.properties === 'object') {
    out.properties = { ...ctx.properties };
    bags.push([out.properties as Bag, false]);
  }
  const jobs: Promise<void>[] = [];
  for (const attribute of spec.attributes) {
    for (const [bag, topLevel] of bags) {
      const text = textOf(bag[attribute], topLevel);
      if (text !== undefined)
        jobs.push(
          map(text).then((v) => {
            bag[attribute] = v;
          }),
        );
    }
  }
  await Promise.all(jobs);
  return out as Context;
}

/**
 * The context as the client view expects it: each value of a sensitive attribute (top level and
 * `properties`) replaced by hex(SHA-256(UTF-8("<salt>:<value>"))), the digest the server put in the
 * conditions. Equality still matches; the raw value is never compared, stored or sent.
 */
export function hashContext(ctx: Context, spec: SensitiveSpec, subtle: Pick<SubtleCrypto, 'digest'> | null): Promise<Context> {
  return mapSensitive(ctx, spec, async (text) => {
    if (!subtle) throw new Error('Sensitive attributes need crypto.subtle (https or localhost)');
    const digest = await subtle.digest('SHA-256', new TextEncoder().encode(`${spec.salt}:${text}`));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  });
}

/** The context with its sensitive values removed: what is evaluated when they cannot be digested. */
export function withoutSensitive(ctx: Context, spec: SensitiveSpec): Promise<Context> {
  return mapSensitive(ctx, spec, async () => undefined);
}
