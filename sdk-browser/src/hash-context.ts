import { type Context, type SensitiveSpec, textOf } from '@switchboard/core';

type Bag = Record<string, unknown>;

/**
 * The context as the client view expects it: each value of a sensitive attribute (top level and
 * `properties`) replaced by hex(SHA-256(UTF-8("<salt>:<value>"))), the digest the server put in the
 * conditions. Equality still matches; the raw value is never compared, stored or sent; the caller's
 * object is not touched. Imported on demand: most contexts hold no sensitive value.
 */
export async function hashContext(ctx: Context, spec: SensitiveSpec, subtle: Pick<SubtleCrypto, 'digest'> | null): Promise<Context> {
  if (!subtle) throw new Error('Sensitive attributes need crypto.subtle (https or localhost)');
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
      if (text === undefined) continue;
      const digest = subtle.digest('SHA-256', new TextEncoder().encode(`${spec.salt}:${text}`));
      jobs.push(
        digest.then((d) => {
          bag[attribute] = Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, '0')).join('');
        }),
      );
    }
  }
  await Promise.all(jobs);
  return out as Context;
}
