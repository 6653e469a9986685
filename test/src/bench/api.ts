import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { formatColumns } from './report.ts';
import { BASE_DATABASE_URL, createCleanups, createDatabase, startServerProcess } from './server-process.ts';

// Usage: pnpm bench:api [--flags N] [--concurrency C] [--seconds D] [--profile DIR] [--json]
//
// Starts the server as a child process on a fresh Postgres database (sb_bench_<random> on
// DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres), creates N flags (default 100),
// then runs C workers (default 16) for D seconds (default 10). Each worker owns its own flags and
// repeats: read a flag's production config (GET), update it with that version (PATCH + If-Match).
// Prints latencies per request kind, updates per second, 412s, errors, and the server's own
// flag-changes counter as a cross-check. The server is stopped and the database dropped in every
// case. Exits 1 when a request failed or the counter disagrees with the updates made.

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    flags: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    /** A folder for a V8 CPU profile of the server (written when it stops). */
    profile: { type: 'string' },
  },
});
const flagCount = Number(args.flags);
const concurrency = Number(args.concurrency);
const seconds = Number(args.seconds);
if (!Number.isInteger(concurrency) || concurrency < 1 || !Number.isInteger(flagCount) || flagCount < concurrency || !(seconds > 0)) {
  console.error('--concurrency must be a whole number >= 1, --flags a whole number >= --concurrency, and --seconds > 0');
  process.exit(2);
}

const ENVIRONMENT = 'production';
/** Issue 19: updates per second from 16 concurrent editors of one environment. */
const UPDATES_GOAL = 200;
const ADMIN = { email: 'bench@example.test', password: randomBytes(12).toString('base64url') };

// Progress goes to stderr and only to a terminal, so stdout stays the table or the JSON alone.
const progress = (message: string) => {
  if (process.stderr.isTTY) process.stderr.write(`${message}\n`);
};

const cleanups = createCleanups();

// ---- HTTP ----

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
  text: string;
}

// node:http on kept-alive sockets, not fetch: the load runs on the server's own 2 cores, and fetch
// took about 40% of one of them at this rate (node:http about half that), CPU the server then lacks.
const agent = new Agent({ keepAlive: true, maxSockets: Math.max(concurrency, 8) });

function call(
  base: string,
  method: string,
  path: string,
  cookie: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      base + path,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(cookie ? { cookie } : {}),
          ...(payload !== undefined || method !== 'GET' ? { 'content-type': 'application/json' } : {}),
          ...(payload !== undefined ? { 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function must(answer: Promise<Answer>, what: string): Promise<Answer> {
  const a = await answer;
  if (a.status >= 300) throw new Error(`${what}: ${a.status} ${a.text.slice(0, 300)}`);
  return a;
}

async function flagChangesCounter(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`switchboard_flag_changes_total{environment="${ENVIRONMENT}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function inPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// ---- measurement ----

interface Tally {
  latencies: number[];
  ok: number;
  stale: number;
  errors: number;
}
const newTally = (): Tally => ({ latencies: [], ok: 0, stale: 0, errors: 0 });
const errorSamples: string[] = [];
function recordError(message: string): void {
  if (errorSamples.length < 10) errorSamples.push(message);
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function summarise(t: Tally, elapsedSeconds: number) {
  const sorted = [...t.latencies].sort((a, b) => a - b);
  const ms = (v: number) => Math.round(v * 100) / 100;
  return {
    requests: t.latencies.length,
    succeeded: t.ok,
    perSecond: Math.round(t.ok / elapsedSeconds),
    p50Ms: ms(percentile(sorted, 50)),
    p95Ms: ms(percentile(sorted, 95)),
    p99Ms: ms(percentile(sorted, 99)),
    maxMs: ms(sorted[sorted.length - 1] ?? Number.NaN),
    stale412: t.stale,
    errors: t.errors,
  };
}

async function run() {
  progress(`creating a database on ${new URL(BASE_DATABASE_URL).host}`);
  const databaseUrl = await createDatabase(cleanups);
  progress('starting the server');
  const { url: base } = await startServerProcess({ databaseUrl, admin: ADMIN, cleanups, profileDir: args.profile });
  cleanups.add('close the client sockets', async () => agent.destroy());

  const login = await must(call(base, 'POST', '/api/admin/login', undefined, ADMIN), 'login');
  const cookie = login.headers['set-cookie']?.[0]?.split(';')[0];
  if (!cookie) throw new Error('login set no cookie');

  progress(`creating ${flagCount} flags`);
  const keys = Array.from({ length: flagCount }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
  await inPool(keys, 8, async (key) => {
    await must(call(base, 'POST', '/api/admin/flags', cookie, { key, name: `Bench ${key}` }), `create ${key}`);
  });

  const counterBefore = await flagChangesCounter(base);
  const reads = newTally();
  const updates = newTally();
  progress(`running ${concurrency} workers for ${seconds} s`);

  const loadAtStart = loadavg();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (w: number) => {
    const mine = keys.filter((_, i) => i % concurrency === w);
    for (let n = 0; performance.now() < deadline; n++) {
      const key = mine[n % mine.length] as string;
      const path = `/api/admin/flags/${key}/environments/${ENVIRONMENT}`;
      let t0 = performance.now();
      let current: { version: number; enabled: boolean };
      try {
        const read = await call(base, 'GET', path, cookie);
        reads.latencies.push(performance.now() - t0);
        if (read.status !== 200) {
          reads.errors++;
          recordError(`GET ${path}: ${read.status} ${read.text.slice(0, 200)}`);
          continue;
        }
        reads.ok++;
        current = read.body;
      } catch (err) {
        reads.errors++;
        recordError(`GET ${path}: ${(err as Error).message}`);
        continue;
      }
      t0 = performance.now();
      try {
        const res = await call(
          base,
          'PATCH',
          path,
          cookie,
          { enabled: !current.enabled, rules: [{ rollout: { percentage: n % 101, stickiness: 'userId' } }] },
          { 'if-match': `"${current.version}"` },
        );
        updates.latencies.push(performance.now() - t0);
        if (res.status === 200) updates.ok++;
        else if (res.status === 412) updates.stale++;
        else {
          updates.errors++;
          recordError(`PATCH ${path}: ${res.status} ${res.text.slice(0, 200)}`);
        }
      } catch (err) {
        updates.errors++;
        recordError(`PATCH ${path}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsedSeconds = (performance.now() - started) / 1000;

  const counterAfter = await flagChangesCounter(base);
  const counterDelta = counterAfter - counterBefore;
  const update = summarise(updates, elapsedSeconds);
  return {
    node: process.version,
    database: 'postgres',
    flags: flagCount,
    concurrency,
    seconds,
    elapsedSeconds: Math.round(elapsedSeconds * 100) / 100,
    goal: { updatesPerSecond: UPDATES_GOAL, met: concurrency === 16 ? update.perSecond >= UPDATES_GOAL : null },
    update,
    read: summarise(reads, elapsedSeconds),
    flagChangesCounter: { environment: ENVIRONMENT, delta: counterDelta, matchesUpdates: counterDelta === updates.ok },
    errorSamples,
    /** os.loadavg() (1, 5, 15 min) when the load began and when it ended: a busy machine's figures are not comparable. */
    loadAverage: { start: loadAtStart, end: loadavg() },
  };
}

type Result = Awaited<ReturnType<typeof run>>;

function formatTable(r: Result): string {
  const header = ['request', 'count', 'ok/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', '412', 'errors'];
  const row = (name: string, s: Result['update']) => [
    name,
    String(s.requests),
    String(s.perSecond),
    s.p50Ms.toFixed(2),
    s.p95Ms.toFixed(2),
    s.p99Ms.toFixed(2),
    s.maxMs.toFixed(2),
    String(s.stale412),
    String(s.errors),
  ];
  const body = [row('PATCH (update)', r.update), row('GET (read version)', r.read)];
  const c = r.flagChangesCounter;
  return [
    `Switchboard admin API, node ${r.node}, Postgres: ${r.concurrency} workers for ${r.elapsedSeconds} s over ${r.flags} flags,`,
    `each repeating GET then PATCH (If-Match) of /api/admin/flags/:key/environments/${ENVIRONMENT}`,
    `goal: at least ${UPDATES_GOAL} updates/s with 16 workers`,
    '',
    formatColumns(header, body),
    '',
    `updates/s: ${r.update.perSecond}${r.goal.met === null ? '' : r.goal.met ? ' (goal met)' : ' (GOAL NOT MET)'}   update p99: ${r.update.p99Ms.toFixed(2)} ms   412 (stale version): ${r.update.stale412}   errors: ${r.update.errors + r.read.errors}`,
    `server flag-changes counter (${c.environment}): +${c.delta}, ${c.matchesUpdates ? 'equal to' : 'DIFFERENT FROM'} the ${r.update.succeeded} updates made`,
    `load average (1, 5, 15 min): ${r.loadAverage.start.map((x) => x.toFixed(2)).join(' ')} at the start, ${r.loadAverage.end.map((x) => x.toFixed(2)).join(' ')} at the end`,
    ...(r.errorSamples.length > 0 ? ['', 'first errors:', ...r.errorSamples.map((e) => `  ${e}`)] : []),
  ].join('\n');
}

let exitCode = 0;
try {
  const result = await run();
  console.log(args.json ? JSON.stringify(result, null, 2) : formatTable(result));
  if (result.update.errors + result.read.errors > 0 || !result.flagChangesCounter.matchesUpdates) exitCode = 1;
} catch (err) {
  console.error(`bench:api failed: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await cleanups.run();
}
process.exit(exitCode);
