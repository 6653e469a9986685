import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChangeEvent, type SwitchboardClient, type SwitchboardError, SwitchboardErrorCode } from '../src/index.ts';
import { FaultServer, openSse, sseEvent, waitUntil } from './support/fault-server.ts';
import { FLAG_OFF, FLAG_ON, snapshot, testClient } from './support/fixtures.ts';

const STREAM = '/api/sdk/stream';
const SNAPSHOT = '/api/sdk/snapshot';

describe('the stream', () => {
  let server: FaultServer;
  const clients: SwitchboardClient[] = [];
  const open: ServerResponse[] = [];
  beforeEach(async () => {
    server = await FaultServer.start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const res of open.splice(0)) res.destroy();
    await server.close();
  });

  it('takes the snapshot, applies patches in order, names the changed flags, and sends the server key', async () => {
    let stream: ServerResponse | undefined;
    server.on(STREAM, (_req, res) => {
      openSse(res);
      res.write(sseEvent('snapshot', snapshot(7, [FLAG_ON, FLAG_OFF]), 7));
      stream = res;
      open.push(res);
    });
    const changes: ChangeEvent[] = [];
    const client = testClient({ url: server.url, sdkKey: 'sbs_secret' }, clients).on('change', (e) => changes.push(e));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    expect(client.isEnabled('on', {})).toBe(true);
    expect(client.isEnabled('off', {})).toBe(false);
    expect(client.revision).toBe(7);
    expect(server.requestsTo(STREAM)[0]?.headers.authorization).toBe('sbs_secret');
    expect(server.requestsTo(STREAM)[0]?.headers['last-event-id']).toBeUndefined();

    stream?.write(sseEvent('patch', { revision: 8, changes: [{ op: 'flag', flag: { key: 'off', enabled: true } }] }, 8));
    await waitUntil(() => changes.length === 1, 2000, 'a change event');
    expect(changes[0]).toEqual({ flags: ['off'], revision: 8, source: 'server' });
    expect(client.isEnabled('off', {})).toBe(true);
    stream?.write(sseEvent('patch', { revision: 9, changes: [{ op: 'flag-removed', key: 'on' }] }, 9));
    await waitUntil(() => changes.length === 2, 2000, 'a second change event');
    expect(client.evaluate('on', {}).reason).toBe('FLAG_NOT_FOUND');
    expect(client.isEnabled('on', {}, true)).toBe(true);
  });

  it('resumes with Last-Event-ID after the connection drops', async () => {
    server.on(STREAM, (req, res, { n }) => {
      openSse(res);
      open.push(res);
      if (n === 1) {
        res.write(sseEvent('snapshot', snapshot(3, [FLAG_OFF]), 3));
        res.write(sseEvent('patch', { revision: 4, changes: [{ op: 'flag', flag: { key: 'x', enabled: true } }] }, 4));
        setTimeout(() => res.destroy(), 50);
      } else if (req.headers['last-event-id'] === '4') {
        res.write(sseEvent('patch', { revision: 5, changes: [{ op: 'flag', flag: { key: 'off', enabled: true } }] }, 5));
      }
    });
    const client = testClient({ url: server.url }, clients);
    await waitUntil(() => client.revision === 5, 3000, 'the missed patch');
    expect(server.requestsTo(STREAM)[1]?.headers['last-event-id']).toBe('4');
    expect(client.isEnabled('off', {})).toBe(true);
    expect(client.isEnabled('x', {})).toBe(true);
  });

  it('reconnects when the server says so at shutdown, after the delay it asks, without an error', async () => {
    server.on(STREAM, (_req, res, { n }) => {
      openSse(res);
      open.push(res);
      if (n === 1) {
        res.write(sseEvent('snapshot', snapshot(3, [FLAG_ON]), 3));
        setTimeout(() => res.end('retry: 300\nevent: reconnect\ndata: {"retryMs":300}\n\n'), 30);
      }
    });
    const errors: SwitchboardError[] = [];
    const client = testClient({ url: server.url }, clients).on('error', (e) => errors.push(e));
    await client.ready({ timeoutMs: 2000 });
    await waitUntil(() => server.requestsTo(STREAM).length === 2, 3000, 'the reconnect');
    const [first, second] = server.requestsTo(STREAM);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(300);
    expect(second?.headers['last-event-id']).toBe('3');
    expect(errors).toEqual([]);
  });

  it('replaces a stream that stays silent past the heartbeat timeout, and keeps one that gets heartbeats', async () => {
    server.on(STREAM, (_req, res, { n }) => {
      openSse(res);
      open.push(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON]), 1));
      if (n === 1) return; // then silence: a half-dead connection, a buffering proxy
      const beat = setInterval(() => (res.writableEnded ? clearInterval(beat) : res.write(':\n\n')), 50);
      res.on('close', () => clearInterval(beat));
    });
    const errors: SwitchboardError[] = [];
    const client = testClient({ url: server.url, heartbeatTimeoutMs: 250 }, clients).on('error', (e) => errors.push(e));
    await client.ready({ timeoutMs: 2000 });
    await waitUntil(() => server.requestsTo(STREAM).length === 2, 3000, 'the replacement stream');
    expect(errors.map((e) => e.code)).toEqual([SwitchboardErrorCode.DeadStream]);
    // The dead connection was hung up, not left open.
    await waitUntil(() => server.openRequestSockets() === 1, 2000, 'the dead socket closed');
    await new Promise((r) => setTimeout(r, 600));
    expect(server.requestsTo(STREAM)).toHaveLength(2);
    expect(errors).toHaveLength(1);
    expect(client.isEnabled('on', {})).toBe(true);
  });

  it('resets the backoff after a connection that lasted, and keeps backing off for one that flaps', async () => {
    const lifetimes = [0, 0, 0, 400, 0];
    server.on(STREAM, (_req, res, { n }) => {
      openSse(res);
      open.push(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON]), 1));
      setTimeout(() => res.destroy(), lifetimes[n - 1] ?? 0);
    });
    server.on(SNAPSHOT, (_req, res) => res.writeHead(503).end());
    const delays: number[] = [];
    testClient({ url: server.url, random: () => 1, backoff: { initialMs: 10, maxMs: 1000, resetAfterMs: 300 } }, clients).on(
      'error',
      (e) => {
        if (e.message.startsWith('stream')) delays.push(e.retryInMs ?? -1);
      },
    );
    await waitUntil(() => delays.length >= 5, 5000, 'five reconnects');
    // Three short-lived connections: 10, 20, 40. The fourth lasted 400 ms > 300: back to 10, then 20.
    expect(delays.slice(0, 5)).toEqual([10, 20, 40, 10, 20]);
  });

  it('falls back to polling while the stream keeps failing, and stops polling when it is back', async () => {
    let streamUp = false;
    server.on(STREAM, (_req, res) => {
      if (!streamUp) return void res.writeHead(502).end();
      openSse(res);
      open.push(res);
      res.write(sseEvent('snapshot', snapshot(5, [{ key: 'on', enabled: false }]), 5));
    });
    server.on(SNAPSHOT, (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json', etag: '"4"' }).end(JSON.stringify(snapshot(4, [FLAG_ON]))),
    );
    const client = testClient({ url: server.url, pollIntervalMs: 100 }, clients);
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    expect(client.isEnabled('on', {})).toBe(true);
    await waitUntil(() => server.requestsTo(SNAPSHOT).length >= 2, 2000, 'a second poll');
    // Each poll names the revision it holds, so an unchanged snapshot can come back as a 304.
    expect(server.requestsTo(SNAPSHOT)[1]?.headers['if-none-match']).toBe('"4"');
    streamUp = true;
    await waitUntil(() => client.revision === 5, 3000, 'the stream back');
    expect(client.isEnabled('on', {})).toBe(false);
    const polls = server.requestsTo(SNAPSHOT).length;
    await new Promise((r) => setTimeout(r, 350));
    expect(server.requestsTo(SNAPSHOT).length).toBeLessThanOrEqual(polls + 1);
  });

  it('treats a 200 that is not an event stream (a proxy) as a refusal and polls', async () => {
    server.on(STREAM, (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'));
    server.on(SNAPSHOT, (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json', etag: '"2"' }).end(JSON.stringify(snapshot(2, [FLAG_ON]))),
    );
    const errors: SwitchboardError[] = [];
    const client = testClient({ url: server.url }, clients).on('error', (e) => errors.push(e));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    expect(errors[0]?.code).toBe(SwitchboardErrorCode.NotEventStream);
  });

  it('emits stale when the server is gone past the threshold, and recovered when it is back', async () => {
    let up = true;
    server.on(STREAM, (_req, res) => {
      if (!up) return void res.writeHead(503).end();
      openSse(res);
      open.push(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON]), 1));
      setTimeout(() => {
        up = false;
        res.destroy();
      }, 50);
    });
    server.on(SNAPSHOT, (_req, res) => res.writeHead(503).end());
    const seen: string[] = [];
    const client = testClient({ url: server.url, staleAfterMs: 250 }, clients)
      .on('stale', () => seen.push('stale'))
      .on('recovered', () => seen.push('recovered'));
    await client.ready({ timeoutMs: 2000 });
    expect(client.isStale).toBe(false);
    await waitUntil(() => client.isStale, 3000, 'stale');
    expect(seen).toEqual(['stale']);
    // Still serving what it had.
    expect(client.isEnabled('on', {})).toBe(true);
    up = true;
    await waitUntil(() => !client.isStale, 3000, 'recovered');
    expect(seen).toEqual(['stale', 'recovered']);
  });

  it('after a fallback poll gets through, retries the stream at once (full snapshot, backoff reset) and recovers only when it delivers', async () => {
    let phase: 'up' | 'down' | 'polls only' | 'up again' = 'up';
    server.on(STREAM, (_req, res) => {
      if (phase !== 'up' && phase !== 'up again') return void res.writeHead(503).end();
      openSse(res);
      open.push(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON]), 1));
    });
    server.on(SNAPSHOT, (_req, res) => {
      if (phase === 'down') return void res.writeHead(503).end();
      res.writeHead(304, { etag: '"1"' }).end();
    });
    const seen: string[] = [];
    // A long backoff: without the early retry the stream would wait 2-4 s and more.
    const client = testClient(
      { url: server.url, staleAfterMs: 200, pollIntervalMs: 100, backoff: { initialMs: 2000, maxMs: 30_000 } },
      clients,
    )
      .on('stale', () => seen.push('stale'))
      .on('recovered', () => seen.push('recovered'));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    phase = 'down';
    for (const res of open.splice(0)) res.destroy();
    await waitUntil(() => client.isStale, 3000, 'stale');
    // The second stream failure (1-2 s on) starts the fallback polling.
    await waitUntil(() => server.requestsTo(SNAPSHOT).length > 0, 3000, 'fallback polling');

    // Polls answer but the stream does not: the data is confirmed, yet the client is not healthy.
    phase = 'polls only';
    const streams = server.requestsTo(STREAM).length;
    await waitUntil(() => server.requestsTo(STREAM).length > streams, 1000, 'the stream retried right after a poll');
    // A full snapshot: a resume from the confirmed revision would get no event before a heartbeat.
    expect(server.requestsTo(STREAM)[streams]?.headers['last-event-id']).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(client.isStale).toBe(true);
    expect(seen).toEqual(['stale']);

    // That retry reset the backoff: the next one comes 1-2 s later (not 4-8 s), on its own schedule.
    phase = 'up again';
    await waitUntil(() => !client.isStale, 3000, 'recovered');
    expect(seen).toEqual(['stale', 'recovered']);
  });
});

describe('poll mode', () => {
  let server: FaultServer;
  const clients: SwitchboardClient[] = [];
  beforeEach(async () => {
    server = await FaultServer.start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('polls the snapshot with If-None-Match, takes 304 as current, never opens the stream', async () => {
    let current = snapshot(3, [FLAG_ON]);
    server.on(SNAPSHOT, (req, res) => {
      const etag = `"${current.revision}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify(current));
    });
    const changes: ChangeEvent[] = [];
    const client = testClient({ url: server.url, mode: 'poll', pollIntervalMs: 100 }, clients).on('change', (e) => changes.push(e));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    await waitUntil(() => server.requestsTo(SNAPSHOT).length >= 3, 2000, 'three polls');
    expect(server.requestsTo(SNAPSHOT)[1]?.headers['if-none-match']).toBe('"3"');
    current = snapshot(4, [{ key: 'on', enabled: false }]);
    await waitUntil(() => changes.length === 1, 2000, 'the change');
    expect(changes[0]).toMatchObject({ flags: ['on'], revision: 4 });
    expect(client.isEnabled('on', {})).toBe(false);
    expect(server.requestsTo(STREAM)).toHaveLength(0);
  });

  it('stops polling on 401 and surfaces it', async () => {
    server.on(SNAPSHOT, (_req, res) => res.writeHead(401).end());
    const errors: SwitchboardError[] = [];
    const client = testClient({ url: server.url, mode: 'poll', pollIntervalMs: 100 }, clients).on('error', (e) => errors.push(e));
    expect(await client.ready({ timeoutMs: 1000 })).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.requestsTo(SNAPSHOT)).toHaveLength(1);
    expect(errors).toMatchObject([{ status: 401, fatal: true }]);
  });
});
