import { type Context, type SensitiveSpec, textOf } from '@switchboard/core';

type Bag = Record<string, unknown>;

/** Identifies a salt and attribute list, to notice when a new one arrives. */
export function specKey(spec: SensitiveSpec | undefined): string {
  return spec ? [spec.salt, ...spec.attributes].join('\n') : '';
}

/** A copy of the context and the values in it that must be digested: where each sits, and its text. */
export function sensitiveValues(ctx: Context, spec: SensitiveSpec | undefined) {
  const copy: Bag = { ...ctx };
  const bags: Array<[Bag, boolean]> = [[copy, true]];
  if (ctx.properties && typeof ctx.properties === 'object') {
    copy.properties = { ...ctx.properties };
    bags.push([copy.properties as Bag, false]);
  }
  const found: Array<[bag: Bag, attribute: string, text: string]> = [];
  for (const attribute of spec?.attributes ?? []) {
    for (const [bag, topLevel] of bags) {
      const text = textOf(bag[attribute], topLevel);
      if (text !== undefined) found.push([bag, attribute, text]);
    }
  }
  return { copy: copy as Context, found };
}

/**
 * The context as the client view expects it: each value of a sensitive attribute (top level and
 * `properties`) replaced by hex(SHA-256(UTF-8("<salt>:<value>"))), the digest the server put in the
 * conditions, or removed when it cannot be digested. The caller's object is not touched.
 */
export async function digestContext(ctx: Context, spec: SensitiveSpec, subtle: Pick<SubtleCrypto, 'digest'> | null): Promise<Context> {
  const { copy, found } = sensitiveValues(ctx, spec);
  // Imported on demand: most contexts hold no sensitive value.
  const digests = await import('./sha256-hex.ts').then((m) =>
    m.sha256Hex(
      found.map(([, , text]) => `${spec.salt}:${text}`),
      subtle,
    ),
  );
  for (const [i, [bag, attribute]] of found.entries()) bag[attribute] = digests[i];
  return copy;
}

/** The context without its sensitive values: what is evaluated when they cannot be digested. */
export function withoutSensitive(ctx: Context, spec: SensitiveSpec): Context {
  const { copy, found } = sensitiveValues(ctx, spec);
  for (const [bag, attribute] of found) bag[attribute] = undefined;
  return copy;
}
