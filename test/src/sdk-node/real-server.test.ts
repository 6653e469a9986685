import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSnapshot, evaluate, type SnapshotPayload } from '@switchboard/core';
import { allOperators } from '@switchboard/core/operators';
import {
  type ChangeEvent,
  type ClientOptions,
  createClient,
  type Logger,
  type SwitchboardClient,
  type SwitchboardError,
  SwitchboardErrorCode,
} from '@switchboard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';

if (!DATABASE_URL)
  console.warn('\n*** DATABASE_URL is not set: the Node SDK tests against a real server are SKIPPED. .ci/run sets it. ***\n');

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (message: string) => {
    lines.push(`${level} ${message}`);
  };
  return { lines, debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!DATABASE_URL)('Node SDK against a real server (Postgres)', () => {
  let server: TestServer;
  let cookie: string;
  let serverKey: string;
  let serverKeyId: string;
  let clientKey: string;
  const clients: SwitchboardClient[] = [];
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { body, cookie, headers });
  const configure = async (flag: string, config: Record<string, unknown>) => {
    const version = (await admin('GET', `/flags/${flag}/environments/production`)).body.version as number;
    const res = await admin('PATCH', `/flags/${flag}/environments/production`, config, { 'if-match': `"${version}"` });
    if (res.status !== 200) throw new Error(`configure ${flag}: ${res.status} ${res.text}`);
  };
  const client = (options: Partial<ClientOptions> = {}) => {
    const c = createClient({
      url: server.url,
      sdkKey: serverKey,
      backoff: { initialMs: 50, maxMs: 200 },
      logger: memoryLogger(),
      ...options,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startTestServer({ env: { DELIVERY_CHECK_MS: '300', HEARTBEAT_MS: '200', USAGE_FLUSH_MS: '200' } });
    cookie = await server.login();
    await admin('POST', '/segments', {
      key: 'staff',
      conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.io'] }],
    });
    for (const key of ['checkout', 'banner', 'search']) await admin('POST', '/flags', { key });
    await configure('checkout', {
      enabled: true,
      rules: [
        { id: 'staff', segments: ['staff'] },
        { id: 'ramp', rollout: { percentage: 30, stickiness: 'userId' } },
      ],
    });
    await configure('banner', {
      enabled: true,
      variants: [
        { name: 'blue', weight: 1, payload: { type: 'string', value: '#00f' } },
        { name: 'gold', weight: 3, payload: { type: 'string', value: '#fc0' } },
      ],
    });
    const created = (await admin('POST', '/keys', { name: 'sdk-node', environment: 'production', kind: 'server' })).body;
    serverKey = created.secret;
    serverKeyId = created.id;
    clientKey = (await admin('POST', '/keys', { name: 'web', environment: 'production', kind: 'client' })).body.secret;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  it('evaluates what the server delivers over the stream exactly as core does on the same snapshot', async () => {
    const c = client();
    expect(await c.ready({ timeoutMs: 5000 })).toBe(true);
    expect(c.source).toBe('server');
    const truth = (await server.request('GET', '/api/sdk/snapshot', { token: serverKey })).body as SnapshotPayload;
    expect(c.revision).toBe(truth.revision);
    const compiled = compileSnapshot(truth, allOperators);
    for (let i = 0; i < 300; i++) {
      const ctx = { userId: `user-${i}`, properties: { email: i % 10 === 0 ? `u${i}@acme.io` : `u${i}@example.com` } };
      for (const flag of ['checkout', 'banner', 'search']) expect(c.evaluate(flag, ctx)).toEqual(evaluate(compiled, flag, ctx));
    }
    expect(c.isEnabled('checkout', { userId: 'x', properties: { email: 'ceo@acme.io' } })).toBe(true);
    expect(c.evaluate('checkout', { userId: 'x', properties: { email: 'ceo@acme.io' } }).ruleId).toBe('staff');
  });

  it('applies a change made in the admin API within moments, naming the flag', async () => {
    const c = client();
    await c.ready({ timeoutMs: 5000 });
    const changes: ChangeEvent[] = [];
    c.on('change', (e) => changes.push(e));
    const started = Date.now();
    await configure('search', { enabled: true });
    await waitUntil(() => changes.length > 0, 3000, 'the change');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(changes[0]?.flags).toEqual(['search']);
    expect(c.isEnabled('search', {})).toBe(true);
    // A segment change names the flags that use it.
    const segment = (await admin('GET', '/segments/staff')).body;
    const res = await admin(
      'PATCH',
      '/segments/staff',
      { conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@acme.com'] }] },
      { 'if-match': `"${segment.version}"` },
    );
    expect(res.status).toBe(200);
    await waitUntil(() => changes.some((e) => e.flags.includes('checkout')), 3000, 'the segment change');
    expect(c.evaluate('checkout', { userId: 'x', properties: { email: 'ceo@acme.com' } }).ruleId).toBe('staff');
  });

  it('keeps a stream alive on heartbeats past the heartbeat timeout', async () => {
    const errors: SwitchboardError[] = [];
    const c = client({ heartbeatTimeoutMs: 700 }).on('error', (e) => errors.push(e));
    await c.ready({ timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 1600));
    expect(errors).toEqual([]);
    expect(c.isStale).toBe(false);
  });

  it('polls with ETags in poll mode', async () => {
    const c = client({ mode: 'poll', pollIntervalMs: 150 });
    expect(await c.ready({ timeoutMs: 5000 })).toBe(true);
    const changes: ChangeEvent[] = [];
    c.on('change', (e) => changes.push(e));
    await new Promise((r) => setTimeout(r, 400));
    expect(changes).toEqual([]);
    await configure('search', { enabled: false });
    await waitUntil(() => changes.length > 0, 3000, 'the polled change');
    expect(c.isEnabled('search', {})).toBe(false);
  });

  it('reports usage: the server marks the flags as evaluated', async () => {
    const c = client({ metricsIntervalMs: 100 });
    await c.ready({ timeoutMs: 5000 });
    for (let i = 0; i < 20; i++) c.variant('banner', { userId: `u${i}` });
    await waitUntil(
      async () => Boolean((await admin('GET', '/flags/banner')).body.environments?.production?.lastEvaluatedAt),
      5000,
      'lastEvaluatedAt',
    );
  });

  it('surfaces a wrong key (401) and a client key (403) as fatal errors, without retrying', async () => {
    for (const [sdkKey, status] of [
      ['sbs_not_a_key', 401],
      [clientKey, 403],
    ] as const) {
      const errors: SwitchboardError[] = [];
      const c = client({ sdkKey }).on('error', (e) => errors.push(e));
      expect(await c.ready({ timeoutMs: 3000 })).toBe(false);
      await new Promise((r) => setTimeout(r, 200));
      expect(errors).toMatchObject([{ code: SwitchboardErrorCode.HttpStatus, status, fatal: true }]);
    }
  });

  it('stops when its key is revoked, serving the data it holds', async () => {
    const created = (await admin('POST', '/keys', { name: 'doomed', environment: 'production', kind: 'server' })).body;
    const errors: SwitchboardError[] = [];
    const c = client({ sdkKey: created.secret }).on('error', (e) => errors.push(e));
    await c.ready({ timeoutMs: 5000 });
    expect((await admin('DELETE', `/keys/${created.id}`)).status).toBe(200);
    await waitUntil(() => errors.some((e) => e.fatal), 5000, 'the fatal error');
    expect(errors.find((e) => e.fatal)?.status).toBe(401);
    expect(c.isReady).toBe(true);
    expect(c.isStale).toBe(true);
    expect(serverKeyId).not.toBe(created.id);
  });

  it('reconnects as told when the server shuts down, and starts from its cache file while the server is down', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-sdk-cache-'));
    const cacheFile = join(dir, 'cache.json');
    const other = await startTestServer({ env: { HEARTBEAT_MS: '200' } });
    try {
      const otherCookie = await other.login();
      await other.request('POST', '/api/admin/flags', { cookie: otherCookie, body: { key: 'kill-switch' } });
      await other.request('PATCH', '/api/admin/flags/kill-switch/environments/production', {
        cookie: otherCookie,
        body: { enabled: true },
        headers: { 'if-match': '"1"' },
      });
      const key = (
        await other.request('POST', '/api/admin/keys', {
          cookie: otherCookie,
          body: { name: 'k', environment: 'production', kind: 'server' },
        })
      ).body.secret;
      const logger = memoryLogger();
      const errors: SwitchboardError[] = [];
      const c = client({ url: other.url, sdkKey: key, cacheFile, logger }).on('error', (e) => errors.push(e));
      expect(await c.ready({ timeoutMs: 5000 })).toBe(true);
      await other.close();
      // The stream ended with `event: reconnect`: not an error; the attempts after it find no server.
      await waitUntil(
        () => logger.lines.some((l) => l.includes('stream ended by the server; reconnecting in')),
        5000,
        'the reconnect notice',
      );
      await waitUntil(() => errors.length > 0, 10_000, 'a failed reconnect');
      expect(errors.every((e) => !e.fatal && e.code === SwitchboardErrorCode.Network)).toBe(true);
      expect(c.isEnabled('kill-switch', {})).toBe(true);
      await c.close();

      const restarted = client({ url: other.url, sdkKey: key, cacheFile });
      expect(await restarted.ready({ timeoutMs: 5000 })).toBe(true);
      expect(restarted.source).toBe('cache');
      expect(restarted.isEnabled('kill-switch', {})).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
