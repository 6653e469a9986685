import { type Client, createClient } from '@switchboard/sdk-browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { NodeEventSource } from './node-event-source.ts';
import { BETA, type Seeded, seed, VISIBLE } from './seed.ts';

if (!DATABASE_URL) console.warn('\n*** DATABASE_URL is not set: the browser SDK tests against a real server are SKIPPED. ***\n');

const waitFor = async (check: () => boolean, timeoutMs = 3000) => {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.skipIf(!DATABASE_URL)('browser SDK against a real server (Node, injected platform)', () => {
  let server: TestServer;
  let s: Seeded;
  const clients: Client[] = [];
  const client = (options: Partial<Parameters<typeof createClient>[0]> = {}) => {
    const c = createClient({
      url: server.url,
      clientKey: s.clientKey,
      storage: null,
      EventSource: NodeEventSource,
      metricsInterval: 0,
      ...options,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startTestServer({ env: { USAGE_FLUSH_MS: '200', DELIVERY_CHECK_MS: '500' } });
    s = await seed(server);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
  });

  it('gets the answers for flags with sensitive conditions from the server (OFREP), over one shared stream', async () => {
    const cfo = client({ context: { properties: { email: 'cfo@acme.io' } } });
    const kim = client({ context: { properties: { email: 'kim.secret@example.org' } } });
    const intern = client({ context: { properties: { email: 'intern@acme.io' } } });
    await Promise.all([cfo.whenReady(), kim.whenReady(), intern.whenReady()]);
    expect(cfo.evaluate(VISIBLE)).toMatchObject({ enabled: true, ruleId: 'execs' });
    expect(kim.evaluate(VISIBLE)).toMatchObject({ enabled: true, ruleId: 'kim' });
    expect(intern.isEnabled(VISIBLE)).toBe(false);
    expect(Object.keys(intern.allFlags()).sort()).toEqual([BETA, VISIBLE]);
    const metrics = (await server.request('GET', '/metrics')).text;
    expect(metrics).toMatch(/switchboard_connected_streams\{kind="client"\} 1\b/);
    await intern.setContext({ properties: { email: 'intern@acme.io', plan: 'beta' } });
    expect(intern.evaluate(VISIBLE).ruleId).toBe('beta');
  });

  it('hears a change made through the admin API within a second, on the stream and by polling', async () => {
    const streamed = client({ context: { properties: { email: 'ceo@acme.io' } } });
    // A key of its own, so that it does not share the streamed client's connection.
    const pollKey = (await s.admin('POST', '/keys', { name: 'web-poll', environment: 'production', kind: 'client' })).body.secret;
    const polled = client({ EventSource: null, pollInterval: 100, clientKey: pollKey, context: { properties: { email: 'ceo@acme.io' } } });
    await Promise.all([streamed.whenReady(), polled.whenReady()]);
    expect(streamed.isEnabled(VISIBLE)).toBe(true);
    const changed: string[][] = [];
    streamed.on('change', (keys) => changed.push(keys));
    const started = Date.now();
    await s.toggle(VISIBLE, false);
    await waitFor(() => !streamed.isEnabled(VISIBLE), 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(changed).toEqual([[VISIBLE]]);
    await waitFor(() => !polled.isEnabled(VISIBLE), 1000);
    await s.toggle(VISIBLE, true);
    await waitFor(() => streamed.isEnabled(VISIBLE) && polled.isEnabled(VISIBLE), 1000);
  });

  it('stops on a refused key and says so', async () => {
    const bad = client({ clientKey: 'sbc_not-a-key' });
    await expect(bad.whenReady()).rejects.toThrow(/HTTP 401/);
    expect(bad.status().error?.message).toMatch(/401/);
  });

  it('reports usage the server accepts', async () => {
    // Connection settings (fetch, metricsInterval, ...) come from the first client of a url + key: use a key of its own.
    const key = (await s.admin('POST', '/keys', { name: 'web-usage', environment: 'production', kind: 'client' })).body.secret;
    const statuses: number[] = [];
    const counting = client({
      clientKey: key,
      metricsInterval: 100,
      context: { properties: { email: 'ceo@acme.io' } },
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        if (String(input).includes('/metrics')) statuses.push(res.status);
        return res;
      },
    });
    await counting.whenReady();
    counting.isEnabled(VISIBLE);
    await waitFor(() => statuses.length > 0);
    expect(statuses).toEqual([202]);
    let last: string | null = null;
    for (let i = 0; i < 50 && !last; i++) {
      last = (await s.admin('GET', `/flags/${VISIBLE}`)).body.environments.production.lastEvaluatedAt;
      if (!last) await new Promise((r) => setTimeout(r, 100));
    }
    expect(last).not.toBeNull();
  });
});
