import type { FlagConfig } from '@switchboard/core';
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/index.ts';
import { fakeFetch, settle, snapshot, testOptions } from './helpers/fake-platform.ts';

const split: FlagConfig = { key: 'split', enabled: true, variants: [{ name: 'a', weight: 1 }] };
const off: FlagConfig = { key: 'off', enabled: false };

describe('usage metrics', () => {
  it('counts evaluations per flag and variant and sends them once per interval for all clients of a connection', async () => {
    const http = fakeFetch(() => new Response('{"accepted":2}', { status: 202 }));
    const { options, timers } = testOptions({ fetch: http.fetch, metricsInterval: 60_000 });
    const bootstrap = snapshot(1, [split, off]);
    const a = createClient({ ...options, bootstrap });
    const b = createClient({ ...options, bootstrap });
    a.isEnabled('split');
    b.variant('split');
    a.evaluate('off');
    a.isEnabled('not-a-flag');
    a.allFlags();
    await timers.advance(60_000);
    expect(http.calls).toHaveLength(1);
    const call = http.calls[0];
    expect(call?.url).toBe(`${options.url}/api/sdk/metrics?key=sbc_test`);
    expect(call?.init).toMatchObject({ method: 'POST', keepalive: true });
    expect(JSON.parse(String(call?.init?.body))).toEqual({
      start: new Date(0).toISOString(),
      stop: new Date(60_000).toISOString(),
      flags: { split: { yes: 2, no: 0, variants: { a: 2 } }, off: { yes: 0, no: 1, variants: { disabled: 1 } } },
    });
    // Nothing counted, nothing sent; the last client to close sends what is left.
    await timers.advance(60_000);
    expect(http.calls).toHaveLength(1);
    b.isEnabled('off');
    a.close();
    await settle();
    expect(http.calls).toHaveLength(1);
    // Sent as soon as the report's code is there (loaded with the first report).
    b.close();
    await settle();
    expect(http.calls).toHaveLength(2);
    expect(timers.delays()).toEqual([]);
  });

  it('sends nothing when turned off, and never turns a failed report into an error', async () => {
    const http = fakeFetch(() => Promise.reject(new TypeError('CORS')));
    const { options, timers } = testOptions({ fetch: http.fetch, EventSource: null, metricsInterval: 0 });
    const client = createClient({ ...options, bootstrap: snapshot(1, [split]) });
    client.isEnabled('split');
    await timers.advance(120_000);
    expect(http.calls.filter((c) => c.url.includes('metrics'))).toEqual([]);
    client.close();

    const failing = testOptions({ fetch: http.fetch, metricsInterval: 1000 });
    const other = createClient({ ...failing.options, bootstrap: snapshot(1, [split]) });
    const errors: Error[] = [];
    other.on('error', (e) => errors.push(e));
    other.isEnabled('split');
    await failing.timers.advance(1000);
    expect(http.calls.some((c) => c.url.includes('metrics'))).toBe(true);
    expect(errors).toEqual([]);
    other.close();
  });
});
