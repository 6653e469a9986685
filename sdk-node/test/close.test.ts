import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/index.ts';
import { FaultServer, openSse, sseEvent, waitUntil } from './support/fault-server.ts';
import { FLAG_ON, memoryLogger, snapshot, trackingTimers } from './support/fixtures.ts';

const STREAM = '/api/sdk/stream';
const SNAPSHOT = '/api/sdk/snapshot';
const METRICS = '/api/sdk/metrics';

/** What keeps the process alive, by kind (timers, sockets), as Node reports it. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

describe('close()', () => {
  let server: FaultServer;
  const streams: ServerResponse[] = [];
  beforeEach(async () => {
    server = await FaultServer.start();
    server.on(METRICS, (_req, res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":1}'));
  });
  afterEach(async () => {
    for (const res of streams.splice(0)) res.destroy();
    await server.close();
  });

  /** Closes the client and checks it left nothing: no timer of its own, no open socket, no handle. */
  async function closeAndCheck(
    client: ReturnType<typeof createClient>,
    timers: ReturnType<typeof trackingTimers>,
    before: Record<string, number>,
  ) {
    await client.close();
    expect(timers.pending()).toBe(0);
    // Every connection that carried a request was hung up by the client.
    await waitUntil(() => server.openRequestSockets() === 0, 2000, 'the server to see every socket closed');
    for (const res of streams.splice(0)) res.destroy();
    await server.closeIdleSockets();
    // Nothing more of any kind than before the client existed (the runner's own may come and go),
    // counting the fault server's side of any connection as the server's: it lives in this process.
    // Node's fetch may open one spare, unreferenced connection after an aborted stream and drop it
    // within seconds; its server side is such a socket.
    const noneAdded = () =>
      Object.entries(resources()).every(([kind, n]) => n <= (before[kind] ?? 0) + (kind === 'TCPSocketWrap' ? server.openSockets() : 0));
    await waitUntil(noneAdded, 2000, `resources back to ${JSON.stringify(before)}`).catch((e) => {
      throw new Error(`${e.message}; now ${JSON.stringify(resources())}`);
    });
  }

  it('ends the stream, the metrics and the stale timers of a connected client', async () => {
    server.on(STREAM, (_req, res) => {
      openSse(res);
      streams.push(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON]), 1));
    });
    const before = resources();
    const timers = trackingTimers();
    const exposures: string[] = [];
    const client = createClient({
      url: server.url,
      sdkKey: 'sbs_test',
      timers,
      metricsIntervalMs: 30,
      onExposure: (e) => exposures.push(e.flag),
      logger: memoryLogger(),
    });
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    client.isEnabled('on', { userId: 'u1' });
    await waitUntil(() => server.requestsTo(METRICS).length >= 1, 2000, 'a metrics report');
    expect(timers.pending()).toBeGreaterThan(0);
    await closeAndCheck(client, timers, before);
    expect(exposures).toEqual(['on']);
  });

  it('sends the last usage report on close, and waits no longer than closeTimeoutMs for it', async () => {
    server.on(STREAM, (_req, res) => {
      openSse(res);
      streams.push(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON]), 1));
    });
    const timers = trackingTimers();
    const before = resources();
    const client = createClient({ url: server.url, sdkKey: 'sbs_test', timers, logger: memoryLogger() });
    await client.ready({ timeoutMs: 2000 });
    for (let i = 0; i < 5; i++) client.isEnabled('on', {});
    await closeAndCheck(client, timers, before);
    const reports = server.requestsTo(METRICS);
    expect(reports).toHaveLength(1);
    expect(JSON.parse(reports[0]?.body ?? '{}').flags).toEqual({ on: { yes: 5, no: 0 } });

    // A metrics endpoint that never answers does not hold close() up.
    server.on(METRICS, () => {});
    const timers2 = trackingTimers();
    const slow = createClient({ url: server.url, sdkKey: 'sbs_test', timers: timers2, closeTimeoutMs: 200, logger: memoryLogger() });
    await slow.ready({ timeoutMs: 2000 });
    slow.isEnabled('on', {});
    const started = Date.now();
    await closeAndCheck(slow, timers2, before);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('stops mid-backoff, mid-connect and mid-poll', async () => {
    // The stream accepts and never answers; the snapshot fails, so polling backs off.
    server.on(STREAM, () => {});
    server.on(SNAPSHOT, (_req, res) => res.writeHead(503).end());
    const before = resources();
    const timers = trackingTimers();
    const client = createClient({
      url: server.url,
      sdkKey: 'sbs_test',
      timers,
      requestTimeoutMs: 100,
      backoff: { initialMs: 50, maxMs: 50 },
      logger: memoryLogger(),
    });
    await waitUntil(() => server.requestsTo(SNAPSHOT).length >= 2 && server.requestsTo(STREAM).length >= 2, 3000, 'polls and retries');
    await closeAndCheck(client, timers, before);
    // Nothing after close.
    const count = server.requests.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(server.requests.length).toBe(count);
  });

  it('is safe to call twice, and leaves evaluation working on the data held', async () => {
    const client = createClient({ offline: true, bootstrap: snapshot(1, [FLAG_ON]) });
    const first = client.close();
    expect(client.close()).toBe(first);
    await first;
    expect(client.isEnabled('on', {})).toBe(true);
    expect(await client.ready()).toBe(true);
  });
});
