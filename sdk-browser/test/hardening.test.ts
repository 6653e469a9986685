import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FlagConfig, SnapshotPayload } from '@switchboard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { RoundRobin } from '../../sdk-node/test/support/round-robin.ts';
import { NodeEventSource } from '../../test/src/sdk-browser/node-event-source.ts';
import { type Client, createClient } from '../src/index.ts';
import { memoryStorage, snapshot } from './helpers/fake-platform.ts';

/*
 * The browser client against real HTTP servers (node:http on real ports), with real fetch, real
 * timers and an EventSource that follows the browser's rules (test/src/sdk-browser).
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Replica {
  url: string;
  hits: Array<{ path: string; ifNoneMatch: string | undefined; status: number; at: number }>;
  close(): Promise<void>;
}

const closing: Array<() => Promise<void>> = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const close of closing.splice(0)) await close();
});

async function replica(routes: Record<string, Handler>): Promise<Replica> {
  const hits: Replica['hits'] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const hit = { path, ifNoneMatch: req.headers['if-none-match'], status: 0, at: Date.now() };
    hits.push(hit);
    const route = routes[path];
    if (!route) return void res.writeHead(404).end();
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((status: number, ...rest: never[]) => {
      hit.status = status;
      return writeHead(status, ...rest);
    }) as typeof res.writeHead;
    route(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const r: Replica = {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  closing.push(r.close);
  return r;
}

const sse = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
};
const event = (name: string, data: unknown, id?: number) =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** The snapshot route as the real server answers it: 304 for the revision held, else the view. */
const snapshotRoute =
  (view: () => SnapshotPayload): Handler =>
  (req, res) => {
    const v = view();
    if (req.headers['if-none-match'] === `"${v.revision}"`) return void res.writeHead(304).end();
    res.writeHead(200, { 'content-type': 'application/json', etag: `"${v.revision}"` }).end(JSON.stringify(v));
  };

function client(url: string, options: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  const c = createClient({
    url,
    clientKey: 'sbc_test',
    storage: memoryStorage(),
    EventSource: NodeEventSource,
    metricsInterval: 0,
    random: () => 0.5,
    ...options,
  });
  clients.push(c);
  return c;
}

const until = async (condition: () => boolean, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CHECKOUT: FlagConfig = { key: 'checkout', enabled: true };
const BROKEN = JSON.parse('{"key":"checkout","enabled":true,"rules":[null,{"rollout":{"percentage":"abc"}}]}') as FlagConfig;

describe('the browser client against real HTTP servers', () => {
  it('rejects a patch, then a snapshot, with broken rules inside a well-formed flag, keeping the last good value', async () => {
    let stream: ServerResponse | undefined;
    const server = await replica({
      '/api/client/stream': (_req, res) => {
        sse(res);
        stream = res;
        res.write(event('snapshot', snapshot(1, [CHECKOUT]), 1));
      },
    });
    const c = client(server.url);
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.message));
    await c.whenReady();
    expect(c.isEnabled('checkout')).toBe(true);
    stream?.write(event('patch', { revision: 2, changes: [{ op: 'flag', flag: BROKEN }] }, 2));
    await until(() => errors.length === 1, 2000, 'the patch to be rejected');
    expect(errors[0]).toMatch(/Malformed patch/i);
    expect(c.isEnabled('checkout')).toBe(true);
    stream?.write(event('snapshot', snapshot(3, [BROKEN]), 3));
    await until(() => errors.length === 2, 2000, 'the snapshot to be rejected');
    expect(errors[1]).toMatch(/Malformed snapshot/i);
    expect(c.isEnabled('checkout')).toBe(true);
    // Good data still gets through.
    stream?.write(event('patch', { revision: 4, changes: [{ op: 'flag', flag: { key: 'checkout', enabled: false } }] }, 4));
    await until(() => !c.isEnabled('checkout', true), 2000, 'the good patch');
  });

  describe('two replicas behind a round-robin balancer, one a revision behind', () => {
    const view = (revision: number) => snapshot(revision, [{ key: 'new-flag', enabled: revision === 8 }]);

    async function balanced(stream: (revision: number) => Handler) {
      const ahead = await replica({ '/api/client/snapshot': snapshotRoute(() => view(8)), '/api/client/stream': stream(8) });
      const behind = await replica({ '/api/client/snapshot': snapshotRoute(() => view(7)), '/api/client/stream': stream(7) });
      const balancer = await RoundRobin.start([ahead.url, behind.url]);
      closing.push(() => balancer.close());
      return { ahead, behind, balancer };
    }

    /** Every answer the page gave for the flag that differs, sampled often. */
    function answers(c: Client): boolean[] {
      const seen: boolean[] = [];
      const timer = setInterval(() => {
        const on = c.status().ready ? c.isEnabled('new-flag') : undefined;
        if (on !== undefined && seen.at(-1) !== on) seen.push(on);
      }, 2);
      closing.push(async () => clearInterval(timer));
      return seen;
    }

    it('polling (no EventSource) never goes back from 8 to 7', async () => {
      const { behind, balancer } = await balanced(() => (_req, res) => res.writeHead(500).end());
      const c = client(balancer.url, { EventSource: null, pollInterval: 40 });
      const seen = answers(c);
      await until(
        () => behind.hits.filter((h) => h.ifNoneMatch === '"8"' && h.status === 200).length >= 4,
        4000,
        'the lagging replica to answer 7 to a page holding 8',
      );
      expect(seen.at(-1)).toBe(true);
      expect(seen.indexOf(true) === -1 || seen.slice(seen.indexOf(true)).every((on) => on)).toBe(true);
    });

    it('streams that land on either replica, and the polling between them, never go back from 8 to 7', async () => {
      // Streams that end at once (retry: 10): each reconnect lands on the other replica, and after
      // three the page polls, also through the balancer.
      const { ahead, behind, balancer } = await balanced((revision) => (_req, res) => {
        sse(res);
        res.end(`retry: 10\n\n${event('snapshot', view(revision), revision)}`);
      });
      const c = client(balancer.url);
      const seen = answers(c);
      await sleep(1500);
      const hits = (r: Replica, path: string) => r.hits.filter((h) => h.path === `/api/client/${path}`).length;
      expect([hits(ahead, 'stream'), hits(behind, 'stream'), hits(ahead, 'snapshot') + hits(behind, 'snapshot')].every((n) => n >= 2)).toBe(
        true,
      );
      expect(seen).toContain(true);
      expect(seen.slice(seen.indexOf(true)).every((on) => on)).toBe(true);
    });
  });

  it('backs off with growing delays on streams that open and end with retry: 0', async () => {
    const server = await replica({
      '/api/client/stream': (_req, res) => {
        sse(res);
        res.write(`retry: 0\n\n${event('snapshot', snapshot(1, [CHECKOUT]), 1)}`);
        setTimeout(() => res.end(), 5);
      },
      '/api/client/snapshot': snapshotRoute(() => snapshot(1, [CHECKOUT])),
    });
    client(server.url);
    await sleep(3200);
    const streams = server.hits.filter((h) => h.path === '/api/client/stream');
    const polls = server.hits.filter((h) => h.path === '/api/client/snapshot').map((h) => h.at);
    // Without backoff, a browser reconnects at once every time: hundreds in 3.2 s.
    expect(streams.length).toBeLessThanOrEqual(13);
    // Every third short-lived stream sends the page to polling. The first snapshot that arrives has the
    // stream retried at once (the server may be back), but only once: then the next stream waits
    // longer each time, 0.75 s, then 1.5 s.
    expect(polls.length).toBeGreaterThanOrEqual(3);
    const gaps = polls.slice(1).map((t, i) => t - (polls[i] ?? 0));
    expect(gaps[0]).toBeLessThan(500);
    expect(gaps[1]).toBeGreaterThanOrEqual(700);
    if (gaps.length > 2) expect(gaps[2]).toBeGreaterThan((gaps[1] ?? 0) * 1.5);
  });

  it('turns stale when its replica closes streams and answers 503, and fresh again when it answers', async () => {
    let down = false;
    const streams: ServerResponse[] = [];
    const unavailable = (res: ServerResponse) =>
      res.writeHead(503, { 'retry-after': '1' }).end('{"error":{"code":"DATABASE_UNAVAILABLE"}}');
    const server = await replica({
      '/api/client/stream': (_req, res) => {
        if (down) return unavailable(res);
        sse(res);
        streams.push(res);
        res.write(event('snapshot', snapshot(1, [CHECKOUT]), 1));
      },
      '/api/client/snapshot': (req, res) => (down ? unavailable(res) : snapshotRoute(() => snapshot(1, [CHECKOUT]))(req, res)),
    });
    const c = client(server.url);
    await c.whenReady();
    expect(c.status().stale).toBe(false);
    down = true;
    const lostAt = Date.now();
    for (const res of streams.splice(0)) res.end();
    await until(() => c.status().stale, 3000, 'stale');
    expect(Date.now() - lostAt).toBeLessThan(2000);
    expect(c.isEnabled('checkout')).toBe(true);
    down = false;
    await until(() => !c.status().stale, 5000, 'fresh again');
  });
});
