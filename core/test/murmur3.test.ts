import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { hashPrefix, hashWithPrefix, murmur3 } from '../src/murmur3.ts';

// Strings that cover 1- to 4-byte UTF-8, lone surrogates and every length mod 4.
const samples = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'abcde',
  'user-123',
  'Hellø Wørld',
  'φriend 你好',
  '😊🌍',
  'x\ud800y',
  '\udc00',
  'ÿ'.repeat(7),
];
function randomString(rand: () => number): string {
  const len = Math.floor(rand() * 24);
  let s = '';
  for (let i = 0; i < len; i++) {
    const r = rand();
    s +=
      r < 0.6
        ? String.fromCharCode(32 + Math.floor(rand() * 95))
        : r < 0.8
          ? String.fromCharCode(0xa0 + Math.floor(rand() * 0x700))
          : r < 0.95
            ? String.fromCharCode(0x800 + Math.floor(rand() * 0xd000))
            : '😀';
  }
  return s;
}
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('murmur3', () => {
  it('equals the murmurhash package over the UTF-8 bytes', () => {
    const rand = lcg(7);
    const inputs = [...samples, ...Array.from({ length: 2000 }, () => randomString(rand))];
    for (const s of inputs) {
      for (const seed of [0, 86028157]) {
        expect(murmur3(s, seed), JSON.stringify(s)).toBe(murmurhash.v3(new TextEncoder().encode(s), seed));
      }
    }
  });

  it('hashes a prepared prefix plus a suffix like the whole string', () => {
    const rand = lcg(11);
    for (let i = 0; i < 1000; i++) {
      const prefix = `${randomString(rand)}:`;
      const suffix = randomString(rand);
      const seed = i % 2 === 0 ? 0 : 86028157;
      expect(hashWithPrefix(hashPrefix(prefix, seed), suffix)).toBe(murmurhash.v3(new TextEncoder().encode(prefix + suffix), seed));
    }
  });
});
