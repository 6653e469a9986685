import { createClient, type Logger, type SwitchboardClient } from '@switchboard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../support/databases.ts';
import { adminClient, type ServerProcess, startServerProcess } from '../support/server-process.ts';

const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) {
  console.warn('\n*** DATABASE_URL or REDIS_URL is not set: the Node SDK recovery test is SKIPPED. .ci/run sets both. ***\n');
}

interface Answer {
  path: string;
  status: number;
  at: number;
}

/** The real fetch, noting what each request was answered (the test reads when the stream came back). */
function recordingFetch(answers: Answer[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    answers.push({ path: new URL(String(input)).pathname, status: res.status, at: Date.now() });
    return res;
  };
}

const quiet: Logger = { warn: () => {}, error: () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

describe.skipIf(!DATABASE_URL || !REDIS_URL)('Node SDK recovery after a server outage (server process, Postgres + Redis)', () => {
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  let key: string;
  let client: SwitchboardClient | undefined;

  beforeAll(async () => {
    const db = await createDatabase(DATABASE_URL as string, 'sb_sdk_recovery');
    drop = db.drop;
    env = { DATABASE_URL: db.url, REDIS_URL: REDIS_URL as string };
    server = await startServerProcess(env);
    const admin = await adminClient(server.url);
    await admin('POST', '/flags', { key: 'checkout' });
    key = (await admin('POST', '/keys', { name: 'backend', environment: 'production', kind: 'server' })).body.secret;
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await server?.kill();
    await drop?.();
  });

  it('streams again at once when the server is back, reports recovered only then, and a change made 1 s after the restart arrives within 3 s', async () => {
    const running = server as ServerProcess;
    const answers: Answer[] = [];
    const events: Array<{ name: string; at: number }> = [];
    client = createClient({
      url: running.url,
      sdkKey: key,
      // The stream's delay doubles from 2-4 s; the server comes back once it has reached 8-16 s.
      backoff: { initialMs: 4000 },
      pollIntervalMs: 1000,
      staleAfterMs: 1500,
      metrics: false,
      logger: quiet,
      fetch: recordingFetch(answers),
    });
    for (const name of ['stale', 'recovered'] as const) client.on(name, () => events.push({ name, at: Date.now() }));
    let longestRetry = 0;
    client.on('error', (error) => {
      longestRetry = Math.max(longestRetry, error.retryInMs ?? 0);
    });
    expect(await client.ready({ timeoutMs: 10_000 })).toBe(true);
    expect(client.isEnabled('checkout')).toBe(false);

    await running.stop();
    // Polls fail too, but retry within the poll interval: only a stream failure waits 8 s or more.
    await waitUntil(() => longestRetry >= 8000, 20_000, 'the stream backing off 8 s or more');
    expect(client.isStale).toBe(true);
    expect(events.map((e) => e.name)).toEqual(['stale']);

    const restartBegan = Date.now();
    server = await startServerProcess(env, running.port);
    const restartedAt = Date.now();
    const admin = await adminClient(server.url);
    await sleep(Math.max(0, restartedAt + 1000 - Date.now()));
    const current = await admin('GET', '/flags/checkout/environments/production');
    const changedAt = Date.now();
    const res = await admin(
      'PATCH',
      '/flags/checkout/environments/production',
      { enabled: true },
      { 'if-match': `"${current.body.version}"` },
    );
    expect(res.status).toBe(200);

    await waitUntil(() => client?.isEnabled('checkout') === true, 3000, 'the change made after the restart');
    expect(Date.now() - changedAt).toBeLessThan(3000);

    // The stream is back within a poll interval of the restart, not after the backoff grown in the outage.
    // (Without the early retry it would come back 8 s or more after its last failure, so 5 s or more after this.)
    const streamBack = answers.find((a) => a.path === '/api/sdk/stream' && a.status === 200 && a.at > restartBegan);
    expect(streamBack, JSON.stringify(answers.slice(-6))).toBeDefined();
    expect((streamBack as Answer).at - restartedAt).toBeLessThan(2000);

    // Healthy again only once the stream delivers: after a successful poll, `recovered` waits for it.
    await waitUntil(() => events.some((e) => e.name === 'recovered'), 2000, 'recovered');
    const recovered = events.find((e) => e.name === 'recovered') as { at: number };
    const firstPollBack = answers.find((a) => a.path === '/api/sdk/snapshot' && (a.status === 200 || a.status === 304));
    expect(firstPollBack).toBeDefined();
    expect((firstPollBack as Answer).at).toBeLessThanOrEqual((streamBack as Answer).at);
    expect(recovered.at).toBeGreaterThanOrEqual((streamBack as Answer).at);
    expect(client.isStale).toBe(false);
  });
});
