import type { FlagConfig } from '@switchboard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, Reason, type SwitchboardClient, type SwitchboardError, SwitchboardErrorCode } from '../src/index.ts';
import { FLAG_OFF, FLAG_ON, memoryLogger, snapshot } from './support/fixtures.ts';

const CHECKOUT: FlagConfig = {
  key: 'checkout',
  enabled: true,
  rules: [
    { id: 'staff', conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.io'] }] },
    { id: 'beta', conditions: [{ attribute: 'plan', operator: 'IN', values: ['beta'] }], variants: [{ name: 'blue', weight: 1 }] },
  ],
  variants: [
    { name: 'red', weight: 1, payload: { type: 'string', value: '#f00' } },
    { name: 'green', weight: 1, payload: { type: 'string', value: '#0f0' } },
  ],
};
const COIN: FlagConfig = { key: 'coin', enabled: true, rules: [{ id: 'half', rollout: { percentage: 50, stickiness: 'random' } }] };

describe('evaluation through the client', () => {
  const clients: SwitchboardClient[] = [];
  const make = (options: Parameters<typeof createClient>[0]) => {
    const c = createClient({ logger: memoryLogger(), ...options });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('answers isEnabled, variant, evaluate and allFlags from the snapshot, with reasons and rules', () => {
    const client = make({ offline: true, bootstrap: snapshot(3, [FLAG_ON, FLAG_OFF, CHECKOUT]) });
    expect(client.isEnabled('checkout', { properties: { email: 'kim@acme.io' } })).toBe(true);
    expect(client.isEnabled('checkout', { userId: 'u1' })).toBe(false);
    expect(client.evaluate('checkout', { properties: { email: 'kim@acme.io' } })).toMatchObject({
      enabled: true,
      reason: Reason.RuleMatch,
      ruleId: 'staff',
    });
    expect(client.evaluate('checkout', { userId: 'u1' })).toMatchObject({ enabled: false, reason: Reason.NoRuleMatch, ruleId: null });
    expect(client.variant('checkout', { properties: { plan: 'beta' } })).toEqual({ name: 'blue', enabled: true });
    expect(['red', 'green']).toContain(client.variant('checkout', { userId: 'u7', properties: { email: 'u7@acme.io' } }).name);
    expect(client.variant('off', {})).toEqual({ name: 'disabled', enabled: false });
    expect(client.variant('off', {}, { name: 'control', enabled: true })).toEqual({ name: 'control', enabled: true });
    expect(client.evaluate('missing', {})).toMatchObject({ enabled: false, reason: Reason.NotFound, errorCode: 'FLAG_NOT_FOUND' });
    expect(client.isEnabled('missing', {}, true)).toBe(true);
    const all = client.allFlags({ properties: { email: 'kim@acme.io' } });
    expect(Object.keys(all).sort()).toEqual(['checkout', 'off', 'on']);
    expect(all.checkout?.enabled).toBe(true);
  });

  it('sticks: the same user gets the same variant every time, and the context is per call', () => {
    const client = make({ offline: true, bootstrap: snapshot(1, [CHECKOUT]) });
    const ctx = { userId: 'user-42', email: 'x@acme.io' };
    const first = client.variant('checkout', ctx).name;
    for (let i = 0; i < 50; i++) expect(client.variant('checkout', ctx).name).toBe(first);
    const names = new Set(
      Array.from({ length: 200 }, (_, i) => client.variant('checkout', { userId: `u${i}`, properties: { email: 'x@acme.io' } }).name),
    );
    expect(names).toEqual(new Set(['red', 'green']));
  });

  it('uses the random option for random stickiness', () => {
    let r = 0;
    const client = make({ offline: true, bootstrap: snapshot(1, [COIN]), random: () => r });
    r = 0.1;
    expect(client.isEnabled('coin', {})).toBe(true);
    r = 0.9;
    expect(client.isEnabled('coin', {})).toBe(false);
  });

  it('before any data: the fallback, reason NOT_READY, a warning logged once', async () => {
    const logger = memoryLogger();
    const client = make({ offline: true, logger });
    expect(client.isEnabled('on', {}, true)).toBe(true);
    expect(client.isEnabled('on', {})).toBe(false);
    expect(client.evaluate('on', {})).toMatchObject({ enabled: false, reason: Reason.NotReady });
    expect(client.variant('on', {})).toEqual({ name: 'disabled', enabled: false });
    expect(client.allFlags({})).toEqual({});
    expect(logger.at('warn').filter((m) => m.includes('NOT_READY'))).toHaveLength(1);
    expect(client.isReady).toBe(false);
    expect(await client.ready({ timeoutMs: 50 })).toBe(false);
  });

  it('never throws into the caller, whatever it is given', () => {
    const client = make({ offline: true, bootstrap: snapshot(1, [CHECKOUT, FLAG_ON]) });
    const hostile = [undefined, null, 42, 'text', [], { userId: { nested: true } }, { properties: 'nope' }, { currentTime: 'not a date' }];
    for (const ctx of hostile) {
      expect(() => client.isEnabled('checkout', ctx as never)).not.toThrow();
      expect(() => client.variant('checkout', ctx as never)).not.toThrow();
      expect(() => client.evaluate(undefined as never, ctx as never)).not.toThrow();
      expect(() => client.allFlags(ctx as never)).not.toThrow();
    }
    const withGetter = Object.defineProperty({}, 'userId', {
      get() {
        throw new Error('boom');
      },
    });
    expect(client.isEnabled('on', withGetter, true)).toBe(true);
  });

  it('survives throwing and rejecting listeners and exposure callbacks: no crash, no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const logger = memoryLogger();
      let heard = false;
      // A bootstrap file: data arrives after the listeners are attached, so 'ready' reaches them.
      const fileClient = make({
        offline: true,
        bootstrap: '/bootstrap.json',
        fileSystem: {
          readFile: async () => JSON.stringify(snapshot(1, [FLAG_ON])),
          writeFile: async () => {},
          rename: async () => {},
          unlink: async () => {},
        },
        logger,
        onExposure: () => {
          throw new Error('sync exposure bug');
        },
      });
      fileClient.on('ready', () => {
        throw new Error('listener bug');
      });
      fileClient.on('ready', async () => {
        throw new Error('async listener bug');
      });
      fileClient.on('ready', () => {
        heard = true;
      });
      expect(await fileClient.ready({ timeoutMs: 1000 })).toBe(true);
      expect(fileClient.isEnabled('on', { userId: 'u' })).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
      expect(heard).toBe(true);
      expect(unhandled).toEqual([]);
      expect(logger.at('error').length).toBeGreaterThanOrEqual(3);
      const asyncExposures = make({
        offline: true,
        bootstrap: snapshot(1, [FLAG_ON]),
        logger,
        onExposure: async () => {
          throw new Error('exposure sink down');
        },
      });
      expect(asyncExposures.isEnabled('on', { userId: 'u' })).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('does not throw on bad options: reports a fatal configuration error and serves what it has', async () => {
    const errors: SwitchboardError[] = [];
    const logger = memoryLogger();
    const client = make({ url: 'not a url', sdkKey: 'k', logger, bootstrap: snapshot(1, [FLAG_ON]), pollIntervalMs: -5 });
    client.on('error', (e) => errors.push(e));
    await new Promise((r) => setTimeout(r, 10));
    expect(errors).toMatchObject([{ code: SwitchboardErrorCode.Configuration, fatal: true }]);
    expect(client.isEnabled('on', {})).toBe(true);
    expect(logger.at('warn').some((m) => m.includes('pollIntervalMs'))).toBe(true);

    const bare = make({} as never);
    expect(await bare.ready({ timeoutMs: 1000 })).toBe(false);
    expect(bare.fatal?.code).toBe(SwitchboardErrorCode.Configuration);
  });
});
