import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient, type SwitchboardClient } from '@switchboard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../support/databases.ts';
import { ADMIN, freePort, type ServerProcess, startServerProcess } from '../support/server-process.ts';
import { RelayMode, startTcpRelay, type TcpRelay } from '../support/tcp-relay.ts';

const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) {
  console.warn('\n*** DATABASE_URL or REDIS_URL is not set: the database fault tests are SKIPPED. .ci/run sets both. ***\n');
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Short intervals and timeouts, so an outage is noticed and survived in seconds. */
const FAST = {
  DELIVERY_CHECK_MS: '500',
  DELIVERY_STALE_CHECKS: '3',
  HEARTBEAT_MS: '500',
  DATABASE_CONNECT_TIMEOUT_MS: '1000',
  DATABASE_QUERY_TIMEOUT_MS: '1500',
  DATABASE_STATEMENT_TIMEOUT_MS: '1000',
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '2000',
};

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Run {
  code: number | null;
  output: string;
  ms: number;
}

/**
 * Runs `server/src/main.ts` until it exits: exit code, everything printed, how long it took.
 * `matched` resolves once the output satisfies `until`.
 */
function runServer(
  env: Record<string, string>,
  until: (output: string) => boolean = () => false,
): { exited: Promise<Run>; matched: Promise<void>; kill(): void } {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, LOG_LEVEL: 'warn', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let matched: () => void = () => {};
  const matchedPromise = new Promise<void>((resolve) => {
    matched = resolve;
  });
  const onData = (d: Buffer) => {
    output += d;
    if (until(output)) matched();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const killer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  const exited = new Promise<Run>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, output, ms: Date.now() - started });
    }),
  );
  return { exited, matched: matchedPromise, kill: () => child.kill('SIGKILL') };
}

const runToExit = (env: Record<string, string>) => runServer(env).exited;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: any;
}

/** An admin session whose answers keep their status and `Retry-After`, whatever they are. */
async function adminSession(url: string) {
  const login = await fetch(`${url}/api/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (!login.ok) throw new Error(`login failed: ${login.status}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${url}/api/admin${path}`, {
      method,
      headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text ? JSON.parse(text) : undefined };
  };
}
type Admin = Awaited<ReturnType<typeof adminSession>>;

async function setEnabled(admin: Admin, flag: string, enabled: boolean): Promise<Answer> {
  const current = await admin('GET', `/flags/${flag}/environments/production`);
  if (current.status !== 200) return current;
  return admin('PATCH', `/flags/${flag}/environments/production`, { enabled }, { 'if-match': `"${current.body.version}"` });
}

async function status(url: string, path: string): Promise<number> {
  try {
    return (await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5000) })).status;
  } catch {
    return 0;
  }
}

describe.skipIf(!DATABASE_URL || !REDIS_URL)('start-up against a database that cannot be reached (TCP relay)', () => {
  let drop: () => Promise<void>;
  let dbUrl: string;
  const relays: TcpRelay[] = [];
  const target = new URL(DATABASE_URL ?? 'postgres://127.0.0.1:5432');
  const relayIn = async (mode: RelayMode) => {
    const r = await startTcpRelay({ host: target.hostname, port: Number(target.port || 5432) });
    relays.push(r);
    await r.setMode(mode);
    return r;
  };

  beforeAll(async () => {
    ({ url: dbUrl, drop } = await createDatabase(DATABASE_URL as string, 'sb_dbstart'));
  });
  afterAll(async () => {
    for (const r of relays) await r.close();
    await drop?.();
  });

  it('gives up fast, in one readable line, on a refused or a silent database', async () => {
    const [refusing, silent] = [await relayIn(RelayMode.Refuse), await relayIn(RelayMode.Blackhole)];
    // What loading the server costs on this machine right now: a start that fails on its configuration.
    const [baseline, refused, blackholed] = await Promise.all([
      runToExit({ ...FAST, DATABASE_URL: dbUrl, DELIVERY_CHECK_MS: 'soon', DATABASE_QUERY_TIMEOUT_MS: '-1' }),
      runToExit({ ...FAST, DATABASE_URL: refusing.urlFor(dbUrl) }),
      runToExit({ ...FAST, DATABASE_URL: silent.urlFor(dbUrl) }),
    ]);
    expect(baseline.code).toBe(2);
    expect(baseline.output).toContain('DATABASE_QUERY_TIMEOUT_MS must be an integer from 100 to 3600000, got "-1"');
    for (const run of [refused, blackholed]) {
      expect(run.code).toBe(1);
      expect(run.output.trim().split('\n')).toHaveLength(1);
      expect(run.output).not.toMatch(/^\s+at /m);
      // Within the connect timeout (1 s) of a start that does not touch the database, give or take.
      expect(run.ms).toBeLessThan(baseline.ms + 6000);
    }
    expect(refused.output).toMatch(/^Switchboard cannot start: the database at 127\.0\.0\.1:\d+\/sb_dbstart\w* refused the connection$/m);
    expect(blackholed.output).toMatch(
      /^Switchboard cannot start: the database at 127\.0\.0\.1:\d+\/sb_dbstart\w* did not answer within 1000 ms \(DATABASE_CONNECT_TIMEOUT_MS\)$/m,
    );
  }, 60_000);

  it('waits for a database that comes up late when DATABASE_CONNECT_RETRY_MS says so', async () => {
    const late = await relayIn(RelayMode.Refuse);
    const port = await freePort();
    const run = runServer({ ...FAST, DATABASE_URL: late.urlFor(dbUrl), DATABASE_CONNECT_RETRY_MS: '60000', PORT: String(port) }, (output) =>
      output.includes('Waiting up to 60000 ms (DATABASE_CONNECT_RETRY_MS) for the database at 127.0.0.1:'),
    );
    try {
      await Promise.race([
        run.matched,
        run.exited.then((r) => {
          throw new Error(`the server exited with ${r.code}:\n${r.output}`);
        }),
      ]);
      await late.setMode(RelayMode.Pass);
      await waitUntil(async () => (await status(`http://127.0.0.1:${port}`, '/readyz')) === 200, 30_000, 'the server to be ready');
    } finally {
      run.kill();
    }
    expect(await run.exited).toMatchObject({ code: null });
  }, 60_000);
});

describe.skipIf(!DATABASE_URL || !REDIS_URL)('a replica whose database goes away (TCP relay in front of Postgres)', () => {
  let drop: () => Promise<void>;
  let dbUrl: string;
  const relays: TcpRelay[] = [];
  let relay: TcpRelay;
  let a: ServerProcess;
  let b: ServerProcess;
  let adminA: Admin;
  let adminB: Admin;
  let serverKey: string;
  const clients: SwitchboardClient[] = [];
  const sdkLog: string[] = [];
  const target = new URL(DATABASE_URL ?? 'postgres://127.0.0.1:5432');
  const newRelay = async () => {
    const r = await startTcpRelay({ host: target.hostname, port: Number(target.port || 5432) });
    relays.push(r);
    return r;
  };
  const everyClient = (check: (c: SwitchboardClient) => boolean) => clients.every(check);

  beforeAll(async () => {
    const db = await createDatabase(DATABASE_URL as string, 'sb_dbfault');
    drop = db.drop;
    dbUrl = db.url;
    relay = await newRelay();
    // A reaches Postgres directly; B only through the relay, which the tests cut.
    [a, b] = await Promise.all([
      startServerProcess({ ...FAST, DATABASE_URL: dbUrl, REDIS_URL: REDIS_URL as string }),
      startServerProcess({ ...FAST, DATABASE_URL: relay.urlFor(dbUrl), REDIS_URL: REDIS_URL as string }),
    ]);
    adminA = await adminSession(a.url);
    adminB = await adminSession(b.url);
    for (const key of ['checkout', 'search']) await adminA('POST', '/flags', { key });
    serverKey = (await adminA('POST', '/keys', { name: 'backend', environment: 'production', kind: 'server' })).body.secret;
    for (let i = 0; i < 4; i++) {
      const client = createClient({
        url: b.url,
        sdkKey: serverKey,
        metrics: false,
        backoff: { initialMs: 200, maxMs: 1000 },
        pollIntervalMs: 1000,
        requestTimeoutMs: 2000,
        heartbeatTimeoutMs: 3000,
        staleAfterMs: 2500,
        logger: {
          debug: () => {},
          info: (m) => i === 0 && sdkLog.push(`info ${m}`),
          warn: (m) => i === 0 && sdkLog.push(`warn ${m}`),
          error: (m) => i === 0 && sdkLog.push(`error ${m}`),
        },
      });
      clients.push(client);
    }
    expect(await Promise.all(clients.map((c) => c.ready({ timeoutMs: 10_000 })))).toEqual(clients.map(() => true));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([a?.kill(), b?.kill()]);
    for (const r of relays) await r.close();
    await drop?.();
    if (sdkLog.length > 0) console.info(`What the first SDK client logged:\n  ${sdkLog.join('\n  ')}`);
  });

  it('answers 503 with Retry-After while the database is away, says not ready, and its SDK clients go stale; back within 10 s', async () => {
    await relay.setMode(RelayMode.Refuse);
    const refusedWrite = await setEnabled(adminB, 'checkout', true);
    expect(refusedWrite.status).toBe(503);
    expect(refusedWrite.retryAfter).toMatch(/^\d+$/);
    expect(refusedWrite.body.error.code).toBe('DATABASE_UNAVAILABLE');
    await waitUntil(async () => (await status(b.url, '/readyz')) === 503, 5000, 'B to say it is not ready');
    expect(await status(b.url, '/healthz')).toBe(200);

    // Now the database goes silent: connections hang rather than fail.
    await relay.setMode(RelayMode.Blackhole);
    const started = Date.now();
    const write = await adminB('POST', '/flags', { key: 'written-during-the-outage' });
    expect(write.status).toBe(503);
    expect(write.retryAfter).toMatch(/^\d+$/);
    expect(write.body.error.code).toBe('DATABASE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
    const read = await adminB('GET', '/flags');
    expect([read.status, read.body.error.code]).toEqual([503, 'DATABASE_UNAVAILABLE']);
    const snapshot = await fetch(`${b.url}/api/sdk/snapshot`, { headers: { authorization: serverKey } });
    expect(snapshot.status).toBe(503);
    expect(snapshot.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await status(b.url, '/readyz')).toBe(503);

    // An edit through A, which B cannot read: B's clients must not pass the old value off as current.
    expect((await setEnabled(adminA, 'checkout', true)).status).toBe(200);
    await waitUntil(() => everyClient((c) => c.isStale || c.isEnabled('checkout')), 10_000, 'every client of B to be stale or current');
    expect(everyClient((c) => c.isStale)).toBe(true);
    expect(sdkLog.some((line) => line.startsWith('warn no word from the server'))).toBe(true);

    // The database comes back (the connections that went silent stay silent).
    await relay.setMode(RelayMode.Pass);
    const back = Date.now();
    expect((await setEnabled(adminA, 'search', true)).status).toBe(200);
    await waitUntil(
      () => everyClient((c) => !c.isStale && c.isEnabled('checkout') && c.isEnabled('search')),
      10_000,
      "B's clients to receive both edits",
    );
    await waitUntil(async () => (await status(b.url, '/readyz')) === 200, 10_000 - (Date.now() - back), 'B to be ready');
    expect((await setEnabled(adminB, 'checkout', false)).status).toBe(200);
    expect(Date.now() - back).toBeLessThan(10_000);
  }, 60_000);

  it('recovers within 10 s of a failover: the old connections stay silent, new ones work', async () => {
    await waitUntil(() => everyClient((c) => !c.isEnabled('checkout')), 5000, 'the last edit to reach every client');
    await relay.setMode(RelayMode.Failover);
    const at = Date.now();
    expect((await setEnabled(adminA, 'checkout', true)).status).toBe(200);
    await waitUntil(() => everyClient((c) => c.isEnabled('checkout') || c.isStale), 10_000, "B's clients to get the edit or go stale");
    await waitUntil(() => everyClient((c) => c.isEnabled('checkout') && !c.isStale), 10_000 - (Date.now() - at), 'the edit on B');
    await waitUntil(async () => (await setEnabled(adminB, 'search', false)).status === 200, 10_000 - (Date.now() - at), 'a write on B');
    expect(await status(b.url, '/readyz')).toBe(200);
    expect(Date.now() - at).toBeLessThan(10_000);
  }, 30_000);
});
