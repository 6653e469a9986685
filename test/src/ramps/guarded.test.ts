import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../support/databases.ts';
import { adminClient, type ServerProcess, startServerProcess } from '../support/server-process.ts';

/**
 * Guarded ramps end to end: two server replicas on Postgres + Redis, and two application processes
 * (sdk-node, one on each replica) evaluating a ramping flag for their users and tracking an `errors`
 * event whose rate depends on the result each user got. The guard alone decides: a release that
 * raises the error rate is rolled back (the SDKs receive it; the audit log and a webhook say why);
 * a healthy one advances to 100%.
 */

const { DATABASE_URL, REDIS_URL } = process.env;
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

type Admin = Awaited<ReturnType<typeof adminClient>>;

async function until(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface App {
  child: ChildProcess;
  /** The latest census: how many of its users the SDK has the flag on for. */
  on: () => number | undefined;
  stop: () => Promise<void>;
}

function startApp(env: Record<string, string>): App {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/src/ramps/guard-client.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: number | undefined;
  let buffer = '';
  child.stdout?.on('data', (d) => {
    buffer += d;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) last = JSON.parse(line).on;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    on: () => last,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe.skipIf(!DATABASE_URL || !REDIS_URL)('guarded ramps across replicas, with SDK clients in their own processes', () => {
  let drop: () => Promise<void>;
  let a: ServerProcess;
  let b: ServerProcess;
  let admin: Admin;
  let key: string;
  let receiver: Server;
  const hooks: Array<{ event: string; resource: { key: string }; after: Record<string, unknown> }> = [];
  const apps: App[] = [];

  beforeAll(async () => {
    const db = await createDatabase(DATABASE_URL as string, 'sb_guards');
    drop = db.drop;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: REDIS_URL as string,
      SCHEDULER_INTERVAL_MS: '200',
      USAGE_FLUSH_MS: '250',
      WEBHOOK_POLL_MS: '100',
    };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    admin = await adminClient(a.url);
    for (const flag of ['checkout', 'search']) {
      await admin('POST', '/flags', { key: flag });
      await admin(
        'PATCH',
        `/flags/${flag}/environments/production`,
        { enabled: true, rules: [{ id: 'main', rollout: { percentage: 0 } }] },
        { 'if-match': '"1"' },
      );
    }
    key = (await admin('POST', '/keys', { name: 'sdk', environment: 'production', kind: 'server' })).body.secret;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        hooks.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;
    const hook = await admin('POST', '/webhooks', {
      name: 'ramps',
      url: `http://127.0.0.1:${port}/`,
      events: ['ramp.*'],
      allowPrivate: true,
    });
    expect(hook.status).toBe(201);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(apps.map((x) => x.stop()));
    await Promise.all([a?.kill(), b?.kill()]);
    receiver?.close();
    await drop?.();
  });

  /** One application process per replica, evaluating `flag` with the given error rates. */
  async function startApps(flag: string, errorOn: number, errorOff: number): Promise<App[]> {
    const started = [a, b].map((s, i) =>
      startApp({ URL: s.url, SDK_KEY: key, FLAG: flag, ERROR_ON: String(errorOn), ERROR_OFF: String(errorOff), SEED: `${flag}${i}` }),
    );
    apps.push(...started);
    await until(() => started.every((x) => x.on() === 0), 30_000, 'the SDK clients to start');
    return started;
  }

  it('rolls back by itself when the new result raises the error rate; the SDKs get the rollback, the audit log and a webhook say why', async () => {
    const running = await startApps('checkout', 0.12, 0.02);
    const plan = (
      await admin('POST', '/ramps', {
        flag: 'checkout',
        environment: 'production',
        ruleId: 'main',
        steps: [
          { percentage: 30, holdSeconds: 600 },
          { percentage: 100, holdSeconds: 0 },
        ],
        guard: { kind: 'metric', metric: 'errors', direction: 'lower_is_better', minEffect: 0.2, action: 'rollback' },
      })
    ).body;
    const started = Date.now();
    expect((await admin('POST', `/ramps/${plan.id}/start`)).body.state).toBe('running');
    // The SDKs receive the step (about 30% of their users have it) ...
    await until(() => running.every((x) => (x.on() ?? 0) > 400), 10_000, 'the SDKs to receive the first step');
    await until(async () => (await admin('GET', `/ramps/${plan.id}`)).body.state !== 'running', 30_000, 'the guard to act');
    const caughtIn = Date.now() - started;
    const ramp = (await admin('GET', `/ramps/${plan.id}`)).body;
    expect(ramp.state).toBe('rolled_back');
    expect(ramp.reason).toMatch(/^guard: errors \+\d+\.\d% against control/);
    // ... and the rollback: nobody has it any more.
    await until(() => running.every((x) => x.on() === 0), 10_000, 'the SDKs to receive the rollback');

    const entries = (await admin('GET', '/audit?resourceType=ramp&limit=100')).body.entries.filter(
      (e: { resourceKey: string }) => e.resourceKey === plan.id,
    );
    const rolledBack = entries.filter((e: { action: string }) => e.action === 'ramp.rolled_back');
    expect(rolledBack).toHaveLength(1); // two replicas, exactly once
    const result = rolledBack[0].after.guardResult;
    expect(result).toMatchObject({ metric: 'errors', decision: 'harm', direction: 'lower_is_better', minEffect: 0.2 });
    expect(result.interval.lower).toBeGreaterThan(0.2);
    expect(result.estimate).toBeGreaterThan(result.interval.lower);
    await until(() => hooks.some((h) => h.event === 'ramp.rolled_back' && h.resource.key === plan.id), 10_000, 'the webhook');
    const hook = hooks.find((h) => h.event === 'ramp.rolled_back' && h.resource.key === plan.id);
    expect(hook?.after.reason).toBe(ramp.reason);
    expect(hook?.after.guardResult).toEqual(result);
    const rule = (await admin('GET', '/flags/checkout/environments/production')).body.rules[0];
    expect(rule.rollout.percentage).toBe(0);
    console.log(
      `rolled back ${caughtIn} ms after the start: ${result.treatmentEvents} error events with the new result, ${result.controlEvents} without; estimate +${Math.round(result.estimate * 100)}% (interval +${Math.round(result.interval.lower * 100)}% to +${Math.round(result.interval.upper * 100)}%)`,
    );
    await Promise.all(running.map((x) => x.stop()));
  }, 90_000);

  it('advances a healthy release through its steps to 100%', async () => {
    const running = await startApps('search', 0.03, 0.03);
    const plan = (
      await admin('POST', '/ramps', {
        flag: 'search',
        environment: 'production',
        ruleId: 'main',
        steps: [
          { percentage: 20, holdSeconds: 3 },
          { percentage: 50, holdSeconds: 3 },
          { percentage: 100, holdSeconds: 0 },
        ],
        guard: { kind: 'metric', metric: 'errors', direction: 'lower_is_better', minEffect: 0.2, action: 'rollback' },
      })
    ).body;
    await admin('POST', `/ramps/${plan.id}/start`);
    await until(async () => (await admin('GET', `/ramps/${plan.id}`)).body.state !== 'running', 30_000, 'the plan to finish');
    expect((await admin('GET', `/ramps/${plan.id}`)).body.state).toBe('completed');
    await until(() => running.every((x) => x.on() === 2000), 10_000, 'the SDKs to receive 100%');
    const view = (await admin('GET', `/ramps/${plan.id}/guard`)).body.metrics[0];
    // Once at 100% nobody is left to compare with, so the last minutes may say no_data; never harm.
    expect(view.decision).not.toBe('harm');
    expect(view.treatmentEvents).toBeGreaterThan(0);
    console.log(
      `completed: ${view.treatmentEvents} error events with the new result, ${view.controlEvents} without; decision ${view.decision}`,
    );
    const actions = (await admin('GET', '/audit?resourceType=ramp&limit=100')).body.entries
      .filter((e: { resourceKey: string }) => e.resourceKey === plan.id)
      .map((e: { action: string }) => e.action);
    expect(actions.filter((x: string) => x === 'ramp.advanced')).toHaveLength(2);
    expect(actions).toContain('ramp.completed');
    await Promise.all(running.map((x) => x.stop()));
  }, 90_000);
});
