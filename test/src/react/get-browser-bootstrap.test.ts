import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwitchboardError } from '@switchboard/core';
import { getBrowserBootstrap } from '@switchboard/sdk-browser/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { type ReactSeed, seedReact } from './seed-react.ts';

describe.skipIf(!DATABASE_URL)('getBrowserBootstrap against a real server', () => {
  let server: TestServer;
  let s: ReactSeed;
  beforeAll(async () => {
    server = await startTestServer();
    s = await seedReact(server);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('returns exactly the client view, the context and the bulk answers for its remote flags', async () => {
    const requests: string[] = [];
    const recording: typeof fetch = (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
      return fetch(input, init);
    };
    const context = { userId: 'u-beta', properties: { plan: 'pro' } };
    const bootstrap = await getBrowserBootstrap({ url: `${server.url}/`, clientKey: s.clientKey, context, fetch: recording });
    const auth = { authorization: `Bearer ${s.clientKey}` };
    const view = (await server.request('GET', '/api/client/snapshot', { headers: auth })).body;
    // `new-checkout` targets userId, sensitive by default: the client view names it only, the server answers it.
    expect(view.flags).toContainEqual({
      key: 'new-checkout',
      enabled: true,
      remote: true,
      // What SDKs older than `remote` evaluate: a rule that matches nobody.
      rules: [{ id: 'server-evaluated', rollout: { percentage: 0 } }],
    });
    const bulk = (
      await server.request('POST', '/ofrep/v1/evaluate/flags', {
        headers: auth,
        body: { context: { targetingKey: 'u-beta', userId: 'u-beta', plan: 'pro' }, flags: ['new-checkout'] },
      })
    ).body;
    expect(bootstrap).toEqual({ snapshot: view, context, results: bulk.flags });
    expect(Object.keys(bootstrap)).toEqual(['snapshot', 'context', 'results']);
    expect(bootstrap.snapshot.flags.map((f) => f.key).sort()).toEqual(['banner', 'new-checkout']);
    expect(bootstrap.results).toEqual([
      expect.objectContaining({ key: 'new-checkout', value: true, metadata: expect.objectContaining({ enabled: true }) }),
    ]);
    expect(requests).toEqual(['GET /api/client/snapshot', 'POST /ofrep/v1/evaluate/flags']);
    // Plain JSON: what a framework serializes into the page comes back equal.
    expect(JSON.parse(JSON.stringify(bootstrap))).toEqual(bootstrap);

    const other = await getBrowserBootstrap({ url: server.url, clientKey: s.clientKey, context: { userId: 'someone-else' } });
    expect(other.results).toEqual([expect.objectContaining({ key: 'new-checkout', value: false })]);
  });

  it('makes no OFREP request when the view has no remote flag', async () => {
    await s.toggle('new-checkout', false);
    try {
      const requests: string[] = [];
      const recording: typeof fetch = (input, init) => {
        requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
        return fetch(input, init);
      };
      const bootstrap = await getBrowserBootstrap({ url: server.url, clientKey: s.clientKey, fetch: recording });
      // A disabled flag carries no rules, so nothing in it is identifying.
      expect(bootstrap.snapshot.flags.some((f) => f.remote)).toBe(false);
      expect(bootstrap.results).toEqual([]);
      expect(requests).toEqual(['GET /api/client/snapshot']);
    } finally {
      await s.toggle('new-checkout', true);
    }
  });

  it('fails with a fatal SwitchboardError for a refused key, and a network one when the server is away', async () => {
    const refused = await getBrowserBootstrap({ url: server.url, clientKey: 'sbc_nope' }).catch((e) => e);
    expect(refused).toBeInstanceOf(SwitchboardError);
    expect(refused).toMatchObject({ code: 'HTTP_STATUS', status: 401, fatal: true });
    const away = await getBrowserBootstrap({ url: 'http://127.0.0.1:9', clientKey: s.clientKey }).catch((e) => e);
    expect(away).toMatchObject({ name: 'SwitchboardError', code: 'NETWORK', fatal: false });
  });
});

describe('getBrowserBootstrap with server-evaluated flags', () => {
  // A small HTTP server plays both endpoints, to pin the exact requests (keys asked, OFREP context,
  // key header) and that answers not asked for are dropped; the real server is above.
  const seen: Array<{ method: string; path: string; auth: string; body: unknown }> = [];
  let url = '';
  const http = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    seen.push({
      method: req.method ?? '',
      path: req.url ?? '',
      auth: req.headers.authorization ?? '',
      body: text ? JSON.parse(text) : null,
    });
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/client/snapshot')
      return res.end(
        JSON.stringify({
          environment: 'production',
          revision: 4,
          flags: [
            { key: 'local', enabled: true },
            { key: 'vip', enabled: true, remote: true },
            { key: 'vip-banner', enabled: true, remote: true },
          ],
        }),
      );
    res.end(
      JSON.stringify({
        flags: [
          {
            key: 'vip',
            value: true,
            variant: 'disabled',
            reason: 'TARGETING_MATCH',
            metadata: { enabled: true, reason: 'RULE_MATCH', ruleId: 'r1' },
          },
          {
            key: 'vip-banner',
            value: { title: 'VIP' },
            variant: 'gold',
            reason: 'STATIC',
            metadata: { enabled: true, reason: 'ON', payloadType: 'json' },
          },
          // Not asked for: left out.
          { key: 'other', value: false, variant: 'disabled', metadata: { enabled: false, reason: 'OFF' } },
        ],
      }),
    );
  });
  beforeAll(async () => {
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => http.close(() => r())));

  it('asks the bulk endpoint for the remote keys only, with the OFREP context, and returns its answers', async () => {
    const bootstrap = await getBrowserBootstrap({
      url,
      clientKey: 'sbc_k',
      context: { userId: 'u1', properties: { email: 'kim@acme.io' } },
    });
    expect(seen).toEqual([
      { method: 'GET', path: '/api/client/snapshot', auth: 'Bearer sbc_k', body: null },
      {
        method: 'POST',
        path: '/ofrep/v1/evaluate/flags',
        auth: 'Bearer sbc_k',
        body: { context: { targetingKey: 'u1', userId: 'u1', email: 'kim@acme.io' }, flags: ['vip', 'vip-banner'] },
      },
    ]);
    expect(bootstrap.results.map((r) => r.key)).toEqual(['vip', 'vip-banner']);
    expect(bootstrap.context).toEqual({ userId: 'u1', properties: { email: 'kim@acme.io' } });
  });
});
