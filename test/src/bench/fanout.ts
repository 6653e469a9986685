import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createDatabase } from '../support/databases.ts';
import { adminClient, type ServerProcess, startServerProcess } from '../support/server-process.ts';
import { formatColumns } from './report.ts';

/**
 * `pnpm bench:fanout [--clients 10000,20000] [--changes M] [--client-processes P] [--json]`: for
 * each number of clients, one replica (its own server process and database), that many stream
 * clients driven from P separate processes, M flag changes. Prints connections held, server memory
 * per connection, the delay from each admin write's response to each client's receipt of its
 * patch, and where that delay goes: the first client's receipt (database, bus, hub), the server's
 * write loop over every stream (its `switchboard_stream_fanout_seconds`), and the rest (clients
 * reading their sockets, on the same machine). `--segment-values V` (issue 16: segments of up to
 * 50,000 values) puts a segment of V user ids in the changed flag's rule, so every client's
 * snapshot carries it, and prints the snapshot's size and first fetch time.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const list = (name: string, fallback: number[]) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0
    ? String(args[i + 1])
        .split(',')
        .map(Number)
    : fallback;
};
const clientCounts = list('clients', [10_000, 20_000]);
const changes = arg('changes', 20);
const segmentValues = arg('segment-values', 0);
// Two load processes read in parallel on two cores; one alone spends ~20 us per socket read.
const processes = Math.max(1, arg('client-processes', 2));
const asJson = args.includes('--json');
const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The goal of issue 19 for 10,000 streams; runs of other sizes print theirs without one. */
const GOAL = { streams: 10_000, p99Ms: 150, kibPerConnection: 20 };

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** Open files one process may hold here: every stream is one on the server. */
function openFileLimit(): number {
  const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

type Child = ReturnType<typeof fork>;

function ask<T>(child: Child, type: string, message?: object): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    if (message) child.send(message);
  });
}

/** Mean seconds of the server's write loops, from its own histogram. */
async function fanoutSeconds(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { sum: value('switchboard_stream_fanout_seconds_sum'), count: value('switchboard_stream_fanout_seconds_count') };
}

/** The flag the changes toggle and the key the clients stream with. */
async function setUp(admin: Awaited<ReturnType<typeof adminClient>>): Promise<string> {
  await admin('POST', '/flags', { key: 'fanout' });
  if (segmentValues > 0) {
    const values = Array.from({ length: segmentValues }, (_, i) => `user-${String(i).padStart(8, '0')}`);
    const seg = await admin('POST', '/segments', { key: 'big', conditions: [{ attribute: 'userId', operator: 'IN', values }] });
    if (seg.status !== 201) throw new Error(`segment: ${seg.status}`);
    const rule = await admin('PATCH', '/flags/fanout/environments/production', { rules: [{ segments: ['big'] }] }, { 'if-match': '"1"' });
    if (rule.status !== 200) throw new Error(`rule: ${rule.status}`);
  }
  return (await admin('POST', '/keys', { name: 'bench', environment: 'production', kind: 'server' })).body.secret as string;
}

async function run(clients: number) {
  const db = await createDatabase(baseUrl, 'sb_fanout');
  let server: ServerProcess | undefined;
  let children: Child[] = [];
  try {
    server = await startServerProcess({
      DATABASE_URL: db.url,
      MAX_SERVER_STREAMS: String(clients + 100),
      MAX_STREAMS_PER_KEY: String(clients + 100),
      MAX_STREAMS_PER_ADDRESS: String(clients + 100),
      LOG_LEVEL: 'error',
    });
    const admin = await adminClient(server.url);
    const key = await setUp(admin);
    const snapshotStart = performance.now();
    const snapshotText = await (await fetch(`${server.url}/api/sdk/snapshot`, { headers: { authorization: key } })).text();
    const snapshot = {
      ms: performance.now() - snapshotStart,
      bytes: Buffer.byteLength(snapshotText),
      gzipBytes: gzipSync(snapshotText).length,
    };
    // Warm the environment's state so the baseline includes it, then let the heap settle.
    await fetch(`${server.url}/api/sdk/snapshot`, { headers: { authorization: key } });
    await new Promise((r) => setTimeout(r, 1000));
    const pid = server.child.pid as number;
    const rssBefore = rssKiB(pid);

    const connectStart = Date.now();
    const serverUrl = server.url;
    children = Array.from({ length: processes }, (_, i) => {
      const share = Math.floor(clients / processes) + (i < clients % processes ? 1 : 0);
      return fork(fileURLToPath(new URL('./fanout-clients.ts', import.meta.url)), [serverUrl, key, String(share)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
    });
    const counts = await Promise.all(children.map((c) => ask<{ count: number; failed: number }>(c, 'connected')));
    const connected = { count: counts.reduce((n, c) => n + c.count, 0), failed: counts.reduce((n, c) => n + c.failed, 0) };
    const connectSeconds = (Date.now() - connectStart) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    const rssAfter = rssKiB(pid);
    const loopsBefore = await fanoutSeconds(server.url);

    // Nothing else writes: change i lands as revision start + i + 1.
    const start = (
      (await (await fetch(`${server.url}/api/sdk/snapshot`, { headers: { authorization: key } })).json()) as { revision: number }
    ).revision;
    const sentAt: Record<string, number> = {};
    for (let i = 0; i < changes; i++) {
      const current = await admin('GET', '/flags/fanout/environments/production');
      const res = await admin(
        'PATCH',
        '/flags/fanout/environments/production',
        { enabled: i % 2 === 0 },
        { 'if-match': `"${current.body.version}"` },
      );
      const at = performance.timeOrigin + performance.now();
      if (res.status !== 200) throw new Error(`update failed: ${res.status}`);
      sentAt[String(start + i + 1)] = at;
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const loopsAfter = await fanoutSeconds(server.url);
    const reports = await Promise.all(
      children.map((c) =>
        ask<{ delays: number[]; missing: number; firstByRevision: Record<string, number> }>(c, 'delays', { type: 'report', sentAt }),
      ),
    );
    const delays = reports.flatMap((r) => r.delays).sort((x, y) => x - y);
    // Per change, the first client anywhere to get it: what precedes the write loop.
    const firsts = Object.keys(sentAt)
      .map((rev) => Math.min(...reports.map((r) => r.firstByRevision[rev] ?? Number.POSITIVE_INFINITY)))
      .filter(Number.isFinite)
      .sort((x, y) => x - y);
    const loops = loopsAfter.count - loopsBefore.count;
    return {
      clientsRequested: clients,
      clientProcesses: processes,
      connectionsHeld: connected.count,
      connectFailures: connected.failed,
      connectSeconds: round1(connectSeconds),
      serverRssBeforeMiB: round1(rssBefore / 1024),
      serverRssAfterMiB: round1(rssAfter / 1024),
      serverKiBPerConnection: round1((rssAfter - rssBefore) / Math.max(1, connected.count)),
      segmentValues,
      snapshotKiB: round1(snapshot.bytes / 1024),
      snapshotGzipKiB: round1(snapshot.gzipBytes / 1024),
      snapshotFetchMs: round1(snapshot.ms),
      changes,
      deliveries: delays.length,
      missingDeliveries: reports.reduce((n, r) => n + r.missing, 0),
      delayMs: { p50: round1(percentile(delays, 50)), p99: round1(percentile(delays, 99)), max: round1(delays.at(-1) ?? Number.NaN) },
      firstReceiptMsMedian: round1(percentile(firsts, 50)),
      serverWriteLoopMsMean: round1(loops > 0 ? ((loopsAfter.sum - loopsBefore.sum) / loops) * 1000 : Number.NaN),
      serverWriteLoops: loops,
    };
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await server?.kill();
    await db.drop();
  }
}

type Figures = Awaited<ReturnType<typeof run>> & { clientsAsked: number };

function formatTable(runs: Figures[]): string {
  const goalOf = (f: Figures) => f.clientsRequested === GOAL.streams;
  const verdict = (f: Figures, ok: boolean) => (goalOf(f) ? (ok ? ' (goal met)' : ' (GOAL NOT MET)') : '');
  const rows: Array<[string, (f: Figures) => string]> = [
    ['connections held', (f) => `${f.connectionsHeld} of ${f.clientsRequested}`],
    ['connect failures', (f) => String(f.connectFailures)],
    ['connected in', (f) => `${f.connectSeconds.toFixed(1)} s`],
    ['server RSS idle', (f) => `${f.serverRssBeforeMiB.toFixed(1)} MiB`],
    ['server RSS with streams', (f) => `${f.serverRssAfterMiB.toFixed(1)} MiB`],
    [
      'server memory per connection',
      (f) => `${f.serverKiBPerConnection.toFixed(1)} KiB${verdict(f, f.serverKiBPerConnection < GOAL.kibPerConnection)}`,
    ],
    [
      'snapshot per client',
      (f) =>
        `${f.snapshotKiB.toFixed(1)} KiB (${f.snapshotGzipKiB.toFixed(1)} KiB gzipped), first fetch ${f.snapshotFetchMs.toFixed(0)} ms` +
        (f.segmentValues > 0 ? `; segment of ${f.segmentValues} values` : ''),
    ],
    ['patches delivered', (f) => `${f.deliveries} (${f.missingDeliveries} missing)`],
    ['delay p50', (f) => `${f.delayMs.p50.toFixed(1)} ms`],
    ['delay p99', (f) => `${f.delayMs.p99.toFixed(1)} ms${verdict(f, f.delayMs.p99 <= GOAL.p99Ms)}`],
    ['delay max', (f) => `${f.delayMs.max.toFixed(1)} ms`],
    ['  first client, median', (f) => `${f.firstReceiptMsMedian.toFixed(1)} ms`],
    ['  server write loop, mean', (f) => `${f.serverWriteLoopMsMean.toFixed(1)} ms (${f.serverWriteLoops} loops)`],
  ];
  const header = ['figure', ...runs.map((f) => `${f.clientsRequested} streams`)];
  const lines = [
    `pnpm bench:fanout: one replica per run; clients in ${processes} separate process(es) on this machine; ${changes} changes each`,
    'delay = admin response -> patch received by a client; its parts: the first client to get a change (database, bus,',
    "hub), the server's write loop over every stream, and the rest: clients reading their sockets",
    `goal (${GOAL.streams} streams): p99 <= ${GOAL.p99Ms} ms, under ${GOAL.kibPerConnection} KiB per connection`,
    '',
    formatColumns(
      header,
      rows.map(([name, cell]) => [name, ...runs.map(cell)]),
    ),
  ];
  for (const f of runs.filter((r) => r.clientsRequested < r.clientsAsked))
    lines.push(
      '',
      `note: ${f.clientsAsked} streams asked, ${f.clientsRequested} run: one process may hold ${limit} open files here, and the`,
      `server keeps ${OWN_FILES} for its own (database connections, listener)`,
    );
  return lines.join('\n');
}

const limit = openFileLimit();
/**
 * Every stream is an open file of the server process, which also needs some of its own (database
 * connections, the listener): past the limit, accepts fail and, worse, so do new database
 * connections, and the replica ends its streams rather than serve what it cannot confirm.
 */
const OWN_FILES = 200;
const runs: Figures[] = [];
const loadAtStart = loadavg();
for (const requested of clientCounts) {
  const clients = Number.isFinite(limit) ? Math.min(requested, limit - OWN_FILES) : requested;
  if (clients < requested)
    console.error(`bench:fanout: ${requested} streams capped to ${clients}: one process may hold ${limit} open files here`);
  runs.push({ ...(await run(clients)), clientsAsked: requested });
}
const loadAverage = { start: loadAtStart, end: loadavg() };
const loadLine = `load average (1, 5, 15 min): ${loadAverage.start.map((x) => x.toFixed(2)).join(' ')} at the start, ${loadAverage.end.map((x) => x.toFixed(2)).join(' ')} at the end`;
console.log(asJson ? JSON.stringify({ openFileLimit: limit, runs, loadAverage }, null, 2) : `${formatTable(runs)}\n${loadLine}`);
