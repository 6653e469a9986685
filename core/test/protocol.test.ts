import { describe, expect, it } from 'vitest';
import {
  applyPatch,
  backoffDelay,
  changedFlagKeys,
  parsePatch,
  parseSnapshot,
  retryPolicyFor,
  type SnapshotPayload,
} from '../src/index.ts';

const base: SnapshotPayload = {
  environment: 'production',
  revision: 5,
  flags: [
    { key: 'a', enabled: true },
    { key: 'b', enabled: false, rules: [{ id: 'r', segments: ['beta'] }] },
  ],
  segments: [{ key: 'beta', conditions: [] }],
};

describe('protocol', () => {
  it('rejects a malformed payload whole', () => {
    expect(parseSnapshot(base)).toBe(base);
    expect(parseSnapshot({ ...base, revision: -1 })).toBeNull();
    expect(parseSnapshot({ ...base, flags: [{ key: 'a', enabled: 'yes' }] })).toBeNull();
    expect(parseSnapshot({ ...base, segments: [{ key: 1 }] })).toBeNull();
    expect(parseSnapshot('nope')).toBeNull();
    expect(parsePatch({ revision: 6, changes: [{ op: 'flag', flag: { key: 'a', enabled: false } }] })).not.toBeNull();
    expect(parsePatch({ revision: 6, changes: [{ op: 'flag', flag: { key: 'a', enabled: false } }, { op: 'explode' }] })).toBeNull();
  });

  it('applies only newer revisions and never mutates what it was given', () => {
    const next = applyPatch(base, {
      revision: 6,
      changes: [
        { op: 'flag', flag: { key: 'a', enabled: false } },
        { op: 'flag-removed', key: 'b' },
      ],
    });
    expect(next?.revision).toBe(6);
    expect(next?.flags).toEqual([{ key: 'a', enabled: false }]);
    expect(base.flags).toHaveLength(2);
    expect(applyPatch(base, { revision: 5, changes: [] })).toBeNull();
    expect(applyPatch(base, { revision: 4, changes: [] })).toBeNull();
  });

  it('names the flags a change touches, including through segments', () => {
    const next = applyPatch(base, {
      revision: 6,
      changes: [{ op: 'segment', segment: { key: 'beta', conditions: [{ attribute: 'x', operator: 'IN', values: ['1'] }] } }],
    });
    expect(next && changedFlagKeys(base, next)).toEqual(['b']);
    expect(changedFlagKeys(null, base)).toEqual(['a', 'b']);
  });

  it('backs off exponentially with jitter, capped at 30 s', () => {
    expect(backoffDelay(0, { random: () => 1 })).toBe(1000);
    expect(backoffDelay(0, { random: () => 0 })).toBe(500);
    expect(backoffDelay(3, { random: () => 1 })).toBe(8000);
    expect(backoffDelay(10, { random: () => 1 })).toBe(30_000);
    expect(backoffDelay(50, { random: () => 0 })).toBe(15_000);
    expect([401, 403, 404].map(retryPolicyFor)).toEqual(['fatal', 'fatal', 'fatal']);
    expect([408, 429, 500, 503].map(retryPolicyFor)).toEqual(['retry', 'retry', 'retry', 'retry']);
  });
});
