import type { FlagConfig } from '@switchboard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream } from './helpers/sse.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/** What an SDK older than `remote` evaluates of a server-evaluated flag: a rule that matches nobody. */
const REMOTE_GUARD_RULE = { id: 'server-evaluated', rollout: { percentage: 0 } };

const EMAILS = ['ceo@acme.io', 'cfo@acme.io', 'kim.secret@example.org'];
const HIDDEN = ['internal-kill-switch', 'pricing-experiment-q4'];

describe.skipIf(!DATABASE_URL)('SDK delivery: snapshots and streams', () => {
  let server: TestServer;
  let cookie: string;
  let serverKey: string;
  let clientKey: string;
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { body, cookie, headers });
  const version = async (flag: string, env = 'production') =>
    (await admin('GET', `/flags/${flag}/environments/${env}`)).body.version as number;
  const toggle = async (flag: string, enabled: boolean) =>
    admin('PATCH', `/flags/${flag}/environments/production`, { enabled }, { 'if-match': `"${await version(flag)}"` });

  beforeAll(async () => {
    server = await startTestServer({ env: { DELIVERY_CHECK_MS: '500', HEARTBEAT_MS: '1000' } });
    cookie = await server.login();
    // email is sensitive by default (migration 0005).
    const attributes = (await admin('GET', '/attributes')).body.attributes;
    expect(attributes.find((a: { name: string }) => a.name === 'email')).toMatchObject({ sensitive: true });
    await admin('POST', '/segments', {
      key: 'executives',
      conditions: [{ attribute: 'email', operator: 'IN', values: EMAILS.slice(0, 2) }],
    });
    await admin('POST', '/flags', { key: 'new-checkout', clientVisible: true });
    await admin(
      'PATCH',
      '/flags/new-checkout/environments/production',
      {
        enabled: true,
        rules: [
          { id: 'execs', segments: ['executives'] },
          { id: 'kim', conditions: [{ attribute: 'email', operator: 'IN', values: [EMAILS[2]] }] },
        ],
      },
      { 'if-match': '"1"' },
    );
    for (const key of HIDDEN) {
      await admin('POST', '/flags', { key });
      await admin(
        'PATCH',
        `/flags/${key}/environments/production`,
        { enabled: true, rules: [{ conditions: [{ attribute: 'email', operator: 'IN', values: EMAILS }] }] },
        { 'if-match': '"1"' },
      );
    }
    serverKey = (await admin('POST', '/keys', { name: 'backend', environment: 'production', kind: 'server' })).body.secret;
    clientKey = (await admin('POST', '/keys', { name: 'web', environment: 'production', kind: 'client' })).body.secret;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the full snapshot to server keys with the revision as ETag, 304 when unchanged', async () => {
    const res = await server.request('GET', '/api/sdk/snapshot', { token: serverKey });
    expect(res.status).toBe(200);
    expect(res.body.flags.map((f: FlagConfig) => f.key).sort()).toEqual(['new-checkout', ...HIDDEN].sort());
    expect(res.body.segments[0]).toMatchObject({ key: 'executives' });
    expect(res.headers.get('etag')).toBe(`"${res.body.revision}"`);
    const again = await server.request('GET', '/api/sdk/snapshot', {
      token: serverKey,
      headers: { 'if-none-match': `"${res.body.revision}"` },
    });
    expect(again.status).toBe(304);
    expect((await server.request('GET', '/api/sdk/snapshot')).status).toBe(401);
    expect((await server.request('GET', '/api/sdk/snapshot', { token: clientKey })).status).toBe(403);
    expect((await server.request('GET', '/api/sdk/snapshot', { token: 'sbs_forged' })).status).toBe(401);
  });

  it('gives client keys only client-visible flags, those with sensitive conditions as remote without rules', async () => {
    const res = await server.request('GET', `/api/client/snapshot?key=${clientKey}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    for (const secret of [...EMAILS, ...HIDDEN, 'executives']) expect(res.text).not.toContain(secret);
    expect(res.body.sensitive).toBeUndefined();
    // Its answer comes from the OFREP bulk endpoint, evaluated on the server.
    expect(res.body.flags).toEqual([{ key: 'new-checkout', enabled: true, remote: true, rules: [REMOTE_GUARD_RULE] }]);
    const bulk = await server.request('POST', '/ofrep/v1/evaluate/flags', {
      headers: { 'x-api-key': clientKey },
      body: { context: { email: 'cfo@acme.io' } },
    });
    expect(bulk.body.flags).toEqual([
      expect.objectContaining({ key: 'new-checkout', value: true, metadata: expect.objectContaining({ ruleId: 'execs' }) }),
    ]);
  });

  it('streams a snapshot, then a patch per change with the revision as id', async () => {
    const stream = await openStream(`${server.url}/api/sdk/stream`, { authorization: serverKey });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    const first = await stream.waitFor((e) => e.event === 'snapshot');
    const revision = Number(first.id);
    const started = Date.now();
    await toggle('new-checkout', false);
    const patch = await stream.waitFor((e) => e.event === 'patch');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(Number(patch.id)).toBe(revision + 1);
    expect(JSON.parse(patch.data)).toEqual({
      revision: revision + 1,
      changes: [{ op: 'flag', flag: expect.objectContaining({ key: 'new-checkout', enabled: false }) }],
    });
    // Heartbeats are comment lines (every second in this test's configuration).
    for (let i = 0; i < 30 && !/\n:\n\n/.test(stream.raw()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stream.raw()).toMatch(/\n:\n\n/);
    stream.close();
  });

  it('resumes from Last-Event-ID with exactly the missed patches; a forged id gets a snapshot', async () => {
    const current = Number((await server.request('GET', '/api/sdk/snapshot', { token: serverKey })).body.revision);
    await toggle('new-checkout', true);
    await toggle('new-checkout', false);
    await toggle('new-checkout', true);
    const resumed = await openStream(`${server.url}/api/sdk/stream`, { authorization: serverKey, 'last-event-id': String(current) });
    await resumed.waitFor((_e, all) => all.length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(resumed.events.map((e) => [e.event, Number(e.id)])).toEqual([
      ['patch', current + 1],
      ['patch', current + 2],
      ['patch', current + 3],
    ]);
    resumed.close();
    for (const forged of ['999999', 'abc', '-1']) {
      const s = await openStream(`${server.url}/api/sdk/stream`, { authorization: serverKey, 'last-event-id': forged });
      const e = await s.waitFor(() => true);
      expect(e.event).toBe('snapshot');
      expect(JSON.parse(e.data).flags.length).toBe(3);
      s.close();
    }
  });

  it('never sends a client a seeded email or hidden flag key, whatever changes', async () => {
    const stream = await openStream(`${server.url}/api/client/stream?key=${clientKey}`);
    await stream.waitFor((e) => e.event === 'snapshot');
    for (const key of HIDDEN) await toggle(key, false);
    await admin(
      'PATCH',
      '/segments/executives',
      { conditions: [{ attribute: 'email', operator: 'IN', values: EMAILS }] },
      { 'if-match': '"1"' },
    );
    await admin('PATCH', `/flags/${HIDDEN[0]}`, { clientVisible: true }, { 'if-match': '"1"' });
    await admin('PATCH', `/flags/${HIDDEN[0]}`, { clientVisible: false }, { 'if-match': '"2"' });
    await toggle('new-checkout', false);
    await stream.waitFor((e) => e.event === 'patch' && e.data.includes('"new-checkout"') && e.data.includes('"enabled":false'));
    const bytes = stream.raw();
    for (const secret of EMAILS) expect(bytes).not.toContain(secret);
    // A flag that was visible for a while may be named while it is; the other one never is.
    expect(bytes).not.toContain(HIDDEN[1]);
    expect(bytes).not.toContain('executives');
    stream.close();
  });

  it('closes the streams of a revoked key within 5 seconds', async () => {
    const created = await admin('POST', '/keys', { name: 'temp', environment: 'production', kind: 'server' });
    const stream = await openStream(`${server.url}/api/sdk/stream`, { authorization: created.body.secret });
    await stream.waitFor((e) => e.event === 'snapshot');
    const started = Date.now();
    await admin('DELETE', `/keys/${created.body.id}`);
    await stream.closed;
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe.skipIf(!DATABASE_URL)('SDK delivery: limits and shutdown', () => {
  it('answers 429 with Retry-After past the stream cap, and tells streams to come back on close', async () => {
    const server = await startTestServer({ env: { MAX_SERVER_STREAMS: '2' } });
    const cookie = await server.login();
    const key = (await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'k', environment: 'staging', kind: 'server' } }))
      .body.secret;
    const a = await openStream(`${server.url}/api/sdk/stream`, { authorization: key });
    const b = await openStream(`${server.url}/api/sdk/stream`, { authorization: key });
    await a.waitFor((e) => e.event === 'snapshot');
    await b.waitFor((e) => e.event === 'snapshot');
    const c = await server.request('GET', '/api/sdk/stream', { token: key });
    expect(c.status).toBe(429);
    expect(Number(c.headers.get('retry-after'))).toBeGreaterThan(0);
    await server.close();
    await Promise.all([a.closed, b.closed]);
    for (const s of [a, b]) {
      const bye = s.events.at(-1);
      expect(bye?.event).toBe('reconnect');
      expect(s.raw()).toMatch(/retry: \d+\n/);
    }
  });

  it('cuts off a consumer that stops reading instead of buffering without bound', async () => {
    const server = await startTestServer({ env: { STREAM_BUFFER_BYTES: '4096' } });
    const cookie = await server.login();
    const key = (await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'k', environment: 'staging', kind: 'server' } }))
      .body.secret;
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'big' } });
    const { connect } = await import('node:net');
    const streams = async () => (await server.app.metrics.connectedStreams.get()).values.reduce((n, v) => n + v.value, 0);
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    // A client that sends its request and then never reads a byte.
    socket.write(`GET /api/sdk/stream HTTP/1.1\r\nHost: x\r\nAuthorization: ${key}\r\n\r\n`);
    socket.pause();
    for (let i = 0; i < 50 && (await streams()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await streams()).toBe(1);
    const values = Array.from({ length: 1000 }, (_, i) => `${'v'.repeat(900)}${i}`);
    for (let i = 0; i < 40 && (await streams()) > 0; i++) {
      const v = (await server.request('GET', '/api/admin/flags/big/environments/staging', { cookie })).body.version;
      await server.request('PATCH', '/api/admin/flags/big/environments/staging', {
        cookie,
        body: { rules: [{ id: `r${i}`, conditions: [{ attribute: 'x', operator: 'IN', values }] }] },
        headers: { 'if-match': `"${v}"` },
      });
    }
    // The server let go of the stream while the client still holds its socket open.
    expect(await streams()).toBe(0);
    expect(socket.destroyed).toBe(false);
    socket.destroy();
    await server.close();
  });
});
