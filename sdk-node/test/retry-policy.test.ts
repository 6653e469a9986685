import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SwitchboardClient, type SwitchboardError, SwitchboardErrorCode } from '../src/index.ts';
import { FaultServer, waitUntil } from './support/fault-server.ts';
import { FLAG_ON, snapshot, testClient } from './support/fixtures.ts';

const STREAM = '/api/sdk/stream';
const SNAPSHOT = '/api/sdk/snapshot';

describe('retry policy per status', () => {
  let server: FaultServer;
  const clients: SwitchboardClient[] = [];
  beforeEach(async () => {
    server = await FaultServer.start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it.each([401, 403, 404])('surfaces %i as a fatal error and stops: no retry storm', async (status) => {
    server.on(STREAM, (_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'));
    const errors: SwitchboardError[] = [];
    const client = testClient({ url: server.url }, clients).on('error', (e) => errors.push(e));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.requestsTo(STREAM)).toHaveLength(1);
    expect(server.requestsTo(SNAPSHOT)).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: SwitchboardErrorCode.HttpStatus, status, fatal: true, retryInMs: undefined });
    expect(client.fatal?.status).toBe(status);
    expect(client.isStale).toBe(true);
    expect(server.openRequestSockets()).toBe(0);
  });

  it.each([408, 429, 500, 502, 503])('retries %i with backoff', async (status) => {
    server.on(STREAM, (_req, res) => res.writeHead(status).end());
    server.on(SNAPSHOT, (_req, res) => res.writeHead(status).end());
    const errors: SwitchboardError[] = [];
    testClient({ url: server.url }, clients).on('error', (e) => errors.push(e));
    await waitUntil(() => server.requestsTo(STREAM).length >= 3, 3000, 'three stream attempts');
    const streamErrors = errors.filter((e) => e.message.startsWith('stream'));
    expect(streamErrors.length).toBeGreaterThanOrEqual(2);
    for (const e of streamErrors) {
      expect(e).toMatchObject({ code: SwitchboardErrorCode.HttpStatus, status, fatal: false });
      expect(e.retryInMs).toBeGreaterThan(0);
    }
  });

  it('retries network errors (connection refused, connection cut mid-stream)', async () => {
    // A port nobody listens on: refused.
    const closed = await FaultServer.start();
    const deadUrl = closed.url;
    await closed.close();
    const errors: SwitchboardError[] = [];
    testClient({ url: deadUrl }, clients).on('error', (e) => errors.push(e));
    await waitUntil(() => errors.length >= 3, 3000, 'three refused attempts');
    expect(errors.every((e) => e.code === SwitchboardErrorCode.Network && !e.fatal)).toBe(true);

    server.on(STREAM, (_req, res) => res.destroy());
    server.on(SNAPSHOT, (_req, res) => res.destroy());
    const cut: SwitchboardError[] = [];
    testClient({ url: server.url }, clients).on('error', (e) => cut.push(e));
    await waitUntil(() => server.requestsTo(STREAM).length >= 3, 3000, 'retries after cut connections');
    expect(cut.every((e) => e.code === SwitchboardErrorCode.Network && !e.fatal)).toBe(true);
  });

  it('honours Retry-After on 503 and 429', async () => {
    for (const status of [503, 429]) {
      const s = await FaultServer.start();
      s.on(STREAM, (_req, res, { n }) => {
        if (n === 1) res.writeHead(status, { 'retry-after': '1' }).end();
        else res.writeHead(status, { 'retry-after': '1' }).end();
      });
      s.on(SNAPSHOT, (_req, res) => res.writeHead(503).end());
      const errors: SwitchboardError[] = [];
      const client = testClient({ url: s.url }, clients).on('error', (e) => errors.push(e));
      await waitUntil(() => s.requestsTo(STREAM).length >= 2, 3000, 'the second attempt');
      const [first, second] = s.requestsTo(STREAM);
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
      expect(errors.find((e) => e.status === status)?.retryInMs).toBeGreaterThanOrEqual(1000);
      await client.close();
      await s.close();
    }
  });

  it('falls back to polling the snapshot at once when the stream is refused (429: the replica holds its cap of streams)', async () => {
    server.on(STREAM, (_req, res) => res.writeHead(429, { 'retry-after': '5' }).end());
    server.on(SNAPSHOT, (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json', etag: '"3"' }).end(JSON.stringify(snapshot(3, [FLAG_ON]))),
    );
    const client = testClient({ url: server.url }, clients);
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    expect(client.isEnabled('on', {})).toBe(true);
    expect(client.source).toBe('server');
    expect(server.requestsTo(STREAM)).toHaveLength(1);
  });

  it('spreads retries with jitter, within the exponential bounds', async () => {
    server.on(STREAM, (_req, res) => res.writeHead(503).end());
    server.on(SNAPSHOT, (_req, res) => res.writeHead(503).end());
    const delays: number[] = [];
    testClient({ url: server.url, backoff: { initialMs: 40, maxMs: 40 } }, clients).on('error', (e) => {
      if (e.message.startsWith('stream')) delays.push(e.retryInMs ?? -1);
    });
    await waitUntil(() => delays.length >= 20, 5000, 'twenty retries');
    // Full jitter in [ceiling / 2, ceiling]: a fleet that lost the same server spreads out.
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(20);
      expect(d).toBeLessThanOrEqual(40);
    }
    expect(new Set(delays).size).toBeGreaterThanOrEqual(8);
    // And the waits happen: the attempts are that far apart.
    const at = server.requestsTo(STREAM).map((r) => r.at);
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBeGreaterThanOrEqual(15);
  });

  it('doubles the delay per failure up to the cap', async () => {
    server.on(STREAM, (_req, res) => res.writeHead(500).end());
    server.on(SNAPSHOT, (_req, res) => res.writeHead(500).end());
    const delays: number[] = [];
    testClient({ url: server.url, random: () => 1, backoff: { initialMs: 10, maxMs: 80 } }, clients).on('error', (e) => {
      if (e.message.startsWith('stream')) delays.push(e.retryInMs ?? -1);
    });
    await waitUntil(() => delays.length >= 6, 5000, 'six retries');
    expect(delays.slice(0, 6)).toEqual([10, 20, 40, 80, 80, 80]);
  });
});
