import type { FlagConfig } from '@switchboard/core';
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/index.ts';
import { fakeFetch, json, settle, snapshot, testOptions } from './helpers/fake-platform.ts';

const beta: FlagConfig = {
  key: 'beta',
  enabled: true,
  rules: [{ id: 'staff', conditions: [{ attribute: 'team', operator: 'IN', values: ['staff'] }] }],
};
const banner: FlagConfig = {
  key: 'banner',
  enabled: true,
  variants: [
    { name: 'red', weight: 1, payload: { type: 'string', value: '#f00' } },
    { name: 'blue', weight: 0 },
  ],
};
const everyone: FlagConfig = { key: 'everyone', enabled: true };

describe('createClient', () => {
  it('evaluates a bootstrap synchronously and says ready to listeners added afterwards', async () => {
    const { options } = testOptions();
    const client = createClient({ ...options, context: { properties: { team: 'staff' } }, bootstrap: snapshot(3, [beta, banner]) });
    const ready = vi.fn();
    client.on('ready', ready);
    expect(client.status()).toMatchObject({ ready: true, stale: false, error: null });
    expect(client.isEnabled('beta')).toBe(true);
    expect(client.variant('banner')).toEqual({ name: 'red', enabled: true, payload: '#f00' });
    expect(client.evaluate('beta')).toMatchObject({ enabled: true, reason: 'RULE_MATCH', ruleId: 'staff' });
    expect(Object.keys(client.allFlags()).sort()).toEqual(['banner', 'beta']);
    expect(client.isEnabled('unknown')).toBe(false);
    expect(client.isEnabled('unknown', true)).toBe(true);
    expect(client.evaluate('unknown')).toMatchObject({ reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' });
    await settle(1);
    expect(ready).toHaveBeenCalledTimes(1);
    client.close();
  });

  it('answers fallbacks until the first view arrives, then becomes ready from the stream', async () => {
    const { options, es } = testOptions();
    const client = createClient({ ...options, context: { properties: { team: 'staff' } } });
    expect(client.isEnabled('beta', true)).toBe(true);
    expect(client.variant('banner').name).toBe('disabled');
    expect(client.status().ready).toBe(false);
    const whenReady = client.whenReady();
    expect(es.latest().url).toBe(`${options.url}/api/client/stream?key=sbc_test`);
    es.latest().open();
    await es.latest().snapshot(snapshot(1, [beta]));
    await whenReady;
    expect(client.isEnabled('beta', false)).toBe(true);
    client.close();
  });

  it('applies only newer patches and names exactly the flags whose answer changed', async () => {
    const { options, es } = testOptions();
    const client = createClient({ ...options, context: { userId: 'u1', properties: { team: 'guests' } } });
    await es.latest().snapshot(snapshot(5, [beta, everyone, banner]));
    const changes: string[][] = [];
    client.on('change', (keys) => changes.push(keys));
    // beta gains a rule the guest does not match: the config changed, the answer did not.
    const vip = { id: 'vip', conditions: [{ attribute: 'team', operator: 'IN' as const, values: ['vip'] }] };
    await es.latest().patch({ revision: 6, changes: [{ op: 'flag', flag: { ...beta, rules: [...(beta.rules ?? []), vip] } }] });
    expect(changes).toEqual([]);
    await es.latest().patch({ revision: 7, changes: [{ op: 'flag', flag: { ...everyone, enabled: false } }] });
    expect(changes).toEqual([['everyone']]);
    expect(client.isEnabled('everyone')).toBe(false);
    // Replayed and older revisions change nothing.
    await es.latest().patch({ revision: 7, changes: [{ op: 'flag', flag: everyone }] });
    await es.latest().patch({ revision: 4, changes: [{ op: 'flag', flag: everyone }] });
    expect(client.isEnabled('everyone')).toBe(false);
    await es.latest().patch({ revision: 8, changes: [{ op: 'flag-removed', key: 'banner' }] });
    expect(changes.at(-1)).toEqual(['banner']);
    expect(client.variant('banner').name).toBe('disabled');
    client.close();
  });

  it('reports dependents of a changed flag', async () => {
    const { options, es } = testOptions();
    const child: FlagConfig = { key: 'child', enabled: true, dependencies: [{ flag: 'everyone' }] };
    const client = createClient({ ...options, context: {} });
    await es.latest().snapshot(snapshot(1, [everyone, child]));
    expect(client.isEnabled('child')).toBe(true);
    const changes: string[][] = [];
    client.on('change', (keys) => changes.push(keys));
    await es.latest().patch({ revision: 2, changes: [{ op: 'flag', flag: { ...everyone, enabled: false } }] });
    expect(changes).toEqual([['everyone', 'child']]);
    expect(client.isEnabled('child')).toBe(false);
    client.close();
  });

  it('switches context, reporting the flags whose answer moved', async () => {
    const { options, es } = testOptions();
    const client = createClient({ ...options, context: { properties: { team: 'guests' } } });
    await es.latest().snapshot(snapshot(1, [beta, everyone]));
    const changes: string[][] = [];
    client.on('change', (keys) => changes.push(keys));
    await client.setContext({ properties: { team: 'staff' } });
    expect(client.isEnabled('beta')).toBe(true);
    await client.identify({ properties: { team: 'staff' }, userId: 'someone' });
    expect(changes).toEqual([['beta']]);
    client.close();
  });

  it('keeps a random-stickiness answer until the context changes', async () => {
    let r = 0;
    const { options, es } = testOptions({ random: () => r });
    const coin: FlagConfig = { key: 'coin', enabled: true, rules: [{ id: 'half', rollout: { percentage: 50, stickiness: 'random' } }] };
    const client = createClient({ ...options });
    await es.latest().snapshot(snapshot(1, [coin, everyone]));
    const first = client.isEnabled('coin');
    r = 0.99;
    expect(client.isEnabled('coin')).toBe(first);
    // A patch to another flag leaves it alone.
    await es.latest().patch({ revision: 2, changes: [{ op: 'flag', flag: { ...everyone, enabled: false } }] });
    expect(client.isEnabled('coin')).toBe(first);
    // So does a whole new view (after a reconnect, say): every flag is evaluated again, with the same draws.
    await es.latest().snapshot(snapshot(3, [{ ...coin }, everyone]));
    expect(client.isEnabled('everyone')).toBe(true);
    expect(client.isEnabled('coin')).toBe(first);
    await client.setContext({});
    expect(client.isEnabled('coin')).toBe(!first);
    client.close();
  });

  it('stops hearing the stream when closed', async () => {
    const { options, es } = testOptions();
    const client = createClient(options);
    const change = vi.fn();
    client.on('change', change);
    await es.latest().snapshot(snapshot(1, [everyone]));
    client.close();
    expect(es.latest().readyState).toBe(2);
    await es.latest().patch({ revision: 2, changes: [{ op: 'flag', flag: { ...everyone, enabled: false } }] });
    expect(change).not.toHaveBeenCalled();
  });
});

describe('client edge cases', () => {
  it('rejects whenReady at once for a client that joins a connection whose key was refused', async () => {
    const http = fakeFetch(() => json({ code: 'UNAUTHENTICATED' }, { status: 401 }));
    const { options, es } = testOptions({ fetch: http.fetch });
    const first = createClient(options);
    const refused = first.whenReady();
    es.latest().fail(true);
    await expect(refused).rejects.toThrow(/401/);
    const second = createClient(options);
    await expect(second.whenReady()).rejects.toThrow(/401/);
    expect(second.status().error?.message).toMatch(/401/);
    second.close();
    first.close();
  });

  it('keeps random answers when another flag changes', async () => {
    let r = 0;
    const { options, es } = testOptions({ random: () => r });
    const coin: FlagConfig = { key: 'coin', enabled: true, rules: [{ id: 'half', rollout: { percentage: 50, stickiness: 'random' } }] };
    const client = createClient(options);
    await es.latest().snapshot(snapshot(1, [coin]));
    const first = client.isEnabled('coin');
    r = 0.99;
    await es.latest().snapshot(snapshot(2, [coin, everyone]));
    expect(client.isEnabled('coin')).toBe(first);
    client.close();
  });

  it('never throws on a hand-made bootstrap with holes, and knows flags named like Object.prototype members', async () => {
    const { options } = testOptions({ metricsInterval: 60_000 });
    const bootstrap = snapshot(1, [
      { key: 'holes', enabled: true, rules: [null, { id: 'r', conditions: [null, 5] }] } as unknown as FlagConfig,
      { key: 'constructor', enabled: false },
    ]);
    const client = createClient({ ...options, bootstrap });
    expect(typeof client.isEnabled('holes')).toBe('boolean');
    expect(client.isEnabled('constructor', true)).toBe(false);
    expect(client.isEnabled('toString', true)).toBe(true);
    expect(client.variant('hasOwnProperty').name).toBe('disabled');
    client.close();
  });
});
