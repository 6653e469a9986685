import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createDatabase } from '../support/databases.ts';
import { adminClient, type ServerProcess, startServerProcess } from '../support/server-process.ts';

/**
 * `pnpm bench:fanout [--clients N] [--changes M] [--segment-values V] [--json]`: one replica, N
 * stream clients driven from a separate process, M flag changes. Prints connections held, server
 * memory per connection, and the delay from each admin write's response to each client's receipt
 * of its patch. `--segment-values V` (issue 16: segments of up to 50,000 values) puts a segment of
 * V user ids in the changed flag's rule, so every client's snapshot carries it, and prints the
 * snapshot's size and fetch time.
 */

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const clients = arg('clients', 10_000);
const changes = arg('changes', 20);
// Two load processes read in parallel on two cores; one alone spends ~20 us per socket read.
const processes = Math.max(1, arg('client-processes', 2));
const segmentValues = arg('segment-values', 0);
const asJson = args.includes('--json');
const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const db = await createDatabase(baseUrl, 'sb_fanout');
let server: ServerProcess | undefined;
let children: Array<ReturnType<typeof fork>> = [];

function ask<T>(child: ReturnType<typeof fork>, type: string, message?: object): Promise<T> {
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
try {
  server = await startServerProcess({
    DATABASE_URL: db.url,
    MAX_SERVER_STREAMS: String(clients + 100),
    MAX_STREAMS_PER_KEY: String(clients + 100),
    MAX_STREAMS_PER_ADDRESS: String(clients + 100),
    LOG_LEVEL: 'error',
  });
  const admin = await adminClient(server.url);
  await admin('POST', '/flags', { key: 'fanout' });
  if (segmentValues > 0) {
    const values = Array.from({ length: segmentValues }, (_, i) => `user-${String(i).padStart(8, '0')}`);
    const seg = await admin('POST', '/segments', { key: 'big', conditions: [{ attribute: 'userId', operator: 'IN', values }] });
    if (seg.status !== 201) throw new Error(`segment: ${seg.status}`);
    const rule = await admin('PATCH', '/flags/fanout/environments/production', { rules: [{ segments: ['big'] }] }, { 'if-match': '"1"' });
    if (rule.status !== 200) throw new Error(`rule: ${rule.status}`);
  }
  const key = (await admin('POST', '/keys', { name: 'bench', environment: 'production', kind: 'server' })).body.secret as string;
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
  const reports = await Promise.all(
    children.map((c) => ask<{ delays: number[]; missing: number }>(c, 'delays', { type: 'report', sentAt })),
  );
  const result = { delays: reports.flatMap((r) => r.delays), missing: reports.reduce((n, r) => n + r.missing, 0) };
  const delays = result.delays.sort((x, y) => x - y);
  const figures = {
    clientsRequested: clients,
    clientProcesses: processes,
    connectionsHeld: connected.count,
    connectFailures: connected.failed,
    connectSeconds,
    serverRssBeforeMiB: rssBefore / 1024,
    serverRssAfterMiB: rssAfter / 1024,
    serverKiBPerConnection: (rssAfter - rssBefore) / Math.max(1, connected.count),
    segmentValues,
    snapshotBytes: snapshot.bytes,
    snapshotGzipBytes: snapshot.gzipBytes,
    snapshotFetchMs: snapshot.ms,
    changes,
    deliveries: delays.length,
    missingDeliveries: result.missing,
    delayMs: { p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays.at(-1) ?? Number.NaN },
  };
  if (asJson) {
    console.log(JSON.stringify(figures, null, 2));
  } else {
    const goal = (ok: boolean) => (ok ? 'yes' : 'NO');
    const rows: Array<[string, string, string]> = [
      [
        'connections held',
        `${figures.connectionsHeld} of ${clients} (connected in ${connectSeconds.toFixed(1)} s)`,
        goal(figures.connectionsHeld >= 10_000 || figures.connectionsHeld === clients),
      ],
      ['server RSS', `${figures.serverRssBeforeMiB.toFixed(1)} MiB idle -> ${figures.serverRssAfterMiB.toFixed(1)} MiB with streams`, ''],
      ['server memory per connection', `${figures.serverKiBPerConnection.toFixed(1)} KiB`, goal(figures.serverKiBPerConnection < 20)],
      [
        'snapshot per client',
        `${(snapshot.bytes / 1024).toFixed(1)} KiB (${(snapshot.gzipBytes / 1024).toFixed(1)} KiB gzipped), first fetch ${snapshot.ms.toFixed(0)} ms` +
          (segmentValues > 0 ? `; segment of ${segmentValues} values` : ''),
        '',
      ],
      [
        'patches delivered',
        `${figures.deliveries} (${changes} changes; ${figures.missingDeliveries} missing)`,
        goal(figures.missingDeliveries === 0),
      ],
      ['delay p50', `${figures.delayMs.p50.toFixed(1)} ms`, ''],
      ['delay p99', `${figures.delayMs.p99.toFixed(1)} ms`, goal(figures.delayMs.p99 < 250)],
      ['delay max', `${figures.delayMs.max.toFixed(1)} ms`, ''],
    ];
    console.log(
      `\npnpm bench:fanout: one replica; clients in ${processes} separate process(es); delay = admin response -> patch received\n`,
    );
    console.log(`${'figure'.padEnd(30)} ${'value'.padEnd(62)} goal met`);
    for (const [name, value, ok] of rows) console.log(`${name.padEnd(30)} ${value.padEnd(62)} ${ok}`);
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
  await server?.kill();
  await db.drop();
}
