import { type BrowserBootstrap, type FlagConfig, type OfrepFlagResult, toOfrepContext } from '@switchboard/core';
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/index.ts';
import { fakeFetch, json, settle, snapshot, testOptions } from './helpers/fake-platform.ts';

/**
 * Server-evaluated flags (`remote: true` in the client view) against a fake OFREP server: the
 * cases a real server cannot be made to produce on demand (answers held back, failures, races).
 * test/src/sdk-browser/ has the same against the real server in Chromium.
 */
const local: FlagConfig = { key: 'dark-mode', enabled: true };
const vip: FlagConfig = { key: 'vip-banner', enabled: true, remote: true };
const pricing: FlagConfig = { key: 'pricing', enabled: true, remote: true };

const on = (key: string, variant = 'disabled', extra: Partial<OfrepFlagResult> = {}): OfrepFlagResult => ({
  key,
  value: true,
  variant,
  reason: 'TARGETING_MATCH',
  metadata: { enabled: true, reason: 'RULE_MATCH', ruleId: 'r1' },
  ...extra,
});
const off = (key: string): OfrepFlagResult => ({
  key,
  value: false,
  variant: 'disabled',
  reason: 'DISABLED',
  metadata: { enabled: false, reason: 'NO_RULE_MATCH' },
});

/** A fake OFREP bulk endpoint: answers from `decide(context, keys)`, held until `release()` when `hold` is set. */
function ofrep(decide: (context: Record<string, unknown>, keys: string[]) => OfrepFlagResult[]) {
  const held: Array<() => void> = [];
  let hold = false;
  const bodies: Array<{ context: Record<string, unknown>; flags: string[] }> = [];
  const http = fakeFetch(async (url, init) => {
    if (!url.endsWith('/ofrep/v1/evaluate/flags')) return new Response(null, { status: 503 });
    const body = JSON.parse(String(init?.body));
    bodies.push(body);
    if (hold) await new Promise<void>((r) => held.push(r));
    return json({ flags: decide(body.context, body.flags) });
  });
  return {
    ...http,
    bodies,
    hold: () => {
      hold = true;
    },
    release: async () => {
      hold = false;
      for (const r of held.splice(0)) r();
      await settle();
    },
  };
}

const vipFor = (context: Record<string, unknown>, keys: string[]) =>
  keys.map((k) => (k === 'vip-banner' && context.targetingKey === 'u-100' ? on(k) : off(k)));

describe('server-evaluated flags', () => {
  it('evaluates local flags at once and asks the server once for all remote ones; ready when both are in', async () => {
    const server = ofrep((context, keys) =>
      keys.map((k) =>
        k === 'pricing'
          ? on(k, 'gold', {
              value: { discount: 20 },
              metadata: { enabled: true, reason: 'RULE_MATCH', ruleId: 'gold', payloadType: 'json' },
            })
          : (vipFor(context, [k])[0] as OfrepFlagResult),
      ),
    );
    server.hold();
    const { options, es } = testOptions({ fetch: server.fetch });
    const client = createClient({ ...options, context: { userId: 'u-100', properties: { plan: 'pro' } } });
    await es.latest().snapshot(snapshot(3, [local, vip, pricing]));
    expect(client.isEnabled('dark-mode')).toBe(true);
    expect(client.evaluate('vip-banner')).toMatchObject({ reason: 'NOT_READY', enabled: false });
    expect(client.isEnabled('vip-banner', true)).toBe(true);
    expect(client.status().ready).toBe(false);
    expect(server.calls).toHaveLength(1);
    const call = server.calls[0];
    expect(call?.url).toBe(`${options.url}/ofrep/v1/evaluate/flags`);
    expect(call?.init?.method).toBe('POST');
    expect(new Headers(call?.init?.headers).get('authorization')).toBe('Bearer sbc_test');
    expect(server.bodies[0]).toEqual({
      context: toOfrepContext({ userId: 'u-100', properties: { plan: 'pro' } }),
      flags: ['vip-banner', 'pricing'],
    });
    await server.release();
    expect(client.status().ready).toBe(true);
    expect(client.evaluate('vip-banner')).toEqual({
      enabled: true,
      variant: { name: 'disabled', enabled: false },
      reason: 'RULE_MATCH',
      ruleId: 'r1',
    });
    expect(client.variant('pricing')).toEqual({ name: 'gold', enabled: true, payload: { discount: 20 } });
    expect(client.jsonValue('pricing', { discount: 0 })).toEqual({ discount: 20 });
    expect(Object.keys(client.allFlags()).sort()).toEqual(['dark-mode', 'pricing', 'vip-banner']);
    client.close();
  });

  it('asks again for each new context (its promise resolves with the answers), and never evaluates a remote flag locally', async () => {
    const server = ofrep(vipFor);
    const { options, es } = testOptions({ fetch: server.fetch });
    const client = createClient({ ...options, context: { userId: 'u-200' } });
    await es.latest().snapshot(snapshot(1, [local, vip]));
    await client.whenReady();
    // `{ key, enabled: true }` without rules would be on for everyone if it were evaluated locally.
    expect(client.isEnabled('vip-banner')).toBe(false);
    const changes: string[][] = [];
    client.on('change', (keys) => changes.push(keys));
    server.hold();
    const switched = client.setContext({ userId: 'u-100' });
    let done = false;
    void switched.then(() => {
      done = true;
    });
    await settle();
    expect(done).toBe(false);
    // Until the answers for the new context are in, the last ones stand.
    expect(client.isEnabled('vip-banner')).toBe(false);
    await server.release();
    await switched;
    expect(client.isEnabled('vip-banner')).toBe(true);
    expect(changes).toEqual([['vip-banner']]);
    expect(server.bodies.map((b) => b.context.targetingKey)).toEqual(['u-200', 'u-100']);
    client.close();
  });

  it('asks again when a patch names a remote flag or a newer snapshot arrives, coalescing what arrives meanwhile', async () => {
    const server = ofrep(vipFor);
    const { options, es } = testOptions({ fetch: server.fetch });
    const client = createClient({ ...options, context: { userId: 'u-100' } });
    await es.latest().snapshot(snapshot(1, [local, vip]));
    await client.whenReady();
    expect(server.calls).toHaveLength(1);
    // A change to a local flag only: nothing to ask.
    await es.latest().patch({ revision: 2, changes: [{ op: 'flag', flag: { ...local, enabled: false } }] });
    expect(server.calls).toHaveLength(1);
    // The same snapshot again (a reconnect to a replica at the same revision): nothing to ask.
    await es.latest().snapshot(snapshot(2, [{ ...local, enabled: false }, vip]));
    expect(server.calls).toHaveLength(1);
    // The remote flag's entry looks the same, but the patch names it (a segment it uses changed).
    server.hold();
    await es.latest().patch({ revision: 3, changes: [{ op: 'flag', flag: vip }] });
    expect(server.calls).toHaveLength(2);
    // Two more changes while that request is in flight: one request after it, not two.
    await es.latest().patch({ revision: 4, changes: [{ op: 'flag', flag: vip }] });
    await es.latest().patch({ revision: 5, changes: [{ op: 'flag', flag: vip }] });
    expect(server.calls).toHaveLength(2);
    await server.release();
    await server.release();
    expect(server.calls).toHaveLength(3);
    // A newer snapshot may hide any change: asked again.
    await es.latest().snapshot(snapshot(9, [{ ...local, enabled: false }, vip]));
    expect(server.calls).toHaveLength(4);
    // A flag that becomes remote is asked for with the others.
    await es.latest().patch({ revision: 10, changes: [{ op: 'flag', flag: { ...local, remote: true } }] });
    expect(server.bodies.at(-1)?.flags).toEqual(['dark-mode', 'vip-banner']);
    client.close();
  });

  it('keeps answers in localStorage by context: the same user starts ready, another user waits, no context value is stored', async () => {
    const server = ofrep(vipFor);
    const { options, es, storage } = testOptions({ fetch: server.fetch });
    const first = createClient({ ...options, context: { userId: 'u-100', properties: { email: 'kim@acme.io' } } });
    await es.latest().snapshot(snapshot(1, [local, vip]));
    await first.whenReady();
    first.close();
    const stored = JSON.stringify([...storage.items.values()]);
    expect(stored).toContain('vip-banner');
    expect(stored).not.toContain('u-100');
    expect(stored).not.toContain('kim@acme.io');

    server.hold();
    const again = createClient({ ...options, context: { userId: 'u-100', properties: { email: 'kim@acme.io' } } });
    expect(again.status().ready).toBe(true);
    expect(again.isEnabled('vip-banner')).toBe(true);
    const other = createClient({ ...options, context: { userId: 'u-300' } });
    expect(other.status().ready).toBe(false);
    expect(other.evaluate('vip-banner').reason).toBe('NOT_READY');
    // Asked on start all the same: answers may depend on the time.
    await settle();
    expect(server.bodies.map((b) => b.context.targetingKey)).toEqual(['u-100', 'u-100', 'u-300']);
    await server.release();
    expect(other.status().ready).toBe(true);
    expect(other.isEnabled('vip-banner')).toBe(false);
    // Switching to a context seen before: its answers at once, asked again all the same.
    server.hold();
    const switched = other.setContext({ userId: 'u-100', properties: { email: 'kim@acme.io' } });
    expect(other.isEnabled('vip-banner')).toBe(true);
    await server.release();
    await switched;
    expect(server.bodies.at(-1)?.context.targetingKey).toBe('u-100');
    again.close();
    other.close();
  });

  it('takes a BrowserBootstrap whole when its context is the page context: ready at once, nothing asked on start', async () => {
    const server = ofrep(vipFor);
    const { options, es } = testOptions({ fetch: server.fetch });
    const bootstrap: BrowserBootstrap = { snapshot: snapshot(4, [local, vip]), context: { userId: 'u-100' }, results: [on('vip-banner')] };
    const client = createClient({ ...options, context: { userId: 'u-100' }, bootstrap });
    expect(client.status().ready).toBe(true);
    expect(client.isEnabled('vip-banner')).toBe(true);
    await es.latest().snapshot(snapshot(4, [local, vip]));
    expect(server.calls).toHaveLength(0);
    // Another user's page must not show the bootstrap's answers.
    const other = createClient({ ...options, context: { userId: 'u-200' }, bootstrap });
    expect(other.evaluate('vip-banner').reason).toBe('NOT_READY');
    await settle();
    expect(server.bodies.map((b) => b.context.targetingKey)).toEqual(['u-200']);
    client.close();
    other.close();
  });

  it('retries a failed request with backoff, and stops (fatal, whenReady rejects) on a refused key', async () => {
    const statuses = [503, 200];
    const http = fakeFetch(async (url, init) =>
      url.includes('/ofrep/')
        ? (statuses.shift() ?? 200) === 200
          ? json({ flags: vipFor(JSON.parse(String(init?.body)).context, ['vip-banner']) })
          : new Response(null, { status: 503 })
        : new Response(null, { status: 503 }),
    );
    const { options, es, timers } = testOptions({ fetch: http.fetch });
    const client = createClient({ ...options, context: { userId: 'u-100' } });
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    await es.latest().snapshot(snapshot(1, [vip]));
    await settle();
    expect(errors).toEqual([expect.objectContaining({ code: 'HTTP_STATUS', status: 503, fatal: false, retryInMs: 750 })]);
    expect(client.status().ready).toBe(false);
    await timers.advance(750);
    expect(client.isEnabled('vip-banner')).toBe(true);
    expect(client.status().ready).toBe(true);
    client.close();

    const refused = fakeFetch(async () => json({ errorCode: 'GENERAL' }, { status: 401 }));
    const bad = testOptions({ fetch: refused.fetch });
    const badClient = createClient(bad.options);
    const whenReady = badClient.whenReady();
    await bad.es.latest().snapshot(snapshot(1, [vip]));
    await expect(whenReady).rejects.toMatchObject({ code: 'HTTP_STATUS', status: 401, fatal: true });
    await bad.timers.advance(120_000);
    expect(refused.calls).toHaveLength(1);
    badClient.close();
  });

  it('answers FLAG_NOT_FOUND for a remote flag the server leaves out, and ignores answers for another context', async () => {
    const server = ofrep((context, keys) => (context.targetingKey === 'late' ? keys.map((k) => on(k)) : []));
    server.hold();
    const { options, es } = testOptions({ fetch: server.fetch });
    const client = createClient({ ...options, context: { userId: 'late' } });
    await es.latest().snapshot(snapshot(1, [vip]));
    const switched = client.setContext({ userId: 'now' });
    await server.release();
    await server.release();
    await switched;
    // The answer for `late` arrived after the switch: not taken.
    expect(server.bodies.map((b) => b.context.targetingKey)).toEqual(['late', 'now']);
    expect(client.evaluate('vip-banner')).toMatchObject({ reason: 'FLAG_NOT_FOUND' });
    expect(client.isEnabled('vip-banner', true)).toBe(true);
    expect(client.status().ready).toBe(true);
    client.close();
  });

  it('offline: serves the bootstrap, answers included, with no request of any kind', async () => {
    const http = fakeFetch(() => new Response(null, { status: 500 }));
    const EventSource = vi.fn();
    const client = createClient({
      offline: true,
      fetch: http.fetch,
      EventSource: EventSource as never,
      metricsInterval: 10,
      bootstrap: { snapshot: snapshot(1, [local, vip, pricing]), context: { userId: 'someone' }, results: [on('vip-banner')] },
    });
    expect(client.status()).toMatchObject({ ready: true, stale: false, error: null });
    expect(client.isEnabled('dark-mode')).toBe(true);
    expect(client.isEnabled('vip-banner')).toBe(true);
    expect(client.evaluate('pricing').reason).toBe('FLAG_NOT_FOUND');
    client.track('checkout');
    await client.setContext({ userId: 'another' });
    await new Promise((r) => setTimeout(r, 30));
    expect(http.calls).toEqual([]);
    expect(EventSource).not.toHaveBeenCalled();
    client.close();
  });
});
