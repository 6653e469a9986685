import { describe, expect, it } from 'vitest';
import { shareOf, shareRange } from '../src/features/ramps/guard-evaluator.ts';

describe('guard allocation', () => {
  it("reads the rule's share from a config version: its rollout, 100% without one, 0 when off or gone", () => {
    const config = { rules: [{ id: 'a', conditions: [] }, { id: 'main', rollout: { percentage: 12.5 } }, { id: 'all' }] };
    expect(shareOf({ enabled: true, config }, 'main')).toBe(0.125);
    expect(shareOf({ enabled: true, config }, 'all')).toBe(1);
    expect(shareOf({ enabled: false, config }, 'main')).toBe(0);
    expect(shareOf({ enabled: true, config }, 'gone')).toBe(0);
  });

  it('gives the range of shares in force over a span', () => {
    const changes = [
      { at: 0, share: 0.1 },
      { at: 30, share: 0.5 },
      { at: 90, share: 0.2 },
    ];
    expect(shareRange(changes, 0, 60)).toEqual([0.1, 0.5]);
    expect(shareRange(changes, 30, 60)).toEqual([0.5, 0.5]);
    expect(shareRange(changes, 60, 120)).toEqual([0.2, 0.5]);
    // Before the first version the rule did not exist.
    expect(shareRange([{ at: 30, share: 1 }], 0, 60)).toEqual([0, 1]);
  });
});
