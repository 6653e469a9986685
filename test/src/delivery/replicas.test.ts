import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream, type SseStream } from '../../../server/test/helpers/sse.ts';
import { createDatabase } from '../support/databases.ts';
import { mirrorOf } from '../support/flag-mirror.ts';
import { adminClient, freePort, type ServerProcess, startServerProcess } from '../support/server-process.ts';

const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) {
  console.warn('\n*** DATABASE_URL or REDIS_URL is not set: the cross-replica delivery tests are SKIPPED. .ci/run sets both. ***\n');
}

type Admin = Awaited<ReturnType<typeof adminClient>>;

async function toggle(admin: Admin, flag: string, enabled: boolean): Promise<number> {
  const current = await admin('GET', `/flags/${flag}/environments/production`);
  const res = await admin('PATCH', `/flags/${flag}/environments/production`, { enabled }, { 'if-match': `"${current.body.version}"` });
  if (res.status !== 200) throw new Error(`toggle failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.version;
}

async function snapshotOf(url: string, key: string): Promise<{ revision: number; flags: Array<{ key: string; enabled: boolean }> }> {
  return (await (await fetch(`${url}/api/sdk/snapshot`, { headers: { authorization: key } })).json()) as never;
}

describe.skipIf(!DATABASE_URL || !REDIS_URL)('delivery across replicas (Postgres + Redis)', () => {
  let drop: () => Promise<void>;
  let dbUrl: string;
  let a: ServerProcess;
  let b: ServerProcess;
  let adminA: Admin;
  let adminB: Admin;
  let key: string;
  const streams: SseStream[] = [];
  const open = async (url: string, headers: Record<string, string> = {}) => {
    const s = await openStream(`${url}/api/sdk/stream`, { authorization: key, ...headers });
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    const db = await createDatabase(DATABASE_URL as string, 'sb_replicas');
    drop = db.drop;
    dbUrl = db.url;
    const env = { DATABASE_URL: dbUrl, REDIS_URL: REDIS_URL as string, DELIVERY_CHECK_MS: '5000' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    adminA = await adminClient(a.url);
    adminB = await adminClient(b.url);
    for (const flag of ['checkout', 'search']) await adminA('POST', '/flags', { key: flag });
    key = (await adminA('POST', '/keys', { name: 'backend', environment: 'production', kind: 'server' })).body.secret;
  }, 90_000);

  afterAll(async () => {
    for (const s of streams) s.close();
    await Promise.all([a?.kill(), b?.kill()]);
    await drop?.();
  });

  it('brings a change made through replica A to the stream clients of replica B', async () => {
    const clients = await Promise.all([open(b.url), open(b.url), open(b.url)]);
    await Promise.all(clients.map((c) => c.waitFor((e) => e.event === 'snapshot')));
    const started = Date.now();
    await toggle(adminA, 'checkout', true);
    await Promise.all(clients.map((c) => c.waitFor((e) => e.event === 'patch' && e.data.includes('"checkout"'), 5000)));
    // Through Redis, not the periodic check (every 5 s here).
    expect(Date.now() - started).toBeLessThan(900);
    for (const c of clients) expect(mirrorOf(c.events).enabled.get('checkout')).toBe(true);
  });

  it('loses no change when replica A dies: a client resuming on B gets exactly the missed patches', async () => {
    const client = await open(a.url);
    await client.waitFor((e) => e.event === 'snapshot');
    await toggle(adminA, 'search', true);
    await client.waitFor((e) => e.event === 'patch' && e.data.includes('"search"'));
    const seen = mirrorOf(client.events);

    await a.kill();
    await client.closed;
    const missed = [await toggle(adminB, 'search', false), await toggle(adminB, 'checkout', false), await toggle(adminB, 'search', true)];
    expect(missed).toHaveLength(3);

    const resumed = await open(b.url, { 'last-event-id': String(seen.revision) });
    await resumed.waitFor((_e, all) => all.length >= 3);
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.events.map((e) => [e.event, Number(e.id)])).toEqual([
      ['patch', seen.revision + 1],
      ['patch', seen.revision + 2],
      ['patch', seen.revision + 3],
    ]);
    const after = mirrorOf(resumed.events, seen);
    const truth = await snapshotOf(b.url, key);
    expect(after.revision).toBe(truth.revision);
    expect(Object.fromEntries(after.enabled)).toEqual(
      Object.fromEntries(truth.flags.map((f: { key: string; enabled: boolean }) => [f.key, f.enabled])),
    );
  });

  it('converges every client within 10 s through the revision check while Redis is down', async () => {
    // A Redis of this test's own, so stopping it disturbs nothing else on the machine.
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const redisUrl = `redis://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 300));
    const env = { DATABASE_URL: dbUrl, REDIS_URL: redisUrl, DELIVERY_CHECK_MS: '2000' };
    const [c, d] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    try {
      const adminC = await adminClient(c.url);
      const clients = await Promise.all([open(d.url), open(d.url), open(c.url)]);
      await Promise.all(clients.map((s) => s.waitFor((e) => e.event === 'snapshot')));
      redis.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await toggle(adminC, 'checkout', true);
      await toggle(adminC, 'search', false);
      const truth = await snapshotOf(c.url, key);
      await Promise.all(clients.map((s) => s.waitFor(() => mirrorOf(s.events).revision >= truth.revision, 10_000)));
      expect(Date.now() - started).toBeLessThan(10_000);
      for (const s of clients) {
        const m = mirrorOf(s.events);
        expect([m.enabled.get('checkout'), m.enabled.get('search')]).toEqual([true, false]);
      }
    } finally {
      redis.kill('SIGKILL');
      await Promise.all([c.kill(), d.kill()]);
    }
  });
});
