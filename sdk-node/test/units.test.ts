import { compileSnapshot } from '@switchboard/core';
import { describe, expect, it } from 'vitest';
import { EventSizeGuard } from '../src/event-size-guard.ts';
import { FlagTable } from '../src/flag-table.ts';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../src/retry-after.ts';
import { UsageCounter } from '../src/usage-counter.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('EventSizeGuard', () => {
  it('bounds the bytes since the last blank line, across chunks and line endings', () => {
    const guard = new EventSizeGuard(10);
    expect(guard.accept(bytes('data: 12345'))).toBe(false);
    const g2 = new EventSizeGuard(12);
    expect(g2.accept(bytes('data: 1\n'))).toBe(true);
    expect(g2.accept(bytes('\ndata: 123'))).toBe(true);
    expect(g2.accept(bytes('4\n'))).toBe(true);
    expect(g2.accept(bytes('\r\n\r\n'))).toBe(true);
    expect(g2.accept(bytes('data: 12\r\r'))).toBe(true);
    expect(g2.accept(bytes('x'.repeat(12)))).toBe(true);
    expect(g2.accept(bytes('x'))).toBe(false);
  });

  it('counts heartbeats as event ends, so a quiet stream never grows toward the bound', () => {
    const guard = new EventSizeGuard(8);
    for (let i = 0; i < 1000; i++) expect(guard.accept(bytes(':\n\n'))).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and caps what it is told', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Mon, 31 Dec 2029 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('99999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});

describe('FlagTable', () => {
  const table = (...keys: string[]) =>
    new FlagTable(compileSnapshot({ revision: 1, flags: keys.map((key) => ({ key, enabled: true })) }), null);

  it('finds each flag, whatever the order of the calls, and nothing for other keys', () => {
    const t = table('a', 'b', '');
    const [a, b, empty] = ['a', 'b', ''].map((key) => t.find(key));
    expect(t.flags[a ?? -1]).toBe(t.snapshot.flags.get('a'));
    expect(t.flags[b ?? -1]).toBe(t.snapshot.flags.get('b'));
    expect(t.flags[empty ?? -1]).toBe(t.snapshot.flags.get(''));
    for (const key of ['a', 'a', 'zz', 'b', 'a', 'b', '', 'zz', '', 'a']) {
      expect(t.find(key)).toBe(key === 'zz' ? -1 : { a, b, '': empty }[key]);
    }
    // Keys built at run time (not the interned copies) find the same entries.
    expect(t.find(['a', 'b'].join('').slice(0, 1))).toBe(a);
    expect(table().find('')).toBe(-1);
  });

  it("uses the usage counter's slots, which a key keeps across snapshots", () => {
    const counter = new UsageCounter({ maxFlags: 10, maxVariantsPerFlag: 50 }, () => 0);
    const snapshot = (...keys: string[]) => compileSnapshot({ revision: 1, flags: keys.map((key) => ({ key, enabled: true })) });
    const t1 = new FlagTable(snapshot('a', 'b', 'c'), counter);
    const t2 = new FlagTable(snapshot('c', 'd', 'a'), counter);
    expect(t2.find('a')).toBe(t1.find('a'));
    expect(t2.find('c')).toBe(t1.find('c'));
    for (const key of ['a', 'c', 'd']) expect(t2.flags[t2.find(key)]).toBe(t2.snapshot.flags.get(key));
  });
});

describe('UsageCounter', () => {
  const variant = (name: string) => ({ name, enabled: true });
  const NONE = { name: 'disabled', enabled: false };

  it('counts within the server bounds: names, counts and variants per flag', () => {
    const counter = new UsageCounter({ maxFlags: 10, maxVariantsPerFlag: 2 }, () => 0);
    for (const v of ['a', 'b', 'c', 'a']) counter.count('f', true, variant(v));
    counter.count('', true, NONE);
    counter.count('x'.repeat(101), true, NONE);
    counter.count('g', true, variant('v'.repeat(101)));
    const report = counter.take();
    expect(report?.flags).toEqual({ f: { yes: 4, no: 0, variants: { a: 2, b: 1 } }, g: { yes: 1, no: 0, variants: {} } });
    expect(counter.dropped).toBe(4);
    expect(counter.take()).toBeNull();
  });

  it('merges a report back, saturating at the largest count the server takes', () => {
    const counter = new UsageCounter({ maxFlags: 10, maxVariantsPerFlag: 50 }, () => 0);
    counter.restore({ start: new Date(0).toISOString(), stop: new Date(0).toISOString(), flags: { f: { yes: 999_999_999, no: 0 } } });
    counter.count('f', true, NONE);
    counter.count('f', true, NONE);
    expect(counter.take()?.flags.f?.yes).toBe(1_000_000_000);
  });

  it('counts into the slots the flag table holds, across snapshot swaps, within the same limits', () => {
    const counter = new UsageCounter({ maxFlags: 2, maxVariantsPerFlag: 50 }, () => 0);
    const [a = -1, b = -1, c = -1] = counter.hold(['a', 'b', 'c']);
    counter.countSlot(a, true, NONE);
    counter.countSlot(c, false, NONE);
    counter.countSlot(b, true, NONE);
    counter.count('a', true, variant('x'));
    // A new snapshot without `c`, and with `d`: the held keys keep their slots.
    const [a2 = -1, d = -1] = counter.hold(['a', 'd']);
    expect(a2).toBe(a);
    counter.countSlot(a2, false, NONE);
    counter.countSlot(d, true, NONE);
    expect(counter.take()?.flags).toEqual({ a: { yes: 2, no: 1, variants: { x: 1 } }, c: { yes: 0, no: 1 } });
    expect(counter.dropped).toBe(2);
    // Reset in place: the table keeps counting into the same slots; `c`, no longer held, is forgotten.
    counter.countSlot(a, true, NONE);
    counter.countSlot(d, false, NONE);
    counter.count('c', true, NONE);
    expect(counter.take()?.flags).toEqual({ a: { yes: 1, no: 0 }, d: { yes: 0, no: 1 } });
    expect(counter.dropped).toBe(3);
    // `c` comes back with nothing carried over from before.
    const [, c2 = -1] = counter.hold(['a', 'c']);
    counter.countSlot(c2, true, NONE);
    expect(counter.take()?.flags).toEqual({ c: { yes: 1, no: 0 } });
  });

  it('grows past its first slots and reuses freed ones, keeping every count', () => {
    const counter = new UsageCounter({ maxFlags: 1000, maxVariantsPerFlag: 50 }, () => 0);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    const slots = counter.hold(keys);
    slots.forEach((slot, i) => {
      for (let n = 0; n <= i; n++) counter.countSlot(slot, n % 2 === 0, NONE);
    });
    for (let i = 0; i < 50; i++) counter.count(`unknown-${i}`, false, NONE);
    const flags = counter.take()?.flags ?? {};
    expect(Object.keys(flags)).toHaveLength(150);
    expect(flags.k99).toEqual({ yes: 50, no: 50 });
    expect(flags.k0).toEqual({ yes: 1, no: 0 });
    expect(flags['unknown-49']).toEqual({ yes: 0, no: 1 });
    counter.hold(['k1']);
    expect(counter.hold(['k1', 'new'])).toHaveLength(2);
    expect(counter.take()).toBeNull();
  });

  it('merges a failed report back into the slots the flag table holds', () => {
    const counter = new UsageCounter({ maxFlags: 10, maxVariantsPerFlag: 50 }, () => 0);
    const [a = -1] = counter.hold(['a']);
    counter.countSlot(a, true, NONE);
    const report = counter.take();
    if (report === null) throw new Error('a report was expected');
    counter.countSlot(a, false, NONE);
    counter.restore(report);
    counter.countSlot(a, true, NONE);
    expect(counter.take()?.flags).toEqual({ a: { yes: 2, no: 1 } });
  });
});
