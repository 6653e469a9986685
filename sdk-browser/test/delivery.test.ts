import type { FlagConfig } from '@switchboard/core';
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/index.ts';
import { fakeFetch, json, settle, snapshot, testOptions } from './helpers/fake-platform.ts';

const on: FlagConfig = { key: 'on', enabled: true };
const off: FlagConfig = { key: 'on', enabled: false };

describe('delivery', () => {
  it('leaves short drops to the EventSource, then polls the snapshot and retries the stream at once, then with backoff', async () => {
    const http = fakeFetch(() => json(snapshot(9, [off]), { headers: { etag: '"9"' } }));
    const { options, es, timers } = testOptions({ fetch: http.fetch });
    const client = createClient(options);
    const stale = vi.fn();
    const ready = vi.fn();
    client.on('stale', stale);
    client.on('ready', ready);
    es.latest().open();
    await es.latest().snapshot(snapshot(8, [on]));
    await settle();
    expect(ready).toHaveBeenCalledTimes(1);
    // The browser reconnects by itself (sending Last-Event-ID); the client only says the data may be old.
    es.latest().fail();
    expect(stale).toHaveBeenCalledTimes(1);
    expect(client.status().stale).toBe(true);
    expect(client.status().error).toBeNull();
    expect(stale.mock.calls[0]?.[0]).toMatchObject({ name: 'SwitchboardError', code: 'NETWORK' });
    es.latest().open();
    await settle();
    expect(client.status().stale).toBe(false);
    expect(ready).toHaveBeenCalledTimes(2);
    // Three failures with no stream healthy for 60 s between them: the stream is broken, the snapshot is polled.
    for (let i = 0; i < 3; i++) es.latest().fail();
    expect(es.latest().readyState).toBe(2);
    await settle();
    expect(http.calls).toHaveLength(1);
    expect(http.calls[0]?.url).toBe(`${options.url}/api/client/snapshot?key=sbc_test`);
    expect(new Headers(http.calls[0]?.init?.headers).get('if-none-match')).toBe('"8"');
    expect(client.isEnabled('on')).toBe(false);
    // The snapshot proves the server is back, not that live updates flow: still stale, and the
    // stream is tried again at once rather than after a backoff.
    expect(client.status().stale).toBe(true);
    expect(es.streams).toHaveLength(2);
    expect(timers.delays()).toEqual([]);
    // It fails too: the next snapshot request, and this time the stream waits for core's backoff (0.5 to 1 s).
    es.latest().fail(true);
    await settle();
    expect(http.calls).toHaveLength(2);
    const [delay] = timers.delays();
    expect(delay).toBeGreaterThanOrEqual(500);
    expect(delay).toBeLessThanOrEqual(1000);
    await timers.advance(1000);
    expect(es.streams).toHaveLength(3);
    // Healthy only once live updates flow again.
    es.latest().open();
    expect(client.status().stale).toBe(false);
    await settle();
    expect(ready).toHaveBeenCalledTimes(3);
    client.close();
  });

  it('after an outage in which the backoff grew, retries the stream as soon as a snapshot arrives', async () => {
    let up = false;
    const http = fakeFetch(() => (up ? json(snapshot(2, [off])) : Promise.reject(new TypeError('Failed to fetch'))));
    const { options, es, timers } = testOptions({ fetch: http.fetch });
    const client = createClient(options);
    es.latest().open();
    await es.latest().snapshot(snapshot(1, [on]));
    es.latest().fail(true);
    await settle();
    // Down for a while: the snapshot is asked with growing delays (0.75, 1.5, 3, 6, 12 s with random 0.5).
    await timers.advance(0.75e3 + 1.5e3 + 3e3 + 6e3);
    expect(http.calls).toHaveLength(5);
    expect(timers.delays()).toEqual([12_000]);
    up = true;
    await timers.advance(12_000);
    expect(client.isEnabled('on')).toBe(false);
    // No wait for the stream: it is opened with the snapshot's answer.
    expect(es.streams).toHaveLength(2);
    es.latest().open();
    expect(client.status()).toMatchObject({ stale: false, error: null });
    client.close();
  });

  it('polls at once when the stream is refused, and stops for good on a bad key', async () => {
    const http = fakeFetch(() => json({ code: 'UNAUTHENTICATED' }, { status: 401 }));
    const { options, es, timers } = testOptions({ fetch: http.fetch });
    const client = createClient(options);
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    const whenReady = client.whenReady();
    es.latest().fail(true);
    await expect(whenReady).rejects.toThrow(/HTTP 401/);
    expect(errors).toHaveLength(1);
    expect(client.status().error?.message).toMatch(/401/);
    expect(timers.delays()).toEqual([]);
    await timers.advance(120_000);
    expect(http.calls).toHaveLength(1);
    expect(es.streams).toHaveLength(1);
    client.close();
  });

  it('waits out Retry-After on 429 and 503, and backs off on 5xx and network errors', async () => {
    const answers = [
      () => new Response(null, { status: 429, headers: { 'retry-after': '7' } }),
      () => new Response(null, { status: 500 }),
      () => Promise.reject(new TypeError('Failed to fetch')),
      () => json(snapshot(1, [on])),
    ];
    const http = fakeFetch(() => (answers.shift() as () => Response | Promise<Response>)());
    const { options, timers } = testOptions({ fetch: http.fetch, EventSource: null, pollInterval: 60_000 });
    const client = createClient(options);
    const stale = vi.fn();
    client.on('stale', stale);
    await settle();
    expect(timers.delays()[0]).toBe(7000);
    await timers.advance(7000);
    expect(http.calls).toHaveLength(2);
    // attempt 1: 1 to 2 s (random 0.5 gives the middle)
    expect(timers.delays()[0]).toBe(1500);
    await timers.advance(1500);
    expect(timers.delays()[0]).toBe(3000);
    await timers.advance(3000);
    expect(client.isEnabled('on')).toBe(true);
    expect(stale).toHaveBeenCalledTimes(1);
    // Without EventSource, polling goes on at the configured interval.
    expect(timers.delays()).toEqual([60_000]);
    client.close();
  });

  it('sends If-None-Match when polling and keeps the flags on 304', async () => {
    const http = fakeFetch((_url, init) =>
      new Headers(init?.headers).get('if-none-match') === '"4"' ? new Response(null, { status: 304 }) : json(snapshot(4, [on])),
    );
    const { options, timers } = testOptions({ fetch: http.fetch, EventSource: null, pollInterval: 1000 });
    const client = createClient(options);
    const change = vi.fn();
    client.on('change', change);
    await settle();
    await timers.advance(1000);
    await timers.advance(1000);
    expect(http.calls.map((c) => new Headers(c.init?.headers).get('if-none-match'))).toEqual([null, '"4"', '"4"']);
    expect(client.isEnabled('on')).toBe(true);
    expect(change).not.toHaveBeenCalled();
    client.close();
  });

  it('polls when the EventSource cannot even be created', async () => {
    const http = fakeFetch(() => json(snapshot(1, [on])));
    const { options } = testOptions({
      fetch: http.fetch,
      EventSource: class {
        constructor() {
          throw new Error('Refused to connect: Content Security Policy');
        }
      } as never,
    });
    const client = createClient(options);
    await client.whenReady();
    expect(client.isEnabled('on')).toBe(true);
    client.close();
  });

  it('does not count a reconnect the server asked for as trouble', async () => {
    const { options, es, http } = testOptions();
    const client = createClient(options);
    const stale = vi.fn();
    client.on('stale', stale);
    es.latest().open();
    await es.latest().snapshot(snapshot(1, [on]));
    es.latest().reconnect();
    es.latest().fail();
    expect(stale).not.toHaveBeenCalled();
    es.latest().fail();
    expect(stale).toHaveBeenCalledTimes(1);
    expect(http.calls).toHaveLength(0);
    client.close();
  });

  it('keeps the flags held when a payload is malformed, and ignores older snapshots within a session', async () => {
    const { options, es } = testOptions();
    const client = createClient(options);
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    await es.latest().snapshot(snapshot(5, [on]));
    await es.latest().snapshot('{not json');
    await es.latest().patch({ revision: 6, changes: [{ op: 'unknown' }] });
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/Malformed snapshot/i), expect.stringMatching(/Malformed patch/i)]);
    // A replica that has not caught up yet must not take the client back.
    await es.latest().snapshot(snapshot(3, [off]));
    expect(client.isEnabled('on')).toBe(true);
    client.close();
  });

  it('never takes an older network snapshot over a cached one (a lagging replica must not take the page back)', async () => {
    const { options, es, storage } = testOptions();
    storage.setItem(`switchboard:${options.url}:sbc_test`, JSON.stringify(snapshot(50, [on])));
    const client = createClient(options);
    expect(client.isEnabled('on')).toBe(true);
    await es.latest().snapshot(snapshot(2, [off]));
    expect(client.isEnabled('on')).toBe(true);
    await es.latest().snapshot(snapshot(51, [off]));
    expect(client.isEnabled('on')).toBe(false);
    client.close();
  });
});
