/**
 * MurmurHash3 x86_32 over the UTF-8 bytes of a string, computed without allocating.
 *
 * The `murmurhash` package encodes every string with a new TextEncoder (about 1.3 us a call), which
 * would dominate evaluation. Here UTF-8 bytes come from char codes on the fly, the state lives in
 * local variables, and a constant prefix ("<groupId>:") is hashed once per flag: its whole 4-byte
 * blocks fold into a saved state, so an evaluation only hashes the sticky value. Tests check every
 * result against `murmurhash`.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Hash state after a prefix: whole blocks folded into `h`, leftover bytes pending in `k`. */
export interface HashPrefix {
  readonly h: number;
  readonly k: number;
  readonly pending: number;
  readonly length: number;
}

function mixBlock(h: number, k: number): number {
  let k1 = Math.imul(k, C1);
  k1 = (k1 << 15) | (k1 >>> 17);
  h ^= Math.imul(k1, C2);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Byte `j` of the `n`-byte UTF-8 encoding of code point `cp`. */
function utf8Byte(cp: number, n: number, j: number): number {
  if (j === 0) return n === 2 ? 0xc0 | (cp >> 6) : n === 3 ? 0xe0 | (cp >> 12) : 0xf0 | (cp >> 18);
  return 0x80 | ((cp >> (6 * (n - 1 - j))) & 0x3f);
}

/** murmur3_x86_32 of UTF-8(prefix + s), given the state after the prefix. */
function run(h: number, k: number, pending: number, length: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // Ids are mostly ASCII: take four characters as one block when they line up with one.
    if (pending === 0 && i + 3 < n) {
      const c1 = s.charCodeAt(i + 1);
      const c2 = s.charCodeAt(i + 2);
      const c3 = s.charCodeAt(i + 3);
      if ((c | c1 | c2 | c3) < 0x80) {
        h = mixBlock(h, c | (c1 << 8) | (c2 << 16) | (c3 << 24));
        length += 4;
        i += 3;
        continue;
      }
    }
    if (c < 0x80) {
      k |= c << (pending << 3);
      length++;
      if (++pending === 4) {
        h = mixBlock(h, k);
        k = 0;
        pending = 0;
      }
      continue;
    }
    let cp = c;
    let bytes = c < 0x800 ? 2 : 3;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        bytes = 4;
        i++;
      } else {
        // A lone surrogate: U+FFFD, as TextEncoder does.
        cp = 0xfffd;
      }
    }
    for (let j = 0; j < bytes; j++) {
      k |= utf8Byte(cp, bytes, j) << (pending << 3);
      length++;
      if (++pending === 4) {
        h = mixBlock(h, k);
        k = 0;
        pending = 0;
      }
    }
  }
  return finish(h, k, pending, length);
}

/** The tail bytes and the final mix. */
function finish(h: number, k: number, pending: number, length: number): number {
  if (pending > 0) {
    let k1 = Math.imul(k, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    h ^= Math.imul(k1, C2);
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Prepares the state after hashing `prefix` with `seed`, to hash many suffixes cheaply. Runs once
 * per flag, off the hot path, so plain TextEncoder bytes do.
 */
export function hashPrefix(prefix: string, seed: number): HashPrefix {
  const bytes = new TextEncoder().encode(prefix);
  const whole = bytes.length - (bytes.length % 4);
  let h = seed | 0;
  for (let i = 0; i < whole; i += 4) {
    h = mixBlock(
      h,
      (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24),
    );
  }
  let k = 0;
  for (let i = whole; i < bytes.length; i++) k |= (bytes[i] as number) << ((i - whole) << 3);
  return { h, k, pending: bytes.length - whole, length: bytes.length };
}

/** murmur3_x86_32 of UTF-8(prefix + suffix), unsigned. */
export function hashWithPrefix(prefix: HashPrefix, suffix: string): number {
  return run(prefix.h, prefix.k, prefix.pending, prefix.length, suffix);
}

/** A prefix state as two numbers plus one packed `length * 4 + pending`, for compact storage. */
export function packPrefix(prefix: HashPrefix): [h: number, k: number, packed: number] {
  return [prefix.h, prefix.k, prefix.length * 4 + prefix.pending];
}

/** As `hashWithPrefix`, with the prefix state as `packPrefix` gives it. */
export function hashWithState(h: number, k: number, packed: number, suffix: string): number {
  return run(h, k, packed & 3, packed >>> 2, suffix);
}

/**
 * murmur3_x86_32 of the UTF-8 bytes of `s`, unsigned. For one-off hashes (the wire evaluator, in
 * browsers): TextEncoder's bytes keep it short; the compiled evaluator's hot path uses `run`.
 */
export function murmur3(s: string, seed = 0): number {
  const state = hashPrefix(s, seed);
  return finish(state.h, state.k, state.pending, state.length);
}
