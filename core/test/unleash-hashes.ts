import murmurhash from 'murmurhash';

/** murmur3 over the UTF-8 bytes of `s`: what our SDKs (and the client specification) hash. */
export function utf8Hash(s: string, seed = 0): number {
  return murmurhash.v3(new TextEncoder().encode(s), seed);
}

/** murmur3 over the low byte of each UTF-16 unit of `s`: what unleash-client 6 (murmurhash3js) hashes. */
export function lowByteHash(s: string, seed = 0): number {
  return murmurhash.v3(
    Uint8Array.from({ length: s.length }, (_, i) => s.charCodeAt(i) & 0xff),
    seed,
  );
}
