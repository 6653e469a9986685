import type { FlagConfig } from '@switchboard/core';
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/index.ts';
import { snapshot, testOptions } from './helpers/fake-platform.ts';

const flag: FlagConfig = { key: 'new-nav', enabled: true };

describe('the localStorage cache', () => {
  it('keeps the last good view per url + key and uses it at the next load before the network answers', async () => {
    const { options, es, storage } = testOptions();
    const first = createClient(options);
    await es.latest().snapshot(snapshot(7, [flag]));
    await es.latest().patch({ revision: 8, changes: [{ op: 'flag', flag: { ...flag, enabled: false } }] });
    first.close();
    const key = `switchboard:${options.url}:sbc_test`;
    expect(JSON.parse(storage.getItem(key) as string)).toMatchObject({ revision: 8, flags: [{ key: 'new-nav', enabled: false }] });

    // The next page load: nothing from the network yet.
    const next = createClient(options);
    expect(next.status()).toMatchObject({ ready: true });
    expect(next.isEnabled('new-nav', true)).toBe(false);
    next.close();
  });

  it('prefers the newer of cache and bootstrap', async () => {
    const { options, storage } = testOptions();
    const key = `switchboard:${options.url}:sbc_test`;
    storage.setItem(key, JSON.stringify(snapshot(5, [flag])));
    const older = createClient({ ...options, bootstrap: snapshot(4, [{ ...flag, enabled: false }]) });
    expect(older.isEnabled('new-nav')).toBe(true);
    older.close();
    const newer = createClient({ ...options, bootstrap: snapshot(6, [{ ...flag, enabled: false }]) });
    expect(newer.isEnabled('new-nav')).toBe(false);
    newer.close();
  });

  it('survives corrupt entries, storage that throws, and no storage at all', async () => {
    const { options, es, storage } = testOptions();
    storage.setItem(`switchboard:${options.url}:sbc_test`, '{"revision":');
    const client = createClient(options);
    expect(client.status().ready).toBe(false);
    client.close();

    const throwing = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: vi.fn(() => {
        throw new Error('QuotaExceededError');
      }),
    };
    const blocked = createClient({ ...options, storage: throwing });
    await es.latest().snapshot(snapshot(1, [flag]));
    expect(throwing.setItem).toHaveBeenCalled();
    expect(blocked.isEnabled('new-nav')).toBe(true);
    blocked.close();

    const none = createClient({ ...options, storage: null });
    await es.latest().snapshot(snapshot(1, [flag]));
    expect(none.isEnabled('new-nav')).toBe(true);
    none.close();
  });

  it('ignores a bootstrap that is not a snapshot, and says so', async () => {
    const { options } = testOptions();
    const client = createClient({ ...options, bootstrap: { flags: 'nope' } as never });
    expect(client.status()).toMatchObject({
      ready: false,
      error: expect.objectContaining({ message: expect.stringMatching(/bootstrap/) }),
    });
    client.close();
  });
});
