import { type Context, type SensitiveSpec, textOf } from '@switchboard/core';
import { loadSha256 } from './on-demand.ts';

type Bag = Record<string, unknown>;

/**
 * The context as the client view expects it: each value of a sensitive attribute (top level and
 * `properties`) replaced by hex(SHA-256(UTF-8("<salt>:<value>"))), the digest the server put in the
 * conditions. At once when there is nothing to digest (most contexts), else a promise that never
 * rejects: a value that cannot be digested is removed, and `onError` hears why. The caller's object
 * is not touched.
 */
export function hashContext(
  ctx: Context,
  spec: SensitiveSpec | undefined,
  subtle: Pick<SubtleCrypto, 'digest'> | null,
  onError: (error: Error) => void,
): Context | Promise<Context> {
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

  async function digest(salt: string): Promise<Context> {
    let digests: string[] = [];
    try {
      // Imported on demand: most contexts hold no sensitive value.
      const { sha256Hex } = await loadSha256();
      digests = await sha256Hex(
        found.map(([, , text]) => `${salt}:${text}`),
        subtle,
      );
    } catch (error) {
      onError(error as Error);
    }
    // Without its digest a value is left out rather than compared in the clear.
    for (const [i, [bag, attribute]] of found.entries()) bag[attribute] = digests[i];
    return copy;
  }

  return spec && found.length > 0 ? digest(spec.salt) : ctx;
}
