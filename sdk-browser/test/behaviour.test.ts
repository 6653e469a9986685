import { type FlagConfig, SwitchboardError } from '@switchboard/core';
import { describe, expect, it } from 'vitest';
import { createClient, type Exposure } from '../src/index.ts';
import { fakeFetch, settle, snapshot, testOptions } from './helpers/fake-platform.ts';

/** Issue 13's "one behaviour": the reasons, errors, exposures, context defaults and tracking both SDKs share. */
const apps: FlagConfig = {
  key: 'mobile-only',
  enabled: true,
  rules: [
    { id: 'app', conditions: [{ attribute: 'appName', operator: 'IN', values: ['checkout-app'] }] },
    { id: 'eu', conditions: [{ attribute: 'region', operator: 'IN', values: ['eu'] }] },
  ],
};
const split: FlagConfig = {
  key: 'banner',
  enabled: true,
  rules: [
    { id: 'staff', conditions: [{ attribute: 'team', operator: 'IN', values: ['staff'] }], variants: [{ name: 'staff', weight: 1 }] },
    { id: 'everyone' },
  ],
  variants: [{ name: 'public', weight: 1, payload: { type: 'number', value: '42' } }],
};

describe('one behaviour', () => {
  it('answers NOT_READY (and the fallback) before anything is known, FLAG_NOT_FOUND after', async () => {
    const { options, es } = testOptions();
    const client = createClient(options);
    expect(client.evaluate('banner')).toMatchObject({ reason: 'NOT_READY', enabled: false, ruleId: null });
    expect(client.isEnabled('banner', true)).toBe(true);
    expect(client.jsonValue('banner', { fallback: true })).toEqual({ fallback: true });
    await es.latest().snapshot(snapshot(1, [split]));
    expect(client.evaluate('unknown')).toMatchObject({ reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' });
    expect(client.variant('banner')).toEqual({ name: 'public', enabled: true, payload: 42 });
    client.close();
  });

  it('reports errors as SwitchboardError with codes', async () => {
    const { options, es } = testOptions();
    const client = createClient(options);
    const errors: SwitchboardError[] = [];
    client.on('error', (e) => errors.push(e));
    await es.latest().snapshot('{not json');
    es.latest().fail(true);
    await settle();
    expect(errors[0]).toBeInstanceOf(SwitchboardError);
    expect(errors[0]).toMatchObject({ code: 'INVALID_DATA', fatal: false });
    // The snapshot request answered 503 (testOptions' fetch): stale, with when the next try comes.
    expect(client.status()).toMatchObject({ stale: true });
    client.close();
  });

  it('merges appName, environment and staticContext under the page context, properties key by key', () => {
    const { options } = testOptions();
    const bootstrap = snapshot(1, [apps]);
    const client = createClient({ ...options, bootstrap, appName: 'checkout-app', environment: 'production' });
    expect(client.evaluate('mobile-only').ruleId).toBe('app');
    // The page's own field wins.
    const other = createClient({ ...options, bootstrap, appName: 'checkout-app', context: { appName: 'admin' } });
    expect(other.isEnabled('mobile-only')).toBe(false);
    const regional = createClient({
      ...options,
      bootstrap,
      staticContext: { properties: { region: 'eu', tier: 'x' } },
      context: { properties: { tier: 'y' } },
    });
    expect(regional.evaluate('mobile-only').ruleId).toBe('eu');
    // A new context keeps the defaults under it.
    void regional.setContext({ properties: { region: 'us' } });
    expect(regional.isEnabled('mobile-only')).toBe(false);
    for (const c of [client, other, regional]) c.close();
  });

  it('calls onExposure once per flag and answer, again when the answer or the context changes', async () => {
    const exposures: Exposure[] = [];
    const { options, es } = testOptions({ now: () => 5000 });
    const client = createClient({
      ...options,
      appName: 'web',
      context: { userId: 'u1', properties: { team: 'staff' } },
      onExposure: (e) => exposures.push(e),
    });
    client.isEnabled('banner');
    expect(exposures).toEqual([]);
    await es.latest().snapshot(snapshot(1, [split]));
    client.isEnabled('banner');
    client.variant('banner');
    client.evaluate('banner');
    client.peek('banner');
    client.allFlags();
    expect(exposures).toEqual([
      {
        flag: 'banner',
        enabled: true,
        variant: 'staff',
        reason: 'RULE_MATCH',
        ruleId: 'staff',
        context: { appName: 'web', environment: undefined, userId: 'u1', properties: { team: 'staff' } },
        at: new Date(5000),
      },
    ]);
    await es.latest().patch({ revision: 2, changes: [{ op: 'flag', flag: { ...split, rules: [] } }] });
    client.isEnabled('banner');
    client.isEnabled('banner');
    expect(exposures.map((e) => e.variant)).toEqual(['staff', 'public']);
    await client.setContext({ userId: 'u2' });
    client.isEnabled('banner');
    expect(exposures.map((e) => e.context.userId)).toEqual(['u1', 'u1', 'u2']);
    client.close();
  });

  it('a throwing onExposure does not break evaluation', async () => {
    const { options } = testOptions();
    const client = createClient({
      ...options,
      bootstrap: snapshot(1, [split]),
      onExposure: () => {
        throw new Error('analytics down');
      },
    });
    const uncaught: unknown[] = [];
    const listener = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', listener);
    expect(client.variant('banner').name).toBe('public');
    await settle(1);
    process.off('uncaughtException', listener);
    expect(uncaught).toEqual([expect.objectContaining({ message: 'analytics down' })]);
    client.close();
  });
});

describe('track()', () => {
  const body = (init: RequestInit | undefined) => JSON.parse(String(init?.body));

  it('attributes an event to the results the context was served, aggregated, sent with the usage report', async () => {
    const http = fakeFetch(() => new Response(null, { status: 202 }));
    const { options, timers } = testOptions({ fetch: http.fetch, metricsInterval: 60_000 });
    const client = createClient({ ...options, bootstrap: snapshot(1, [split, apps]), context: { properties: { team: 'staff' } } });
    // Nothing served yet: nothing to attribute.
    client.track('checkout');
    client.isEnabled('banner');
    client.track('checkout', 30);
    client.track('checkout', 12.5);
    client.track('not a valid name');
    client.track('x'.repeat(101));
    await settle();
    await timers.advance(60_000);
    expect(http.calls).toHaveLength(1);
    expect(body(http.calls[0]?.init).metrics).toEqual([
      { name: 'checkout', flag: 'banner', enabled: true, variant: 'staff', ruleId: 'staff', count: 2, sum: 42.5 },
    ]);
    // A new context: what the former one was served no longer counts.
    await client.setContext({});
    client.track('checkout');
    client.isEnabled('mobile-only');
    client.track('signup');
    await settle();
    await timers.advance(60_000);
    expect(body(http.calls[1]?.init).metrics).toEqual([
      { name: 'signup', flag: 'mobile-only', enabled: false, variant: 'disabled', ruleId: null, count: 1, sum: 0 },
    ]);
    // Results served more than half an hour ago are not attributed.
    const late = testOptions({ fetch: http.fetch, metricsInterval: 3_600_000 });
    const slow = createClient({ ...late.options, bootstrap: snapshot(1, [split]) });
    slow.isEnabled('banner');
    await late.timers.advance(31 * 60_000);
    slow.track('late');
    await settle();
    const sent = http.calls.length;
    slow.close();
    await settle();
    expect(http.calls).toHaveLength(sent + 1);
    expect(body(http.calls.at(-1)?.init).metrics).toBeUndefined();
    client.close();
  });

  it('leaves `metrics` out when nothing was tracked, and keeps tracked events for the next report when one fails', async () => {
    const statuses = [503, 202, 202];
    const http = fakeFetch(() => new Response(null, { status: statuses.shift() ?? 202 }));
    const { options, timers } = testOptions({ fetch: http.fetch, metricsInterval: 1000 });
    const client = createClient({ ...options, bootstrap: snapshot(1, [split]) });
    client.isEnabled('banner');
    client.track('buy', 1);
    await settle();
    await timers.advance(1000);
    client.isEnabled('banner');
    client.track('buy', 2);
    await settle();
    await timers.advance(1000);
    expect(body(http.calls[1]?.init).metrics).toEqual([
      { name: 'buy', flag: 'banner', enabled: true, variant: 'public', ruleId: 'everyone', count: 2, sum: 3 },
    ]);
    client.isEnabled('banner');
    await timers.advance(1000);
    expect(body(http.calls[2]?.init)).not.toHaveProperty('metrics');
    client.close();
  });

  it('holds at most 1000 aggregates', async () => {
    const http = fakeFetch(() => new Response(null, { status: 500 }));
    const { options, timers } = testOptions({ fetch: http.fetch, metricsInterval: 1000 });
    const client = createClient({ ...options, bootstrap: snapshot(1, [split]) });
    client.isEnabled('banner');
    for (let i = 0; i < 1500; i++) client.track(`event-${i}`);
    await settle();
    await timers.advance(1000);
    await timers.advance(1000);
    expect(body(http.calls[0]?.init).metrics).toHaveLength(1000);
    expect(body(http.calls[1]?.init).metrics).toHaveLength(1000);
    client.close();
  });
});
