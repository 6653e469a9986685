import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream, type SseStream } from '../../../server/test/helpers/sse.ts';
import { createDatabase } from '../support/databases.ts';
import { adminClient, type ServerProcess, startServerProcess } from '../support/server-process.ts';

const { DATABASE_URL, REDIS_URL } = process.env;
if (!DATABASE_URL || !REDIS_URL) {
  console.warn(
    '\n*** DATABASE_URL or REDIS_URL is not set: the cross-replica ramp and schedule tests are SKIPPED. .ci/run sets both. ***\n',
  );
}

type Admin = Awaited<ReturnType<typeof adminClient>>;

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every rollout percentage of `flag` the stream delivered, in order. */
function percentagesSeen(stream: SseStream, flag: string): number[] {
  const seen: number[] = [];
  for (const e of stream.events) {
    if (e.event !== 'patch') continue;
    for (const c of JSON.parse(e.data).changes) {
      if (c.op === 'flag' && c.flag.key === flag) seen.push(c.flag.rules[0]?.rollout?.percentage);
    }
  }
  return seen;
}

describe.skipIf(!DATABASE_URL || !REDIS_URL)('ramps and schedules across replicas', () => {
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  let a: ServerProcess;
  let b: ServerProcess;
  let admin: Admin;
  let key: string;
  const streams: SseStream[] = [];

  beforeAll(async () => {
    const db = await createDatabase(DATABASE_URL as string, 'sb_ramps');
    drop = db.drop;
    env = { DATABASE_URL: db.url, REDIS_URL: REDIS_URL as string, SCHEDULER_INTERVAL_MS: '100' };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    admin = await adminClient(a.url);
    await admin('POST', '/flags', { key: 'checkout' });
    await admin(
      'PATCH',
      '/flags/checkout/environments/production',
      { enabled: true, rules: [{ id: 'main', rollout: { percentage: 0 } }] },
      { 'if-match': '"1"' },
    );
    key = (await admin('POST', '/keys', { name: 'sdk', environment: 'production', kind: 'server' })).body.secret;
  }, 90_000);

  afterAll(async () => {
    for (const s of streams) s.close();
    await Promise.all([a?.kill(), b?.kill()]);
    await drop?.();
  });

  it('applies each step of 1% -> 5% -> 25% exactly once with two replicas, and SDK clients see every step', async () => {
    const clients = await Promise.all([a, b].map((s) => openStream(`${s.url}/api/sdk/stream`, { authorization: key })));
    streams.push(...clients);
    await Promise.all(clients.map((c) => c.waitFor((e) => e.event === 'snapshot')));
    const plan = (
      await admin('POST', '/ramps', {
        flag: 'checkout',
        environment: 'production',
        ruleId: 'main',
        steps: [
          { percentage: 1, holdSeconds: 1 },
          { percentage: 5, holdSeconds: 1 },
          { percentage: 25, holdSeconds: 0 },
        ],
      })
    ).body;
    await admin('POST', `/ramps/${plan.id}/start`);
    await until(async () => (await admin('GET', `/ramps/${plan.id}`)).body.state === 'completed', 15_000);
    await until(async () => clients.every((c) => percentagesSeen(c, 'checkout').includes(25)), 5000);
    for (const c of clients) expect(percentagesSeen(c, 'checkout')).toEqual([1, 5, 25]);
    const audit = (await admin('GET', '/flags/checkout/audit?environment=production&limit=200')).body.entries.map(
      (e: { action: string }) => e.action,
    );
    expect(audit.filter((x: string) => x === 'ramp.step')).toHaveLength(3);
    const rampAudit = (await admin('GET', `/audit?resourceType=ramp&resourceKey=${plan.id}`)).body.entries.map(
      (e: { action: string }) => e.action,
    );
    expect(rampAudit.filter((x: string) => x === 'ramp.advanced')).toHaveLength(2);
    expect(rampAudit.filter((x: string) => x === 'ramp.completed')).toHaveLength(1);
  });

  it('rolls the ramp back when a guard signal passes the threshold', async () => {
    const plan = (
      await admin('POST', '/ramps', {
        flag: 'checkout',
        environment: 'production',
        ruleId: 'main',
        steps: [{ percentage: 50, holdSeconds: 3600 }],
        guard: { metric: 'error_rate', comparator: 'gt', threshold: 0.02, action: 'rollback' },
      })
    ).body;
    await admin('POST', `/ramps/${plan.id}/start`);
    const adminB = await adminClient(b.url);
    const signal = await adminB('POST', `/ramps/${plan.id}/signals`, { metric: 'error_rate', value: 0.2 });
    expect(signal.body.ramp).toMatchObject({ state: 'rolled_back' });
    const rule = (await adminB('GET', '/flags/checkout/environments/production')).body.rules[0];
    expect(rule.rollout.percentage).toBe(25);
  });

  it('applies, once, at start-up, a scheduled change whose time passed while every replica was down', async () => {
    const at = new Date(Date.now() + 1500).toISOString();
    const scheduled = (await admin('POST', '/flags/checkout/environments/staging/schedule', { at, patch: { enabled: true } })).body;
    await Promise.all([a.kill(), b.kill()]);
    await new Promise((r) => setTimeout(r, 2000));
    expect(Date.now()).toBeGreaterThan(Date.parse(at));
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    admin = await adminClient(a.url);
    // Readiness waits for the first scheduler pass, so the change is in by now.
    const after = (await admin('GET', `/schedules?flag=checkout&environment=staging`)).body.schedules.find(
      (s: { id: string }) => s.id === scheduled.id,
    );
    expect(after.state).toBe('applied');
    expect((await admin('GET', '/flags/checkout/environments/staging')).body.enabled).toBe(true);
    const applied = (await admin('GET', '/flags/checkout/audit?environment=staging')).body.entries.filter(
      (e: { action: string }) => e.action === 'flag.scheduled_change',
    );
    expect(applied).toHaveLength(1);
  }, 60_000);
});
