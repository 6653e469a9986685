import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream } from './helpers/sse.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * Opening a stream: the client hears from the server at once, whatever there is to send, and
 * patches that reach streams in one write arrive whole and in order, over HTTP/1.1 (chunked) and
 * HTTP/1.0 (a body that ends with the connection).
 */
describe.skipIf(!DATABASE_URL)('SDK streams: opening and batched patches', () => {
  let server: TestServer;
  let cookie: string;
  let serverKey: string;
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { body, cookie, headers });
  const toggle = async (enabled: boolean) => {
    const version = (await admin('GET', '/flags/opened/environments/production')).body.version as number;
    expect((await admin('PATCH', '/flags/opened/environments/production', { enabled }, { 'if-match': `"${version}"` })).status).toBe(200);
  };
  const revision = async () => Number((await server.request('GET', '/api/sdk/snapshot', { token: serverKey })).body.revision);

  beforeAll(async () => {
    // Heartbeats far apart: whatever a stream gets in this file's first seconds is not one.
    server = await startTestServer({ env: { HEARTBEAT_MS: '60000', DELIVERY_CHECK_MS: '500' } });
    cookie = await server.login();
    await admin('POST', '/flags', { key: 'opened' });
    serverKey = (await admin('POST', '/keys', { name: 'backend', environment: 'production', kind: 'server' })).body.secret;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers a stream resumed at the current revision at once with a comment, then sends the next patch', async () => {
    const current = await revision();
    const started = Date.now();
    const stream = await openStream(`${server.url}/api/sdk/stream`, { authorization: serverKey, 'last-event-id': String(current) });
    expect(stream.status).toBe(200);
    for (let i = 0; i < 40 && !stream.raw().includes(': current\n\n'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(stream.raw()).toBe(': current\n\n');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(stream.events).toEqual([]);
    await toggle(true);
    const patch = await stream.waitFor((e) => e.event === 'patch');
    expect(Number(patch.id)).toBe(current + 1);
    stream.close();
  });

  it('delivers patches that reach streams together whole and in order', async () => {
    const stream = await openStream(`${server.url}/api/sdk/stream`, { authorization: serverKey });
    const first = Number((await stream.waitFor((e) => e.event === 'snapshot')).id);
    // Five edits as fast as they go: some reach the stream in one write.
    for (let i = 0; i < 5; i++) await toggle(i % 2 === 1);
    await stream.waitFor((_e, all) => all.length >= 6);
    await new Promise((r) => setTimeout(r, 200));
    expect(stream.events.map((e) => [e.event, Number(e.id)])).toEqual([
      ['snapshot', first],
      ...[1, 2, 3, 4, 5].map((n) => ['patch', first + n]),
    ]);
    for (const [n, e] of stream.events.slice(1).entries()) {
      expect(JSON.parse(e.data)).toEqual({
        revision: first + n + 1,
        changes: [{ op: 'flag', flag: expect.objectContaining({ key: 'opened', enabled: n % 2 === 1 }) }],
      });
    }
    stream.close();
  });

  it('serves HTTP/1.0 clients a plain body (no chunk framing) that carries the same events', async () => {
    const url = new URL(server.url);
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`GET /api/sdk/stream HTTP/1.0\r\nHost: ${url.host}\r\nAuthorization: ${serverKey}\r\n\r\n`);
    const until = async (what: string) => {
      for (let i = 0; i < 100 && !text.includes(what); i++) await new Promise((r) => setTimeout(r, 50));
      expect(text).toContain(what);
    };
    await until('event: snapshot');
    const current = await revision();
    await toggle(false);
    await until(`id: ${current + 1}\nevent: patch\ndata: `);
    socket.destroy();
    const [head, body] = text.split('\r\n\r\n', 2) as [string, string];
    expect(head).toMatch(/^HTTP\/1\.[01] 200/);
    expect(head.toLowerCase()).not.toContain('transfer-encoding');
    // The body is the events themselves, with nothing between them.
    expect(body).toMatch(/^id: \d+\nevent: snapshot\ndata: \{.*\}\n\nid: \d+\nevent: patch\ndata: \{.*\}\n\n$/s);
  });
});
