import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlagConfig } from '@switchboard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type SwitchboardClient, type SwitchboardError, SwitchboardErrorCode } from '../src/index.ts';
import { FaultServer, openSse, sseEvent, waitUntil } from './support/fault-server.ts';
import { memoryLogger, snapshot, testClient } from './support/fixtures.ts';
import { RoundRobin } from './support/round-robin.ts';

const STREAM = '/api/sdk/stream';
const SNAPSHOT = '/api/sdk/snapshot';
const CHECKOUT: FlagConfig = { key: 'checkout', enabled: true };
/** The broken rules of the fault-injection run, inside an otherwise well-formed flag. */
const BROKEN = JSON.parse('{"key":"checkout","enabled":true,"rules":[null,{"rollout":{"percentage":"abc"}}]}') as FlagConfig;

const clients: SwitchboardClient[] = [];
const servers: Array<{ close(): Promise<void> }> = [];
const open: ServerResponse[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const res of open.splice(0)) res.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fakeServer(): Promise<FaultServer> {
  const s = await FaultServer.start();
  servers.push(s);
  return s;
}

/** Snapshot polling as the real server answers it: 304 for the revision held, else the snapshot with its ETag. */
function answerSnapshot(res: ServerResponse, ifNoneMatch: string | undefined, revision: number, flags: FlagConfig[]): void {
  if (ifNoneMatch === `"${revision}"`) {
    res.writeHead(304).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', etag: `"${revision}"` }).end(JSON.stringify(snapshot(revision, flags)));
}

describe('bad data is rejected whole, keeping the last good state', () => {
  it('rejects a stream patch with broken rules inside a well-formed flag, then a snapshot with them, and reports both', async () => {
    const server = await fakeServer();
    server.on(STREAM, (_req, res, { n }) => {
      openSse(res);
      open.push(res);
      if (n === 1) {
        res.write(sseEvent('snapshot', snapshot(1, [CHECKOUT]), 1));
        setTimeout(() => res.write(sseEvent('patch', { revision: 2, changes: [{ op: 'flag', flag: BROKEN }] }, 2)), 50);
      } else if (n === 2) {
        res.write(sseEvent('snapshot', snapshot(2, [BROKEN]), 2));
      } else {
        res.write(sseEvent('snapshot', snapshot(3, [{ key: 'checkout', enabled: false }]), 3));
      }
    });
    server.on(SNAPSHOT, (_req, res) => res.writeHead(503).end());
    const errors: SwitchboardError[] = [];
    const client = testClient({ url: server.url }, clients).on('error', (e) => errors.push(e));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    expect(client.isEnabled('checkout', {}, false)).toBe(true);

    await waitUntil(() => errors.length >= 1, 2000, 'the patch to be rejected');
    expect(errors[0]?.code).toBe(SwitchboardErrorCode.InvalidData);
    expect(errors[0]?.message).toMatch(/patch event rejected whole.*\/changes\/0\/flag\/rules\/0/);
    expect(client.isEnabled('checkout', {}, false)).toBe(true);
    expect(client.revision).toBe(1);

    await waitUntil(() => errors.length >= 2, 2000, 'the snapshot to be rejected');
    expect(errors[1]?.message).toMatch(/snapshot event rejected whole.*\/flags\/0\/rules\/0/);
    expect(client.isEnabled('checkout', {}, false)).toBe(true);
    // Rejected data is never resumed from: each retry asks for a full snapshot.
    expect(server.requestsTo(STREAM)[1]?.headers['last-event-id']).toBeUndefined();

    await waitUntil(() => client.revision === 3, 2000, 'the good snapshot');
    expect(client.isEnabled('checkout', {}, true)).toBe(false);
  });

  it('rejects a polled snapshot with broken rules', async () => {
    const server = await fakeServer();
    server.on(SNAPSHOT, (req, res, { n }) =>
      answerSnapshot(res, req.headers['if-none-match'], n === 1 ? 1 : 2, n === 1 ? [CHECKOUT] : [BROKEN]),
    );
    const errors: SwitchboardError[] = [];
    const client = testClient({ url: server.url, mode: 'poll', pollIntervalMs: 100 }, clients).on('error', (e) => errors.push(e));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
    await waitUntil(() => errors.length >= 2, 2000, 'two rejected polls');
    expect(errors.every((e) => e.code === SwitchboardErrorCode.InvalidData && /rejected whole/.test(e.message))).toBe(true);
    expect(client.revision).toBe(1);
    expect(client.isEnabled('checkout', {}, false)).toBe(true);
  });

  it('ignores a bootstrap or a cache file with broken rules, with a warning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-hardening-'));
    try {
      const logger = memoryLogger();
      const bootstrapped = testClient({ offline: true, bootstrap: snapshot(4, [BROKEN]), logger }, clients);
      expect(await bootstrapped.ready({ timeoutMs: 200 })).toBe(false);
      expect(logger.at('warn').some((m) => m.includes('bootstrap is not a valid snapshot'))).toBe(true);

      const cacheFile = join(dir, 'flags.json');
      const file = { format: 'switchboard-sdk-cache', version: 1, savedAt: '', source: '', snapshot: snapshot(4, [BROKEN]) };
      await writeFile(cacheFile, JSON.stringify(file));
      const cacheLogger = memoryLogger();
      const cached = testClient({ offline: true, cacheFile, logger: cacheLogger }, clients);
      expect(await cached.ready({ timeoutMs: 500 })).toBe(false);
      expect(cacheLogger.at('warn').some((m) => m.includes('invalid snapshot (/flags/0/rules/0'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('never an older revision than the one held', () => {
  const NEW = (on: boolean): FlagConfig[] => [{ key: 'new-flag', enabled: on }];

  /** Two replicas behind a round-robin balancer, one a revision behind (Redis down: it missed the last change). */
  async function replicas(stream: (res: ServerResponse, revision: number) => void) {
    const ahead = await fakeServer();
    const behind = await fakeServer();
    for (const [replica, revision] of [
      [ahead, 8],
      [behind, 7],
    ] as const) {
      replica.on(SNAPSHOT, (req, res) => answerSnapshot(res, req.headers['if-none-match'], revision, NEW(revision === 8)));
      replica.on(STREAM, (_req, res) => stream(res, revision));
    }
    const balancer = await RoundRobin.start([ahead.url, behind.url]);
    servers.push(balancer);
    return { ahead, behind, balancer };
  }

  /** Every revision the client held, sampled often and at every change. */
  function revisions(client: SwitchboardClient): number[] {
    const seen: number[] = [];
    const sample = () => {
      const r = client.revision;
      if (r !== null && seen.at(-1) !== r) seen.push(r);
    };
    client.on('change', sample).on('ready', sample);
    const timer = setInterval(sample, 2);
    servers.push({ close: async () => clearInterval(timer) });
    return seen;
  }

  const steppedBack = (seen: number[]) => seen.some((r, i) => i > 0 && r < (seen[i - 1] ?? 0));

  it('polling through a round-robin balancer (mode: poll) never goes 8 -> 7', async () => {
    const { behind, balancer } = await replicas(() => {});
    const client = testClient({ url: balancer.url, mode: 'poll', pollIntervalMs: 100 }, clients);
    const seen = revisions(client);
    await waitUntil(
      () => behind.requestsTo(SNAPSHOT).filter((r) => r.headers['if-none-match'] === '"8"').length >= 4,
      4000,
      'polls of the lagging replica',
    );
    expect(steppedBack(seen)).toBe(false);
    expect(client.revision).toBe(8);
    expect(client.isEnabled('new-flag', {})).toBe(true);
  });

  it('the stream and its fallback polling through the balancer never go 8 -> 7', async () => {
    const { ahead, behind, balancer } = await replicas((res, revision) => {
      // Streams that end at once: every reconnect may land on the other replica, and polling starts.
      openSse(res);
      res.end(sseEvent('snapshot', snapshot(revision, NEW(revision === 8)), revision));
    });
    const client = testClient({ url: balancer.url, pollIntervalMs: 100, backoff: { initialMs: 20, maxMs: 60 } }, clients);
    const seen = revisions(client);
    await waitUntil(
      () => behind.requestsTo(STREAM).length >= 4 && behind.requestsTo(SNAPSHOT).length >= 2 && ahead.requestsTo(STREAM).length >= 2,
      5000,
      'streams and polls on both replicas',
    ).catch((error) => {
      throw new Error(`${error.message}: ${[ahead, behind].map((r) => [r.requestsTo(STREAM).length, r.requestsTo(SNAPSHOT).length])}`);
    });
    expect(seen).toContain(8);
    expect(steppedBack(seen)).toBe(false);
    expect(client.revision).toBe(8);
  });

  it('a cache file never replaces a newer bootstrap', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-hardening-'));
    try {
      const cacheFile = join(dir, 'flags.json');
      const file = { format: 'switchboard-sdk-cache', version: 1, savedAt: '', source: '', snapshot: snapshot(4, NEW(false)) };
      await writeFile(cacheFile, JSON.stringify(file));
      const logger = memoryLogger();
      const client = testClient({ offline: true, cacheFile, bootstrap: snapshot(5, NEW(true)), logger }, clients);
      expect(await client.ready()).toBe(true);
      // Offline, the cache is read at once; give it time to arrive.
      await new Promise((r) => setTimeout(r, 200));
      expect(
        logger.at('debug').some((m) => m.includes('cache snapshot at revision 4 is older than the one held (5, from the bootstrap)')),
      ).toBe(true);
      expect(client.revision).toBe(5);
      expect(client.isEnabled('new-flag', {})).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('backoff on streams that end soon after opening', () => {
  it('backs off with growing delays on streams that open and end with retry: 0, and resets after a healthy one', async () => {
    const server = await fakeServer();
    let healthyFrom = Number.POSITIVE_INFINITY;
    server.on(STREAM, (_req, res, { n }) => {
      openSse(res);
      open.push(res);
      res.write(`retry: 0\n\n${sseEvent('snapshot', snapshot(1, []), 1)}`);
      // Ends at once, until the test lets one stay up past resetAfterMs.
      setTimeout(() => res.end(), n >= healthyFrom ? 400 : 5);
    });
    // A fixed jitter (random 0.5: three quarters of each ceiling) makes the delays exact: 120, 240, 480, 960...
    testClient({ url: server.url, random: () => 0.5, backoff: { initialMs: 160, maxMs: 5000, resetAfterMs: 300 } }, clients);
    await new Promise((r) => setTimeout(r, 1500));
    const at = server.requestsTo(STREAM).map((r) => r.at);
    // Without backoff the 100 ms floor alone would allow 15 reconnects in 1.5 s.
    expect(at.length).toBeGreaterThanOrEqual(3);
    expect(at.length).toBeLessThanOrEqual(5);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan((gaps[i - 1] ?? 0) * 1.5);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(450);

    // A stream that stays up past resetAfterMs earns a fresh start: back at the floor (100 ms), not 2 s.
    healthyFrom = at.length + 1;
    await waitUntil(() => server.requestsTo(STREAM).length >= healthyFrom + 1, 5000, 'the reconnect after a healthy stream');
    const [before, after] = server
      .requestsTo(STREAM)
      .slice(healthyFrom - 1)
      .map((r) => r.at);
    expect((after ?? 0) - (before ?? 0)).toBeLessThan(400 + 250);
  });
});

describe('a replica that lost its database', () => {
  it('turns stale within staleAfterMs when streams close and everything answers 503, and recovers when it answers again', async () => {
    const server = await fakeServer();
    let down = false;
    const unavailable = (res: ServerResponse) =>
      res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":{"code":"DATABASE_UNAVAILABLE"}}');
    server.on(STREAM, (_req, res) => {
      if (down) return unavailable(res);
      openSse(res);
      open.push(res);
      res.write(sseEvent('snapshot', snapshot(1, [CHECKOUT]), 1));
    });
    server.on(SNAPSHOT, (req, res) => (down ? unavailable(res) : answerSnapshot(res, req.headers['if-none-match'], 1, [CHECKOUT])));
    const events: string[] = [];
    const client = testClient({ url: server.url, staleAfterMs: 600, pollIntervalMs: 100 }, clients)
      .on('stale', () => events.push('stale'))
      .on('recovered', () => events.push('recovered'));
    expect(await client.ready({ timeoutMs: 2000 })).toBe(true);

    down = true;
    const lostAt = Date.now();
    for (const res of open.splice(0)) res.end();
    await waitUntil(() => client.isStale, 3000, 'stale');
    expect(Date.now() - lostAt).toBeLessThan(600 + 500);
    expect(events).toEqual(['stale']);
    expect(client.isEnabled('checkout', {}, false)).toBe(true);

    down = false;
    await waitUntil(() => !client.isStale, 4000, 'recovered');
    expect(events).toEqual(['stale', 'recovered']);
  });
});

describe('cache temp files left by killed processes', () => {
  const writer = fileURLToPath(new URL('./support/cache-writer.ts', import.meta.url));
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  function startWriter(cacheFile: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, cacheFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.stdout?.once('data', () => resolve(child));
      child.once('exit', (code) => reject(new Error(`cache writer exited early (${code})`)));
    });
  }

  const temps = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.tmp')).sort();

  it('removes, at the next start, the temp files of writers SIGKILLed mid-write, but not those of a live writer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-hardening-'));
    try {
      const cacheFile = join(dir, 'flags.json');
      // Real processes killed mid-write until some left a temp file behind (most do: a write takes a while).
      const killed: number[] = [];
      for (let i = 0; i < 8 && (await temps(dir)).length === 0; i++) {
        const child = await startWriter(cacheFile);
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        killed.push(child.pid ?? 0);
      }
      const leftovers = await temps(dir);
      expect(leftovers.length).toBeGreaterThanOrEqual(1);
      expect(leftovers.every((f) => killed.some((pid) => f.startsWith(`flags.json.${pid}.`)))).toBe(true);

      // A live concurrent writer (this process), its temp file fresh: left alone. The same name an
      // hour old is abandoned, whoever holds the pid now.
      const live = `flags.json.${process.pid}.1.tmp`;
      const abandoned = `flags.json.${process.pid}.2.tmp`;
      await writeFile(join(dir, live), '{');
      await writeFile(join(dir, abandoned), '{');
      const hourAgo = new Date(Date.now() - 3_600_000);
      await utimes(join(dir, abandoned), hourAgo, hourAgo);
      // Not temp files of this cache: never touched.
      await writeFile(join(dir, 'other.json.1.1.tmp'), '{');
      await writeFile(join(dir, 'flags.json.notes.tmp'), '{');

      const logger = memoryLogger();
      const client = testClient({ offline: true, cacheFile, logger }, clients);
      expect(await client.ready({ timeoutMs: 2000 })).toBe(true);
      expect(await temps(dir)).toEqual(['flags.json.notes.tmp', live, 'other.json.1.1.tmp'].sort());
      expect(logger.at('info').some((m) => m.includes(`removed ${leftovers.length + 1} temp file(s)`))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
