import type { FlagConfig } from '@switchboard/core';
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/index.ts';
import { snapshot, testOptions } from './helpers/fake-platform.ts';

const admins: FlagConfig = {
  key: 'admin-panel',
  enabled: true,
  rules: [{ id: 'admins', conditions: [{ attribute: 'role', operator: 'IN', values: ['admin'] }] }],
};

describe('shared connections', () => {
  it('gives clients of one url + key one stream, each with its own context, closed by the last to leave', async () => {
    const { options, es } = testOptions();
    const admin = createClient({ ...options, context: { properties: { role: 'admin' } } });
    const guest = createClient({ ...options, context: { properties: { role: 'guest' } } });
    expect(es.streams).toHaveLength(1);
    await es.latest().snapshot(snapshot(1, [admins]));
    expect(admin.isEnabled('admin-panel')).toBe(true);
    expect(guest.isEnabled('admin-panel')).toBe(false);
    const adminChange = vi.fn();
    const guestChange = vi.fn();
    admin.on('change', adminChange);
    guest.on('change', guestChange);
    await es.latest().patch({ revision: 2, changes: [{ op: 'flag', flag: { ...admins, enabled: false } }] });
    expect(adminChange).toHaveBeenCalledWith(['admin-panel']);
    // The guest's answer did not move.
    expect(guestChange).not.toHaveBeenCalled();

    // A client joining later has the current view at once.
    const late = createClient({ ...options, context: { properties: { role: 'admin' } } });
    expect(late.status().ready).toBe(true);
    expect(late.isEnabled('admin-panel', true)).toBe(false);

    admin.close();
    guest.close();
    expect(es.latest().readyState).not.toBe(2);
    late.close();
    expect(es.latest().readyState).toBe(2);
    // After the last one left, a new client opens a new stream.
    const again = createClient(options);
    expect(es.streams).toHaveLength(2);
    again.close();
  });

  it('keeps separate streams for separate keys or servers', async () => {
    const { options, es } = testOptions();
    const a = createClient(options);
    const b = createClient({ ...options, clientKey: 'sbc_other' });
    const c = createClient({ ...options, url: `${options.url}/` });
    // A trailing slash names the same server.
    expect(es.streams.map((s) => s.url)).toEqual([
      `${options.url}/api/client/stream?key=sbc_test`,
      `${options.url}/api/client/stream?key=sbc_other`,
    ]);
    for (const client of [a, b, c]) client.close();
  });

  it('takes a bootstrap newer than what the shared connection holds', async () => {
    const { options, es } = testOptions();
    const first = createClient(options);
    await es.latest().snapshot(snapshot(3, [{ ...admins, enabled: false }]));
    const second = createClient({ ...options, context: { properties: { role: 'admin' } }, bootstrap: snapshot(4, [admins]) });
    expect(second.isEnabled('admin-panel')).toBe(true);
    const third = createClient({
      ...options,
      context: { properties: { role: 'admin' } },
      bootstrap: snapshot(2, [{ ...admins, enabled: false }]),
    });
    expect(third.isEnabled('admin-panel')).toBe(true);
    for (const client of [first, second, third]) client.close();
  });
});
