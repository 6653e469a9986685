import { describe, expect, it } from 'vitest';
import { TrackingAggregator } from '../src/tracking.ts';

const ON = { enabled: true, variant: 'b', ruleId: 'r1' };
const OFF = { enabled: false, variant: 'disabled', ruleId: null };

describe('TrackingAggregator', () => {
  it('attributes an event to every flag result the sticky id was served, summing values per row', () => {
    const t = new TrackingAggregator();
    t.remember('u1', 'checkout', ON);
    t.remember('u1', 'banner', OFF);
    t.remember('u2', 'checkout', OFF);
    expect(t.track('purchase', 'u1', 10)).toBe(2);
    t.track('purchase', 'u1', 5);
    t.track('purchase', 'u2', Number.NaN);
    expect(t.track('purchase', 'nobody')).toBe(0);
    expect(t.track('purchase', undefined)).toBe(0);
    expect(t.take()).toEqual([
      { name: 'purchase', flag: 'checkout', enabled: true, variant: 'b', ruleId: 'r1', count: 2, sum: 15 },
      { name: 'purchase', flag: 'banner', enabled: false, variant: 'disabled', ruleId: null, count: 2, sum: 15 },
      { name: 'purchase', flag: 'checkout', enabled: false, variant: 'disabled', ruleId: null, count: 1, sum: 0 },
    ]);
    expect(t.take()).toEqual([]);
  });

  it('keeps the latest result per flag, and rejects names the server would', () => {
    const t = new TrackingAggregator();
    t.remember('u1', 'checkout', OFF);
    t.remember('u1', 'checkout', ON);
    expect(t.track('bad name!', 'u1')).toBe(0);
    expect(t.track('x'.repeat(101), 'u1')).toBe(0);
    expect(t.dropped).toBe(2);
    t.track('signup', 'u1');
    expect(t.take()).toEqual([{ name: 'signup', flag: 'checkout', enabled: true, variant: 'b', ruleId: 'r1', count: 1, sum: 0 }]);
  });

  it('forgets the least recently served sticky ids past the cap, and the oldest flags per id', () => {
    const t = new TrackingAggregator({ maxContexts: 2, maxFlagsPerContext: 2 });
    t.remember('u1', 'a', ON);
    t.remember('u2', 'a', ON);
    t.remember('u1', 'b', ON); // u1 is now the most recent
    t.remember('u3', 'a', ON); // u2 goes
    expect(t.track('e', 'u2')).toBe(0);
    expect(t.track('e', 'u1')).toBe(2);
    t.remember('u1', 'c', ON); // a goes for u1
    t.take();
    t.track('e', 'u1');
    expect(t.take().map((r) => r.flag)).toEqual(['b', 'c']);
  });

  it('caps the rows, and merges rows put back after a failed send into the next report within the cap', () => {
    const t = new TrackingAggregator({ maxRows: 2 });
    t.remember('u1', 'a', ON);
    t.track('e1', 'u1', 1);
    const failed = t.take();
    t.track('e1', 'u1', 2);
    t.track('e2', 'u1');
    t.track('e3', 'u1'); // past the cap
    expect(t.dropped).toBe(1);
    t.restore(failed);
    expect(t.take()).toEqual([
      { name: 'e1', flag: 'a', enabled: true, variant: 'b', ruleId: 'r1', count: 2, sum: 3 },
      { name: 'e2', flag: 'a', enabled: true, variant: 'b', ruleId: 'r1', count: 1, sum: 0 },
    ]);
  });
});
