import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream } from './helpers/sse.ts';
import { ADMIN, DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

describe.skipIf(!DATABASE_URL)('admin activity stream and UI hosting', () => {
  let server: TestServer;
  let cookie: string;
  beforeAll(async () => {
    server = await startTestServer({ env: { HEARTBEAT_MS: '200' } });
    cookie = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('tells listening admins about every audited write', async () => {
    const stream = await openStream(`${server.url}/api/admin/stream`, { cookie });
    expect(stream.status).toBe(200);
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'live' } });
    await server.request('PATCH', '/api/admin/flags/live/environments/staging', {
      cookie,
      body: { enabled: true },
      headers: { 'if-match': '"1"' },
    });
    const enabled = await stream.waitFor((e) => e.event === 'activity' && JSON.parse(e.data).action === 'flag.enabled');
    expect(JSON.parse(enabled.data)).toMatchObject({
      resourceType: 'flag',
      resourceKey: 'live',
      environment: 'staging',
      actor: 'admin@example.test',
    });
    expect(stream.events.map((e) => JSON.parse(e.data).action)).toContain('flag.created');
    stream.close();
  });

  it('lets a listener go once its session has ended', async () => {
    const other = await server.login();
    const stream = await openStream(`${server.url}/api/admin/stream`, { cookie: other });
    expect(stream.status).toBe(200);
    await server.request('POST', '/api/admin/logout', { cookie: other });
    await stream.closed;
    expect(stream.raw()).toContain(':');
  });

  it('keeps unknown API paths JSON while the UI owns the rest', async () => {
    const api = await server.request('GET', '/api/admin/nothing-here', { cookie });
    expect(api.status).toBe(404);
    expect(api.body.error.code).toBe('NOT_FOUND');
    const root = await server.request('GET', '/');
    expect(root.status).toBe(200);
  });

  it('viewers and editors see display names, not emails or login addresses, in the audit log and the stream', async () => {
    const created = await server.request('POST', '/api/admin/users', {
      cookie,
      body: { email: 'vera@example.test', name: 'Vera Viewer', password: 'a-good-password', role: 'viewer' },
    });
    expect(created.status, created.text).toBe(201);
    const viewer = await server.login('vera@example.test', 'a-good-password');
    const adminStream = await openStream(`${server.url}/api/admin/stream`, { cookie });
    const viewerStream = await openStream(`${server.url}/api/admin/stream`, { cookie: viewer });
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'named' } });
    const seen = async (stream: Awaited<ReturnType<typeof openStream>>) =>
      JSON.parse((await stream.waitFor((e) => e.event === 'activity' && JSON.parse(e.data).resourceKey === 'named')).data);
    expect((await seen(adminStream)).actor).toBe(ADMIN.email);
    expect((await seen(viewerStream)).actor).toBe('Admin');
    adminStream.close();
    viewerStream.close();

    // The log holds logins (with their address) and user records (with emails).
    const asViewer = await server.request('GET', '/api/admin/audit?limit=200', { cookie: viewer });
    expect(asViewer.status).toBe(200);
    expect(asViewer.text).not.toContain('@example.test');
    expect(asViewer.text).not.toContain('"ip"');
    expect(asViewer.text).not.toContain('127.0.0.1');
    const login = asViewer.body.entries.find((e: { action: string }) => e.action === 'user.login');
    expect(login.actorName).toMatch(/^(Admin|Vera Viewer)$/);
    const asAdmin = await server.request('GET', '/api/admin/audit?limit=200', { cookie });
    expect(asAdmin.text).toContain(ADMIN.email);
    expect(asAdmin.text).toContain('"ip"');
    const flagAudit = await server.request('GET', '/api/admin/flags/named/audit', { cookie: viewer });
    expect(flagAudit.body.entries[0].actorName).toBe('Admin');

    // The same rule for every other answer that names people: scheduled changes and their authors.
    const at = new Date(Date.now() + 3_600_000).toISOString();
    expect(
      (
        await server.request('POST', '/api/admin/flags/named/environments/staging/schedule', {
          cookie,
          body: { at, patch: { enabled: true } },
        })
      ).status,
    ).toBe(201);
    const schedules = await server.request('GET', '/api/admin/schedules?flag=named', { cookie: viewer });
    expect(schedules.body.schedules[0].createdBy).toBe('Admin');
    expect(schedules.text).not.toContain('@example.test');
    expect((await server.request('GET', '/api/admin/schedules?flag=named', { cookie })).body.schedules[0].createdBy).toBe(ADMIN.email);
    // Your own record is yours to see.
    expect((await server.request('GET', '/api/admin/me', { cookie: viewer })).body.email).toBe('vera@example.test');
  });
});

describe.skipIf(!DATABASE_URL)('admin activity stream limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { MAX_ACTIVITY_STREAMS: '3', MAX_ACTIVITY_STREAMS_PER_USER: '2' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('caps the streams of one user and of the replica, and frees a slot when a stream closes', async () => {
    const cookie = await server.login();
    // Opened at once: the count is taken before anything is awaited, so none may slip past it.
    const first = await Promise.all([1, 2, 3, 4].map(() => openStream(`${server.url}/api/admin/stream`, { cookie })));
    expect(first.map((s) => s.status).sort()).toEqual([200, 200, 429, 429]);
    const refused = first.find((s) => s.status === 429);
    await refused?.closed;
    expect(JSON.parse(refused?.raw() ?? '{}').error.code).toBe('RATE_LIMITED');
    expect(refused?.headers.get('retry-after')).toBeTruthy();

    const created = await server.request('POST', '/api/admin/users', {
      cookie,
      body: { email: 'otto@example.test', name: 'Otto', password: 'a-good-password', role: 'viewer' },
    });
    expect(created.status, created.text).toBe(201);
    const other = await server.login('otto@example.test', 'a-good-password');
    const third = await openStream(`${server.url}/api/admin/stream`, { cookie: other });
    expect(third.status).toBe(200);
    // The replica's three slots are taken, whoever asks.
    const fourth = await openStream(`${server.url}/api/admin/stream`, { cookie: other });
    expect(fourth.status).toBe(429);

    for (const s of first) s.close();
    await expect
      .poll(async () => {
        const again = await openStream(`${server.url}/api/admin/stream`, { cookie });
        again.close();
        return again.status;
      })
      .toBe(200);
    third.close();
  });
});
