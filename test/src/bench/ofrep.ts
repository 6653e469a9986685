import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCleanups, createDatabase, type ServerProcess, startServerProcess, stopProcess } from './server-process.ts';

// Usage: pnpm bench:ofrep [--sizes 50,350] [--seconds D] [--connections C] [--no-pin] [--profile DIR] [--json]
//
// Bulk OFREP evaluations per second of one server replica. Starts the server as a child process on
// a fresh Postgres database (sb_bench_<random> on DATABASE_URL), creates 350 client-visible flags of
// five kinds (on for everyone, a plan condition, a 50% rollout on userId, a string split behind a
// country condition, an email condition), and for each size N posts bulk evaluations with a client
// key and 1,000 different random contexts for D seconds (default 10, after 2 s of warm-up) from C
// connections (default 32). N = 350 asks for every flag; a smaller N uses the `flags` filter of the
// browser SDK. The load generator (autocannon) is a process of its own; with taskset (default) the
// server is pinned to CPU 0 and the generator to CPU 1, so the figure is "per core". Prints
// requests/s, flag evaluations/s and p50/p99 latency, with Unleash Edge's published figure as the
// anchor. The server is stopped and the database dropped in every case. Exits 1 on any failed
// request.

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    sizes: { type: 'string', default: '50,350' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    'no-pin': { type: 'boolean', default: false },
    /** A folder for a V8 CPU profile of the server (written when it stops). */
    profile: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const TOTAL_FLAGS = 350;
const sizes = args.sizes.split(',').map(Number);
const seconds = Number(args.seconds);
const connections = Number(args.connections);
if (
  sizes.some((n) => !Number.isInteger(n) || n < 1 || n > TOTAL_FLAGS) ||
  !(seconds > 0) ||
  !Number.isInteger(connections) ||
  connections < 1
) {
  console.error(`--sizes must be whole numbers from 1 to ${TOTAL_FLAGS}, --seconds > 0, --connections a whole number >= 1`);
  process.exit(2);
}
const pin = !args['no-pin'] && existsSync('/usr/bin/taskset');

/** Unleash Edge's published figure for its frontend endpoint (the comparison the issue asks for). */
const ANCHOR = { name: 'Unleash Edge', requestsPerSecond: 6900, features: 350, cpus: 1 };

const ADMIN = { email: 'bench@example.test', password: randomBytes(12).toString('base64url') };
const here = dirname(fileURLToPath(import.meta.url));
const progress = (message: string) => {
  if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
};

const cleanups = createCleanups();

/** `command args` on one CPU when pinning, else as is. */
function spawnOn(cpu: number, command: string, commandArgs: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  return pin ? spawn('taskset', ['-c', String(cpu), command, ...commandArgs], options) : spawn(command, commandArgs, options);
}

/** CPU seconds (user + system) a process has used so far, from /proc; null where there is none. */
function cpuSecondsOf(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = 100;

// ---- seeding ----

async function call(base: string, method: string, path: string, cookie: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { ...headers, cookie, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Five kinds of flags, in turn: what a frontend's flags look like. */
function configOf(i: number): Record<string, unknown> {
  switch (i % 5) {
    case 0:
      return { enabled: true, rules: [] };
    case 1:
      return { enabled: true, rules: [{ id: 'plan', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro', 'team'] }] }] };
    case 2:
      return { enabled: true, rules: [{ id: 'half', rollout: { percentage: 50 } }] };
    case 3:
      return {
        enabled: true,
        variants: ['a', 'b', 'c'].map((name) => ({ name, weight: 1, payload: { type: 'string', value: `value-${name}` } })),
        rules: [{ id: 'eu', conditions: [{ attribute: 'country', operator: 'IN', values: ['de', 'fr', 'at'] }] }],
      };
    default:
      return {
        enabled: true,
        rules: [{ id: 'staff', conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.io'] }] }],
      };
  }
}

async function seed(base: string): Promise<{ clientKey: string; keys: string[] }> {
  const login = await fetch(`${base}/api/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const keys = Array.from({ length: TOTAL_FLAGS }, (_, i) => `bench-flag-${String(i).padStart(3, '0')}`);
  // A few at a time: seeding is not what is measured.
  for (let i = 0; i < keys.length; i += 10) {
    await Promise.all(
      keys.slice(i, i + 10).map(async (key, j) => {
        await call(base, 'POST', '/api/admin/flags', cookie, { key, clientVisible: true });
        await call(base, 'PATCH', `/api/admin/flags/${key}/environments/production`, cookie, configOf(i + j), { 'if-match': '"1"' });
      }),
    );
    progress(`seeded ${Math.min(i + 10, keys.length)}/${keys.length} flags`);
  }
  const key = await call(base, 'POST', '/api/admin/keys', cookie, { name: 'bench-web', environment: 'production', kind: 'client' });
  return { clientKey: key.secret as string, keys };
}

// ---- load ----

function bodiesFor(size: number, keys: string[]): string[] {
  let state = 42;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: 1000 }, (_, i) => {
    const context: Record<string, unknown> = {
      targetingKey: `user-${i}`,
      plan: pick(['free', 'pro', 'team']),
      country: pick(['de', 'us', 'fr', 'jp']),
    };
    if (random() < 0.5) context.email = `user${i}@${pick(['acme.io', 'example.org'])}`;
    return JSON.stringify(size === TOTAL_FLAGS ? { context } : { context, flags: keys.slice(0, size) });
  });
}

interface LoadResult {
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  max: number;
  bytesPerSecond: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

function runLoad(url: string, clientKey: string, bodies: string[], duration: number): Promise<LoadResult> {
  const input = JSON.stringify({
    url,
    headers: { 'x-api-key': clientKey, 'content-type': 'application/json' },
    bodies,
    connections,
    seconds: duration,
  });
  return new Promise((resolve, reject) => {
    const child = spawnOn(1, process.execPath, ['--import', 'tsx', join(here, 'ofrep-load.ts')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin?.end(input);
    cleanups.add('stop the load generator', () => stopProcess(child));
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator failed (${code}): ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as LoadResult);
    });
  });
}

interface Row extends LoadResult {
  flagsPerRequest: number;
  /** Requests per CPU second the server used: what one core sustains, whatever else runs here. */
  requestsPerCpuSecond: number | null;
  flagEvaluationsPerSecond: number;
  vsAnchor: number;
}

async function main(): Promise<void> {
  const loadBefore = Math.round(loadavg()[0] ?? 0);
  progress('creating the database and starting the server');
  const server: ServerProcess = await startServerProcess({
    databaseUrl: await createDatabase(cleanups),
    admin: ADMIN,
    cleanups,
    // The limits would stop a benchmark from one address and one key long before the CPU does.
    env: { OFREP_KEY_RATE: '10000000', OFREP_ADDRESS_RATE: '10000000' },
    profileDir: args.profile,
    spawn: (command, commandArgs, options) => spawnOn(0, command, commandArgs, options),
  });
  const base = server.url;
  const { clientKey, keys } = await seed(base);
  const url = `${base}/ofrep/v1/evaluate/flags`;
  const rows: Row[] = [];
  for (const size of sizes) {
    const bodies = bodiesFor(size, keys);
    // Every answer must be complete before anything is timed.
    const check = await fetch(url, {
      method: 'POST',
      headers: { 'x-api-key': clientKey, 'content-type': 'application/json' },
      body: bodies[0],
    });
    const flags = ((await check.json()) as { flags?: unknown[] }).flags?.length;
    if (check.status !== 200 || flags !== size) throw new Error(`a bulk answer for ${size} flags had ${flags} (HTTP ${check.status})`);
    progress(`${size} flags per request: warming up`);
    await runLoad(url, clientKey, bodies, 2);
    progress(`${size} flags per request: measuring for ${seconds} s`);
    const cpuBefore = cpuSecondsOf(server.pid);
    const result = await runLoad(url, clientKey, bodies, seconds);
    const cpuAfter = cpuSecondsOf(server.pid);
    rows.push({
      ...result,
      flagsPerRequest: size,
      requestsPerCpuSecond: cpuBefore === null || cpuAfter === null ? null : result.total / (cpuAfter - cpuBefore),
      flagEvaluationsPerSecond: result.requestsPerSecond * size,
      vsAnchor:
        (cpuBefore === null || cpuAfter === null ? result.requestsPerSecond : result.total / (cpuAfter - cpuBefore)) /
        ANCHOR.requestsPerSecond,
    });
  }
  const failed = rows.some((r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0);
  const report = {
    node: process.version,
    /** Other work on the machine lowers requests/s; requests per CPU second of the server does not move with it. */
    loadAverageBefore: loadBefore,
    pinned: pin ? 'server on CPU 0, load generator on CPU 1 (taskset)' : 'not pinned',
    connections,
    seconds,
    anchor: ANCHOR,
    rows: rows.map((r) => ({
      ...r,
      requestsPerCpuSecond: r.requestsPerCpuSecond === null ? null : Math.round(r.requestsPerCpuSecond),
      requestsPerSecond: Math.round(r.requestsPerSecond),
      flagEvaluationsPerSecond: Math.round(r.flagEvaluationsPerSecond),
      vsAnchor: Math.round(r.vsAnchor * 100) / 100,
    })),
  };
  if (args.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const header = [
      'flags/request',
      'requests/s',
      'requests/CPU-s',
      'flag evaluations/s',
      'p50 ms',
      'p99 ms',
      'failed',
      `vs ${ANCHOR.name}`,
    ];
    const body = report.rows.map((r) => [
      String(r.flagsPerRequest),
      r.requestsPerSecond.toLocaleString('en-US'),
      r.requestsPerCpuSecond === null ? 'n/a' : r.requestsPerCpuSecond.toLocaleString('en-US'),
      r.flagEvaluationsPerSecond.toLocaleString('en-US'),
      String(r.p50),
      String(r.p99),
      String(r.non2xx + r.errors + r.timeouts),
      `${r.vsAnchor.toFixed(2)}x`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    console.log(
      `OFREP bulk evaluation, one replica (${report.pinned}), ${connections} connections, ${seconds} s per size, Node ${process.version}`,
    );
    console.log(line(header));
    for (const row of body) console.log(line(row));
    console.log(
      `requests/CPU-s: requests per CPU second the server process used (load average ${report.loadAverageBefore} on ${cpus().length} CPUs at the start).`,
    );
    console.log(
      `Anchor: ${ANCHOR.name} publishes ${ANCHOR.requestsPerSecond.toLocaleString('en-US')} requests/s on ${ANCHOR.cpus} CPU for its frontend endpoint with ${ANCHOR.features} features (the goal: beat it per core).`,
    );
  }
  if (failed) {
    console.error('some requests failed (non-2xx, errors or timeouts): see the table');
    process.exitCode = 1;
  }
}

main()
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(() => cleanups.run());
