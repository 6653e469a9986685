import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream, type SseStream } from './helpers/sse.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

describe.skipIf(!DATABASE_URL)('SDK stream limits: pools, keys, addresses', () => {
  let server: TestServer;
  let cookie: string;
  const open: SseStream[] = [];
  const newKey = async (kind: 'server' | 'client') =>
    (await server.request('POST', '/api/admin/keys', { cookie, body: { name: kind, environment: 'production', kind } })).body
      .secret as string;
  const stream = async (kind: 'server' | 'client', key: string, headers: Record<string, string> = {}) => {
    const s = await openStream(`${server.url}/api/${kind === 'server' ? 'sdk' : 'client'}/stream`, { authorization: key, ...headers });
    open.push(s);
    return s;
  };
  const closeAll = async () => {
    for (const s of open.splice(0)) s.close();
    // The server lets go of a slot when it sees the socket close.
    for (let i = 0; i < 50 && (await connected()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
  };
  const connected = async () => (await server.app.metrics.connectedStreams.get()).values.reduce((n, v) => n + v.value, 0);

  beforeAll(async () => {
    server = await startTestServer({
      env: {
        MAX_SERVER_STREAMS: '2',
        MAX_CLIENT_STREAMS: '5',
        MAX_STREAMS_PER_KEY: '4',
        MAX_STREAMS_PER_ADDRESS: '3',
        TRUST_PROXY_HOPS: '1',
      },
    });
    cookie = await server.login();
  });
  afterAll(async () => {
    await closeAll();
    await server?.close();
  });

  it('keeps server keys their own pool however many streams client keys open', async () => {
    const client = await newKey('client');
    const serverKey = await newKey('server');
    const browsers = [];
    for (let i = 0; i < 5; i++) browsers.push(await stream('client', client, { 'x-forwarded-for': `10.0.0.${i}` }));
    // MAX_STREAMS_PER_KEY is 4: the fifth stream of one key is refused on the key's count.
    expect(browsers.map((b) => b.status)).toEqual([200, 200, 200, 200, 429]);
    const other = await newKey('client');
    expect((await stream('client', other, { 'x-forwarded-for': '10.0.1.1' })).status).toBe(200);
    const full = await server.request('GET', '/api/client/stream', { token: other, headers: { 'x-forwarded-for': '10.0.1.2' } });
    expect(full.status).toBe(429);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(full.body.error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'pool', audience: 'client' } });

    const backends = [await stream('server', serverKey), await stream('server', serverKey)];
    for (const b of backends) {
      expect(b.status).toBe(200);
      await b.waitFor((e) => e.event === 'snapshot');
    }
    const third = await server.request('GET', '/api/sdk/stream', { token: serverKey });
    expect(third.status).toBe(429);
    expect(third.body.error.details).toMatchObject({ limit: 'pool', audience: 'server' });
    await closeAll();
  });

  it('limits streams per client address', async () => {
    const client = await newKey('client');
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await stream('client', client, { 'x-forwarded-for': '192.0.2.7' })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await server.request('GET', '/api/client/stream', { token: client, headers: { 'x-forwarded-for': '192.0.2.7' } });
    expect(refused.body.error.details).toMatchObject({ limit: 'address' });
    expect((await stream('client', client, { 'x-forwarded-for': '192.0.2.8' })).status).toBe(200);
    await closeAll();
  });

  it('never lets concurrent opens overshoot, and gives slots back when streams close', async () => {
    const keys = await Promise.all(Array.from({ length: 4 }, () => newKey('client')));
    const attempts = await Promise.all(
      Array.from({ length: 40 }, (_, i) => stream('client', keys[i % 4] as string, { 'x-forwarded-for': `198.51.100.${i}` })),
    );
    expect(attempts.filter((s) => s.status === 200)).toHaveLength(5);
    expect(attempts.filter((s) => s.status === 429)).toHaveLength(35);
    for (const s of attempts.filter((a) => a.status === 200)) await s.waitFor((e) => e.event === 'snapshot');
    expect(await connected()).toBe(5);
    await closeAll();
    expect(await connected()).toBe(0);
    // Every slot came back: the pool is whole again.
    const again = [];
    for (let i = 0; i < 5; i++) again.push((await stream('client', keys[i % 4] as string, { 'x-forwarded-for': `203.0.113.${i}` })).status);
    expect(again).toEqual([200, 200, 200, 200, 200]);
    await closeAll();
  });
});
