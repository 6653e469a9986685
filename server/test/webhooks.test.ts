import { createHmac } from 'node:crypto';
import http from 'node:http';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../src/db/client.ts';
import { auditLog, webhookDeliveries, webhooks } from '../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { runChange } from '../src/domain/changes.ts';
import { changeDeps } from '../src/features/change-deps.ts';
import { eventPatterns, matchesEvent } from '../src/features/webhooks/outbox.ts';
import { signatureHeader, verifySignature } from '../src/features/webhooks/signing.ts';
import { insertDelivery } from '../src/features/webhooks/store.ts';
import { ipv6Groups, nonPublicReason } from '../src/features/webhooks/targets.ts';
import { outcomeOf, WebhookWorker } from '../src/features/webhooks/worker.ts';
import { ADMIN, DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

// ---- helpers ----

interface Hit {
  headers: http.IncomingHttpHeaders;
  body: string;
  url: string;
}

type Answer = number | { status: number; headers?: Record<string, string>; body?: string };

interface Receiver {
  url: string;
  hits: Hit[];
  close(): Promise<void>;
}

/** A webhook receiver on 127.0.0.1 that records every request and answers as `answer` says. */
async function startReceiver(answer: (hit: Hit, n: number) => Answer | Promise<Answer> = () => 200): Promise<Receiver> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const hit = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '' };
      hits.push(hit);
      const a = await answer(hit, hits.length);
      const { status, headers, body } = typeof a === 'number' ? { status: a, headers: {}, body: 'ok' } : a;
      res.writeHead(status, headers).end(body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const silent = { warn: () => {} };

// ---- without a database ----

describe('webhook targets, signatures and retries (no database)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd12:3456::1', 'private (unique local)'],
    ['fc00::1', 'private (unique local)'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['::', 'unspecified'],
    ['100.64.0.1', 'shared address space (CGNAT)'],
    ['100.127.255.254', 'shared address space (CGNAT)'],
    ['::ffff:127.0.0.1', 'loopback (IPv4-mapped 127.0.0.1)'],
    ['::ffff:7f00:1', 'loopback (IPv4-mapped 127.0.0.1)'],
    ['::ffff:10.1.2.3', 'private (IPv4-mapped 10.1.2.3)'],
    ['::ffff:a9fe:a9fe', 'link-local (IPv4-mapped 169.254.169.254)'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private (IPv4-mapped 192.168.1.1)'],
    ['::127.0.0.1', 'loopback (IPv4-compatible 127.0.0.1)'],
    ['64:ff9b::a00:1', 'private (NAT64 10.0.0.1)'],
    ['2002:7f00:1::', 'loopback (6to4 127.0.0.1)'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['ff02::1', 'multicast'],
    ['not-an-ip', 'not an address'],
  ])('%s is not public (%s)', (address, reason) => {
    expect(nonPublicReason(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450::1'])(
    '%s is public',
    (address) => {
      expect(nonPublicReason(address)).toBeNull();
    },
  );

  it('parses IPv6 forms', () => {
    expect(ipv6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(ipv6Groups('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ipv6Groups('1:2:3:4:5:6:7')).toBeNull();
  });

  it('matches events exactly, by prefix pattern and by *', () => {
    expect(eventPatterns('flag.enabled').sort()).toEqual(['*', 'flag.*', 'flag.enabled']);
    expect(matchesEvent(['flag.*'], 'flag.enabled')).toBe(true);
    expect(matchesEvent(['flag.enabled'], 'flag.enabled')).toBe(true);
    expect(matchesEvent(['*'], 'segment.created')).toBe(true);
    expect(matchesEvent(['flag.disabled', 'segment.*'], 'flag.enabled')).toBe(false);
    expect(matchesEvent(['flag.*'], 'flagship.created')).toBe(false);
  });

  it('signs as documented and verifies only authentic, fresh bodies', () => {
    const secret = 'whsec_test';
    const body = '{"id":1,"event":"flag.enabled"}';
    const t = 1_700_000_000;
    const header = signatureHeader(secret, t, body);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
    expect(verifySignature(secret, header, body, t + 10)).toBe(true);
    expect(verifySignature(secret, header, `${body} `, t + 10)).toBe(false);
    expect(verifySignature('whsec_other', header, body, t + 10)).toBe(false);
    expect(verifySignature(secret, header, body, t + 301)).toBe(false);
    expect(verifySignature(secret, undefined, body, t)).toBe(false);
  });

  it('backs off exponentially and gives up after the last attempt', () => {
    const settings = { backoffMs: [10_000, 30_000, 120_000], maxAttempts: 5 };
    const failed = { ok: false, status: 500, error: 'receiver answered 500' };
    expect(outcomeOf(failed, 1, settings)).toMatchObject({ state: 'pending', retryInMs: 10_000, status: 500 });
    expect(outcomeOf(failed, 3, settings)).toMatchObject({ state: 'pending', retryInMs: 120_000 });
    expect(outcomeOf(failed, 4, settings)).toMatchObject({ state: 'pending', retryInMs: 120_000 });
    expect(outcomeOf(failed, 5, settings)).toMatchObject({ state: 'failed', status: 500 });
    expect(outcomeOf({ ok: true, status: 204, error: null }, 5, settings)).toMatchObject({ state: 'delivered', status: 204, error: null });
  });
});

// ---- against a real server ----

describe.skipIf(!DATABASE_URL)('webhooks', () => {
  let server: TestServer;
  let cookie: string;
  const receivers: Receiver[] = [];

  async function admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any> {
    const res = await server.request(method, `/api/admin${path}`, { cookie, body, headers });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  }
  const receiver = async (answer?: (hit: Hit, n: number) => Answer | Promise<Answer>) => {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  };
  const deliveries = async (id: string, query = '') => (await admin('GET', `/webhooks/${id}/deliveries${query}`)).deliveries as any[];
  const deliveryCount = async (webhookId: string) =>
    (await server.app.db.select({ n: count() }).from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId)))[0]?.n;

  beforeAll(async () => {
    // The worker of this server polls often and retries fast.
    vi.stubEnv('WEBHOOK_POLL_MS', '25');
    vi.stubEnv('WEBHOOK_BACKOFF_MS', '150');
    try {
      server = await startTestServer();
    } finally {
      vi.unstubAllEnvs();
    }
    cookie = await server.login();
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('sends a signed POST to a subscriber when a flag is enabled, and logs it', async () => {
    const r = await receiver();
    const created = await admin('POST', '/webhooks', {
      name: 'Release marks',
      url: `${r.url}/hooks/switchboard?source=test`,
      events: ['flag.enabled'],
      allowPrivate: true,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ events: ['flag.enabled'], enabled: true, allowPrivate: true, version: 1 });
    const listed = await admin('GET', '/webhooks');
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect(listed.webhooks.find((w: any) => w.id === created.id)).not.toHaveProperty('secret');

    await admin('POST', '/flags', { key: 'checkout' });
    await admin('PATCH', '/flags/checkout/environments/production', { enabled: true }, { 'if-match': '"1"' });

    const hit = await until('the delivery', async () => r.hits[0]);
    expect(hit.url).toBe('/hooks/switchboard?source=test');
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['user-agent']).toBe('Switchboard-Webhooks');
    expect(hit.headers['x-switchboard-event']).toBe('flag.enabled');

    // The receiver's side: the signature over `<t>.<raw body>` with the secret, and a fresh t.
    const signature = String(hit.headers['x-switchboard-signature']);
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature);
    expect(m, signature).not.toBeNull();
    const t = Number(m?.[1]);
    expect(Math.abs(Date.now() / 1000 - t)).toBeLessThan(300);
    expect(m?.[2]).toBe(createHmac('sha256', created.secret).update(`${t}.${hit.body}`).digest('hex'));
    expect(verifySignature(created.secret, signature, hit.body)).toBe(true);
    expect(verifySignature(created.secret, signature, hit.body.replace('checkout', 'checkouu'))).toBe(false);

    const body = JSON.parse(hit.body);
    expect(body).toMatchObject({
      id: Number(hit.headers['x-switchboard-delivery']),
      event: 'flag.enabled',
      resource: { type: 'flag', key: 'checkout' },
      environment: 'production',
      actor: ADMIN.email,
      before: { enabled: false },
      after: { enabled: true },
    });
    expect(Date.parse(body.at)).toBeGreaterThan(Date.now() - 60_000);

    // Only the subscribed event: creating the flag sent nothing.
    const log = await until('the log to say delivered', async () => {
      const d = await deliveries(created.id);
      return d[0]?.state === 'delivered' ? d : undefined;
    });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      id: body.id,
      event: 'flag.enabled',
      attempts: 1,
      lastStatus: 200,
      lastError: null,
      nextAttemptAt: null,
    });
    expect(log[0].deliveredAt).toEqual(expect.any(String));
    expect(log[0].payload).toEqual(body);
    expect(r.hits).toHaveLength(1);
  });

  it('retries with backoff: 500, 500, then 200 is three attempts, then delivered', async () => {
    let seenAtSecondAttempt: any;
    const r = await receiver(async (_hit, n) => {
      if (n === 2) seenAtSecondAttempt = (await deliveries(hook.id))[0];
      return n <= 2 ? { status: 500, body: 'database down' } : 200;
    });
    const hook = await admin('POST', '/webhooks', { name: 'Flaky', url: r.url, events: ['segment.created'], allowPrivate: true });
    const queued = (await server.request('POST', `/api/admin/webhooks/${hook.id}/test`, { cookie })).body;
    expect(queued).toMatchObject({ event: 'webhook.test', state: 'pending', attempts: 0 });

    const log = await until('three attempts', async () => {
      const d = await deliveries(hook.id);
      return d[0]?.state === 'delivered' ? d : undefined;
    });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      id: queued.id,
      event: 'webhook.test',
      state: 'delivered',
      attempts: 3,
      lastStatus: 200,
      lastError: null,
    });
    expect(r.hits).toHaveLength(3);
    // Same delivery, same body on every attempt; each signed afresh.
    expect(new Set(r.hits.map((h) => h.headers['x-switchboard-delivery']))).toEqual(new Set([String(queued.id)]));
    expect(new Set(r.hits.map((h) => h.body)).size).toBe(1);
    expect(JSON.parse(r.hits[0]?.body ?? '{}')).toMatchObject({ event: 'webhook.test', resource: { type: 'webhook', key: hook.id } });
    // While the second attempt was under way, the log showed the first one's failure.
    expect(seenAtSecondAttempt).toMatchObject({ state: 'pending', attempts: 2, lastStatus: 500 });
    expect(seenAtSecondAttempt.lastError).toContain('receiver answered 500: database down');
  });

  it.each([
    'http://127.0.0.1/hook',
    'http://localhost:8080/hook',
    'http://10.0.0.1/',
    'http://[::1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0.0.0.0/',
    'http://100.64.0.1/',
    'http://172.16.5.4/',
    'https://192.168.1.1/',
    'http://[fe80::1]/',
    'http://[fd00::1]/',
  ])('refuses %s without allowPrivate (400 PRIVATE_TARGET)', async (url) => {
    const [before] = await server.app.db.select({ n: count() }).from(webhooks);
    const res = await server.request('POST', '/api/admin/webhooks', { cookie, body: { name: 'Sneaky', url, events: ['*'] } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('PRIVATE_TARGET');
    const [after] = await server.app.db.select({ n: count() }).from(webhooks);
    expect(after?.n).toBe(before?.n);
  });

  it.each([
    ['ftp://example.com/hook', 'VALIDATION_FAILED'],
    ['file:///etc/passwd', 'VALIDATION_FAILED'],
    ['https://user:pass@example.com/hook', 'VALIDATION_FAILED'],
    ['not a url', 'VALIDATION_FAILED'],
  ])('refuses %s (400 %s)', async (url, code) => {
    const res = await server.request('POST', '/api/admin/webhooks', {
      cookie,
      body: { name: 'Bad', url, events: ['*'], allowPrivate: true },
    });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it('checks the target again when the URL or the permission changes (PATCH, If-Match)', async () => {
    const hook = await admin('POST', '/webhooks', { name: 'Local', url: 'http://127.0.0.1:9/a', events: ['flag.*'], allowPrivate: true });
    const path = `/api/admin/webhooks/${hook.id}`;
    expect((await server.request('PATCH', path, { cookie, body: { name: 'No version' } })).status).toBe(428);
    expect((await server.request('PATCH', path, { cookie, body: { name: 'Stale' }, headers: { 'if-match': '"7"' } })).status).toBe(412);
    const refused = await server.request('PATCH', path, { cookie, body: { allowPrivate: false, version: 1 } });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.error.code).toBe('PRIVATE_TARGET');
    const renamed = await server.request('PATCH', path, {
      cookie,
      body: { name: 'Renamed', events: ['flag.*', 'flag.*'] },
      headers: { 'if-match': '"1"' },
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.headers.get('etag')).toBe('"2"');
    expect(renamed.body).toMatchObject({ name: 'Renamed', events: ['flag.*'], version: 2, allowPrivate: true });
    expect(renamed.body).not.toHaveProperty('secret');

    // The audit row shows the URL's origin only: paths and queries may hold the receiver's secrets.
    const audit = (await admin('GET', `/audit?resourceType=webhook&resourceKey=${hook.id}`)).entries;
    expect(audit.map((e: any) => e.action)).toEqual(['webhook.updated', 'webhook.created']);
    expect(audit[0].after.url).toBe('http://127.0.0.1:9/…');
    expect(JSON.stringify(audit)).not.toContain('whsec_');

    // Disabled: pending deliveries are dropped, tests are refused, nothing new is queued.
    await admin('POST', `/webhooks/${hook.id}/test`);
    await admin('PATCH', `/webhooks/${hook.id}`, { enabled: false, version: 2 });
    const dropped = await deliveries(hook.id);
    expect(dropped[0]).toMatchObject({ state: 'failed', lastError: 'not sent: the webhook was disabled' });
    expect((await server.request('POST', `${path}/test`, { cookie })).status).toBe(409);
    await admin('POST', '/flags', { key: 'while-disabled' });
    expect(await deliveryCount(hook.id)).toBe(1);

    expect(await admin('DELETE', `/webhooks/${hook.id}`)).toEqual({ ok: true });
    expect((await server.request('DELETE', path, { cookie })).status).toBe(404);
    expect((await server.request('GET', `${path}/deliveries`, { cookie })).status).toBe(404);
    expect(await deliveryCount(hook.id)).toBe(0);
  });

  it('queues nothing for a write that rolls back', async () => {
    const hook = await admin('POST', '/webhooks', { name: 'Everything', url: 'http://127.0.0.1:9/', events: ['*'], allowPrivate: true });
    const own = await deliveryCount(hook.id); // its own webhook.created: it subscribes to everything
    await admin('POST', '/flags', { key: 'rollback' });
    const queued = await deliveryCount(hook.id);
    expect(queued).toBe((own ?? 0) + 1); // flag.created

    // A stale update: 412, nothing written.
    const stale = await server.request('PATCH', '/api/admin/flags/rollback/environments/production', {
      cookie,
      body: { enabled: true },
      headers: { 'if-match': '"5"' },
    });
    expect(stale.status).toBe(412);
    expect(await deliveryCount(hook.id)).toBe(queued);

    // A write that fails after its audit row (and so after the outbox insert): all of it rolls back.
    const [auditBefore] = await server.app.db.select({ n: count() }).from(auditLog);
    await expect(
      runChange(changeDeps(server.app), SYSTEM_ACTOR, async (c) => {
        await c.audit({ action: 'flag.enabled', resourceType: 'flag', resourceKey: 'rollback', environmentKey: 'production' });
        throw new Error('something after the audit failed');
      }),
    ).rejects.toThrow('something after the audit failed');
    expect(await deliveryCount(hook.id)).toBe(queued);
    const [auditAfter] = await server.app.db.select({ n: count() }).from(auditLog);
    expect(auditAfter?.n).toBe(auditBefore?.n);

    // The same write committing does queue one.
    await runChange(changeDeps(server.app), SYSTEM_ACTOR, async (c) => {
      await c.audit({ action: 'flag.enabled', resourceType: 'flag', resourceKey: 'rollback', environmentKey: 'production' });
    });
    expect(await deliveryCount(hook.id)).toBe((queued ?? 0) + 1);
    await admin('DELETE', `/webhooks/${hook.id}`);
  });

  it('rotates the secret: both signatures during the grace period, then only the new one; audited', async () => {
    const r = await receiver();
    const hook = await admin('POST', '/webhooks', { name: 'Rotating', url: r.url, events: ['webhook.test'], allowPrivate: true });
    const old = hook.secret as string;
    const rotated = await server.request('POST', `/api/admin/webhooks/${hook.id}/rotate-secret`, { cookie, body: { graceSeconds: 2 } });
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(old);
    expect(rotated.body).toMatchObject({ id: hook.id, version: 2 });
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(500);
    expect(rotated.headers.get('etag')).toBe('"2"');

    await admin('POST', `/webhooks/${hook.id}/test`);
    const during = await until('a delivery during the grace period', async () => r.hits[0]);
    const both = String(during.headers['x-switchboard-signature']);
    expect(both).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(verifySignature(fresh, both, during.body)).toBe(true);
    expect(verifySignature(old, both, during.body)).toBe(true);

    await sleep(2100);
    await admin('POST', `/webhooks/${hook.id}/test`);
    const after = await until('a delivery after the grace period', async () => r.hits[1]);
    const one = String(after.headers['x-switchboard-signature']);
    expect(one).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(fresh, one, after.body)).toBe(true);
    expect(verifySignature(old, one, after.body)).toBe(false);

    // A leaked secret is retired at once with a grace of 0; without graceSeconds the old one lasts a day.
    const now = await server.request('POST', `/api/admin/webhooks/${hook.id}/rotate-secret`, { cookie, body: { graceSeconds: 0 } });
    expect(Date.parse(now.body.previousSecretExpiresAt)).toBeLessThanOrEqual(Date.now());
    const bare = await server.request('POST', `/api/admin/webhooks/${hook.id}/rotate-secret`, { cookie, body: {} });
    expect(bare.status).toBe(200);
    expect(Date.parse(bare.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(86_000_000);

    const audit = await admin('GET', `/audit?resourceType=webhook&resourceKey=${hook.id}`);
    const rotations = audit.entries.filter((e: any) => e.action === 'webhook.secret_rotated');
    expect(rotations).toHaveLength(3);
    const logged = JSON.stringify(audit);
    for (const secret of [old, fresh, now.body.secret, bare.body.secret]) expect(logged).not.toContain(secret);
    expect(JSON.stringify(await admin('GET', '/webhooks'))).not.toContain(bare.body.secret);

    for (const [path, body, status] of [
      ['/api/admin/webhooks/00000000-0000-4000-8000-000000000000/rotate-secret', {}, 404],
      [`/api/admin/webhooks/${hook.id}/rotate-secret`, { graceSeconds: -1 }, 400],
      [`/api/admin/webhooks/${hook.id}/rotate-secret`, { graceSeconds: 8 * 86_400 }, 400],
      [`/api/admin/webhooks/${hook.id}/rotate-secret`, { secret: 'mine' }, 400],
    ] as const) {
      expect((await server.request('POST', path, { cookie, body })).status, JSON.stringify(body)).toBe(status);
    }
    await admin('DELETE', `/webhooks/${hook.id}`);
  });

  it('pages the delivery log newest first by id cursor', async () => {
    const r = await receiver();
    const hook = await admin('POST', '/webhooks', { name: 'Pager', url: r.url, events: ['webhook.test'], allowPrivate: true });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await admin('POST', `/webhooks/${hook.id}/test`)).id);
    const first = await admin('GET', `/webhooks/${hook.id}/deliveries?limit=2`);
    expect(first.deliveries.map((d: any) => d.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextBefore).toBe(ids[1]);
    const second = await admin('GET', `/webhooks/${hook.id}/deliveries?limit=2&before=${first.nextBefore}`);
    expect(second.deliveries.map((d: any) => d.id)).toEqual([ids[0]]);
    expect(second.nextBefore).toBeNull();
  });
});

/**
 * Workers driven by the test, against a server whose own worker is idle: claiming across replicas,
 * connecting to the vetted address, redirects, timeouts and shutdown.
 */
describe.skipIf(!DATABASE_URL)('webhook workers', () => {
  let server: TestServer;
  let cookie: string;
  let second: DatabaseHandle;
  const receivers: Receiver[] = [];
  const workers: WebhookWorker[] = [];

  const worker = (options: Partial<ConstructorParameters<typeof WebhookWorker>[0]> = {}) => {
    const w = new WebhookWorker({ db: server.app.db, log: silent, pollMs: 10, backoffMs: [60_000], ...options });
    workers.push(w);
    return w;
  };
  const receiver = async (answer?: (hit: Hit, n: number) => Answer | Promise<Answer>) => {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  };
  async function hookTo(url: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await server.request('POST', '/api/admin/webhooks', {
      cookie,
      body: { name: 'Worker test', url, events: ['webhook.test'], allowPrivate: true },
    });
    if (res.status !== 201) throw new Error(res.text);
    if (Object.keys(extra).length > 0) await server.app.db.update(webhooks).set(extra).where(eq(webhooks.id, res.body.id));
    return res.body.id;
  }
  const enqueue = (webhookId: string, n = 1) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        insertDelivery(server.app.db, webhookId, {
          event: 'webhook.test',
          resource: { type: 'webhook', key: webhookId },
          environment: null,
          actor: 'test',
          before: null,
          after: { n: i },
          at: new Date().toISOString(),
        }),
      ),
    );
  const rowsOf = (webhookId: string) => server.app.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId));

  beforeAll(async () => {
    vi.stubEnv('WEBHOOK_POLL_MS', '60000');
    try {
      server = await startTestServer();
    } finally {
      vi.unstubAllEnvs();
    }
    cookie = await server.login();
    // Another replica: its own connection pool on the same database.
    second = await openDatabase({ databaseUrl: server.config.databaseUrl, dataDir: '' });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop(0)));
    await second?.close();
    await server?.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('two workers on one database send each delivery exactly once', async () => {
    const r = await receiver(async () => {
      await sleep(15);
      return 200;
    });
    const id = await hookTo(r.url);
    const queued = await enqueue(id, 30);
    const a = worker({ batchSize: 3 });
    const b = worker({ db: second.db, batchSize: 3 });
    const claimed = [0, 0];
    await Promise.all(
      [a, b].map(async (w, i) => {
        for (let n = -1; n !== 0; ) {
          n = await w.runOnce();
          claimed[i] = (claimed[i] ?? 0) + n;
        }
      }),
    );
    expect(r.hits).toHaveLength(30);
    const sent = r.hits.map((h) => Number(h.headers['x-switchboard-delivery'])).sort((x, y) => x - y);
    expect(sent).toEqual(queued.map((d) => d.id).sort((x, y) => x - y));
    expect((claimed[0] ?? 0) + (claimed[1] ?? 0)).toBe(30);
    expect(claimed[0]).toBeGreaterThan(0);
    expect(claimed[1]).toBeGreaterThan(0);
    const rows = await rowsOf(id);
    expect(rows.every((d) => d.state === 'delivered' && d.attempts === 1 && d.lastStatus === 200)).toBe(true);
  });

  it('connects to the address it checked, and checks again at delivery time (DNS rebinding)', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    // Public when the webhook was saved; resolving to loopback by the time it is sent.
    const rebound = await hookTo(`http://rebind.invalid:${port}/`, { allowPrivate: false });
    await enqueue(rebound);
    await worker({ lookup: async () => [{ address: '127.0.0.1', family: 4 }] }).runOnce();
    const [refused] = await rowsOf(rebound);
    expect(refused).toMatchObject({ state: 'pending', attempts: 1, lastStatus: null });
    expect(refused?.lastError).toContain('127.0.0.1 (loopback)');
    expect(r.hits).toHaveLength(0);

    // Allowed private targets: the socket goes to the address the worker resolved, which the
    // system resolver could not have found, and the Host header keeps the name.
    const pinned = await hookTo(`http://pinned.invalid:${port}/p`);
    await enqueue(pinned);
    await worker({ lookup: async () => [{ address: '127.0.0.1', family: 4 }] }).runOnce();
    expect(r.hits).toHaveLength(1);
    expect(r.hits[0]?.headers.host).toBe(`pinned.invalid:${port}`);
    expect((await rowsOf(pinned))[0]).toMatchObject({ state: 'delivered' });
  });

  it('does not follow redirects, times out slow receivers, and gives up after the last attempt', async () => {
    const target = await receiver();
    const redirecting = await receiver(() => ({ status: 302, headers: { location: `${target.url}/elsewhere` } }));
    const redirect = await hookTo(redirecting.url);
    await enqueue(redirect);
    await worker({ maxAttempts: 1 }).runOnce();
    const [r1] = await rowsOf(redirect);
    expect(r1).toMatchObject({ state: 'failed', attempts: 1, lastStatus: 302 });
    expect(r1?.lastError).toContain('not followed');
    expect(r1?.lastError).toContain('gave up after 1 attempts');
    expect(target.hits).toHaveLength(0);

    const hanging = await receiver(() => new Promise<Answer>(() => {}));
    const slow = await hookTo(hanging.url);
    await enqueue(slow);
    const started = Date.now();
    await worker({ timeoutMs: 300 }).runOnce();
    expect(Date.now() - started).toBeLessThan(3000);
    const [r2] = await rowsOf(slow);
    expect(r2).toMatchObject({ state: 'pending', attempts: 1, lastStatus: null });
    expect(r2?.lastError).toContain('timed out after 300 ms');
    expect(r2?.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 30_000);
  });

  it('stops cleanly: waits for attempts in flight, and aborts the ones past the grace period', async () => {
    const slow = await receiver(async () => {
      await sleep(300);
      return 200;
    });
    const waited = await hookTo(slow.url);
    await enqueue(waited);
    const w = worker();
    w.start();
    await until('the attempt to start', async () => slow.hits.length > 0);
    await w.stop();
    expect((await rowsOf(waited))[0]).toMatchObject({ state: 'delivered', attempts: 1 });

    const hanging = await receiver(() => new Promise<Answer>(() => {}));
    const cut = await hookTo(hanging.url);
    await enqueue(cut);
    const w2 = worker();
    w2.start();
    await until('the attempt to start', async () => hanging.hits.length > 0);
    const stopping = Date.now();
    await w2.stop(100);
    expect(Date.now() - stopping).toBeLessThan(2000);
    const [row] = await rowsOf(cut);
    expect(row).toMatchObject({ state: 'pending', attempts: 1 });
    expect(row?.lastError).toContain('shutting down');
  });
});

describe('webhooks on the embedded database (PGlite)', () => {
  let server: TestServer;
  let receiver: Receiver;

  beforeAll(async () => {
    vi.stubEnv('WEBHOOK_POLL_MS', '25');
    try {
      server = await startTestServer({ database: 'pglite' });
    } finally {
      vi.unstubAllEnvs();
    }
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it('queues in the write and delivers, signed', async () => {
    const cookie = await server.login();
    const created = await server.request('POST', '/api/admin/webhooks', {
      cookie,
      body: { name: 'Embedded', url: receiver.url, events: ['flag.created'], allowPrivate: true },
    });
    expect(created.status, created.text).toBe(201);
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'embedded' } });
    const hit = await until('the delivery', async () => receiver.hits[0]);
    expect(verifySignature(created.body.secret, String(hit.headers['x-switchboard-signature']), hit.body)).toBe(true);
    expect(JSON.parse(hit.body)).toMatchObject({ event: 'flag.created', resource: { type: 'flag', key: 'embedded' } });
    const log = await until('delivered', async () => {
      const res = await server.request('GET', `/api/admin/webhooks/${created.body.id}/deliveries`, { cookie });
      return res.body.deliveries[0]?.state === 'delivered' ? res.body.deliveries : undefined;
    });
    expect(log[0]).toMatchObject({ attempts: 1, lastStatus: 200 });
  });
});
