import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf, compileSnapshot, evaluate, type FlagConfig, murmur3 } from '../src/index.ts';

const flag = (percentage: number, extra: Partial<FlagConfig> = {}): FlagConfig => ({
  key: 'checkout',
  enabled: true,
  rules: [{ id: 'r1', rollout: { percentage, stickiness: 'userId' } }],
  ...extra,
});
const enabledFor = (f: FlagConfig, ids: readonly string[]) => {
  const snap = compileSnapshot({ revision: 1, flags: [f] });
  return ids.map((userId) => evaluate(snap, f.key, { userId }).enabled);
};
const ids = (n: number, prefix = 'user-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('rollout bucketing', () => {
  it('follows the formula of DESIGN.md on the UTF-8 bytes of "<groupId>:<id>"', () => {
    for (const userId of ['alice', 'Jürgen', 'ユーザー', '😊-42', 'x'.repeat(300)]) {
      const h = murmurhash.v3(new TextEncoder().encode(`checkout:${userId}`), 0);
      const bucket = (h % 100) * 100 + (Math.floor(h / 100) % 100);
      for (const pct of [0.01, 12.5, 33.33, 50, 99.99]) {
        expect(enabledFor(flag(pct), [userId])[0]).toBe(bucket < Math.round(pct * 100));
      }
    }
  });

  it('hashes non-ASCII ids as UTF-8, not as UTF-16 code units', () => {
    const id = 'Zoë 😊';
    const utf8 = murmurhash.v3(new TextEncoder().encode(`g:${id}`), 0);
    const latin1 = murmurhash.v3(
      Uint8Array.from(`g:${id}`, (c) => c.charCodeAt(0) & 0xff),
      0,
    );
    expect(utf8).not.toBe(latin1);
    const f: FlagConfig = { key: 'f', enabled: true, rules: [{ id: 'r', rollout: { percentage: 50, groupId: 'g' } }] };
    const snap = compileSnapshot({ revision: 1, flags: [f] });
    expect(evaluate(snap, 'f', { userId: id }).enabled).toBe(bucketOf(utf8) < 5000);
  });

  it('agrees with Unleash (h % 100 + 1 <= p) at whole percentages', () => {
    const sample = ids(20_000);
    for (const pct of [1, 10, 25, 50, 99]) {
      const ours = enabledFor(flag(pct), sample);
      sample.forEach((id, i) => {
        const h = murmurhash.v3(new TextEncoder().encode(`checkout:${id}`), 0);
        expect(ours[i]).toBe((h % 100) + 1 <= pct);
      });
    }
  });

  it('takes percentages in 0.01 steps: 0.01% is about one in ten thousand', () => {
    const sample = ids(200_000);
    const inAt001 = enabledFor(flag(0.01), sample).filter(Boolean).length;
    const inAt002 = enabledFor(flag(0.02), sample).filter(Boolean).length;
    expect(inAt001).toBeGreaterThan(5);
    expect(inAt001).toBeLessThan(45);
    expect(inAt002).toBeGreaterThan(inAt001);
    expect(enabledFor(flag(0), sample.slice(0, 10_000)).some(Boolean)).toBe(false);
    expect(enabledFor(flag(100), sample.slice(0, 10_000)).every(Boolean)).toBe(true);
  });

  it('never drops an included id when the percentage rises (100,000 ids)', () => {
    const sample = ids(100_000);
    const steps = [0.01, 0.5, 1, 1.25, 5, 12.5, 25, 33.33, 50, 75, 99.99, 100];
    let previous = enabledFor(flag(steps[0] as number), sample);
    for (const pct of steps.slice(1)) {
      const current = enabledFor(flag(pct), sample);
      const dropped = previous.filter((was, i) => was && !current[i]).length;
      expect(dropped, `dropped at ${pct}%`).toBe(0);
      previous = current;
    }
  });

  it('spreads 1,000,000 ids uniformly over 100 buckets (chi-square within the 99.9% bound)', () => {
    const counts = new Array<number>(100).fill(0);
    const n = 1_000_000;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const bucket = bucketOf(murmur3(`checkout:user-${i}`, 0));
      if (bucket < 0 || bucket >= BUCKETS) outOfRange++;
      const slot = Math.floor(bucket / 100);
      counts[slot] = (counts[slot] ?? 0) + 1;
    }
    expect(outOfRange).toBe(0);
    const expected = n / 100;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // Chi-square with 99 degrees of freedom: P(X > 148.23) = 0.001.
    expect(chi2).toBeLessThan(148.23);
  });

  it('gives each variant its weight within 1 percentage point over 100,000 ids', () => {
    const f: FlagConfig = {
      key: 'pricing',
      enabled: true,
      variants: [
        { name: 'control', weight: 500 },
        { name: 'a', weight: 300 },
        { name: 'b', weight: 150 },
        { name: 'c', weight: 50 },
      ],
    };
    const snap = compileSnapshot({ revision: 1, flags: [f] });
    const counts = new Map<string, number>();
    const sample = ids(100_000, 'acct-');
    for (const userId of sample) {
      const name = evaluate(snap, 'pricing', { userId }).variant.name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    for (const v of f.variants ?? []) {
      const share = ((counts.get(v.name) ?? 0) / sample.length) * 100;
      expect(Math.abs(share - v.weight / 10), v.name).toBeLessThan(1);
    }
  });
});
