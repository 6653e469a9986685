import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStream } from './helpers/sse.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/** Resolves with the milliseconds until the server closed the socket, and what it sent. */
function whenClosed(socket: Socket): Promise<{ ms: number; received: string }> {
  const started = Date.now();
  let received = '';
  socket.on('data', (d) => {
    received += d.toString();
  });
  return new Promise((resolve) => socket.on('close', () => resolve({ ms: Date.now() - started, received })));
}

describe('timeout settings', () => {
  it('refuses settings that would cut idle streams or contradict each other', () => {
    expect(() => loadConfig({ HEARTBEAT_MS: '15000', CONNECTION_TIMEOUT_MS: '20000' })).toThrow(/CONNECTION_TIMEOUT_MS/);
    expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '10000' })).toThrow(/HEADERS_TIMEOUT_MS/);
    expect(loadConfig({})).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000 });
  });
});

describe.skipIf(!DATABASE_URL)('server timeouts', () => {
  let server: TestServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer({
      env: { HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000', HEARTBEAT_MS: '500', CONNECTION_TIMEOUT_MS: '1500' },
    });
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('cuts a client that never finishes its headers (slow loris)', async () => {
    const socket = connect(port, '127.0.0.1');
    const closed = whenClosed(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    // A header line now and then keeps the socket busy but never ends the head.
    const drip = setInterval(() => socket.writable && socket.write(`X-Drip-${Date.now()}: 1\r\n`), 200);
    const { ms, received } = await closed;
    clearInterval(drip);
    expect(ms).toBeLessThan(4000);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts a request whose body never arrives in time', async () => {
    const socket = connect(port, '127.0.0.1');
    const closed = whenClosed(socket);
    socket.write('POST /api/admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const drip = setInterval(() => socket.writable && socket.write(' '), 200);
    const { ms } = await closed;
    clearInterval(drip);
    expect(ms).toBeLessThan(5000);
  });

  it('keeps an SDK stream open well past every timeout', async () => {
    const cookie = await server.login();
    const key = (
      await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'k', environment: 'production', kind: 'server' } })
    ).body.secret;
    const stream = await openStream(`${server.url}/api/sdk/stream`, { authorization: key });
    await stream.waitFor((e) => e.event === 'snapshot');
    let ended = false;
    void stream.closed.then(() => {
      ended = true;
    });
    // Past REQUEST_TIMEOUT_MS and CONNECTION_TIMEOUT_MS twice over: still open, still fed.
    await new Promise((r) => setTimeout(r, 4500));
    expect(ended).toBe(false);
    expect(stream.raw().match(/^:\n\n/gm)?.length ?? 0).toBeGreaterThanOrEqual(4);
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'after-the-wait' } });
    await stream.waitFor((e) => e.event === 'patch' && e.data.includes('after-the-wait'));
    stream.close();
  });
});
