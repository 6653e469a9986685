import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream } from './helpers/sse.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

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
});
