import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_SCOPES } from '../src/features/environments/route-scopes.ts';
import { dbFingerprint } from './helpers/db-fingerprint.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * Per-environment roles (`environmentRoles` of users and tokens) against every admin route of the
 * app, as Fastify registered them. Each route must have a decision in ROUTE_SCOPES (a route added
 * without one fails here), and each route scoped to an environment or to every environment is
 * called by callers whose global role allows it but whose role in production does not: every such
 * call answers 403 and writes nothing. The reverse (a viewer made editor in one environment) is
 * checked on the routes where it matters.
 */
describe.skipIf(!DATABASE_URL)('per-environment roles x admin routes', () => {
  let server: TestServer;
  let adminCookie: string;
  const ids: Record<string, string> = {};

  async function admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any> {
    const res = await server.request(method, `/api/admin${path}`, { cookie: adminCookie, body, headers });
    if (res.status >= 300) throw new Error(`setup ${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  }
  async function user(email: string, role: string, environmentRoles: Record<string, string>) {
    const created = await admin('POST', '/users', { email, name: email.split('@')[0], password: 'a-good-password', role });
    await admin('PATCH', `/users/${created.id}`, { environmentRoles, version: created.version });
    return server.login(email, 'a-good-password');
  }

  beforeAll(async () => {
    server = await startTestServer();
    adminCookie = await server.login();
    await admin('POST', '/flags', { key: 'shared' });
    await admin(
      'PATCH',
      '/flags/shared/environments/production',
      { rules: [{ id: 'main', rollout: { percentage: 1 } }] },
      { 'if-match': '"1"' },
    );
    await admin('POST', '/segments', { key: 'shared', conditions: [{ attribute: 'country', operator: 'IN', values: ['SE'] }] });
    ids.ramp = (
      await admin('POST', '/ramps', {
        flag: 'shared',
        environment: 'production',
        ruleId: 'main',
        steps: [{ percentage: 5, holdSeconds: 60 }],
      })
    ).id;
    ids.schedule = (
      await admin('POST', '/flags/shared/environments/production/schedule', { at: '2099-01-01T00:00:00Z', patch: { enabled: true } })
    ).id;
    ids.key = (await admin('POST', '/keys', { name: 'k', environment: 'production', kind: 'server' })).id;
    ids.changeRequest = (
      await admin('POST', '/change-requests', {
        environment: 'production',
        title: 't',
        change: { kind: 'flag-config', flagKey: 'shared', baseVersion: 2, config: { enabled: true } },
      })
    ).id;
    ids.freezeWindow = (
      await admin('POST', '/environments/production/freeze-windows', {
        start: '2099-01-01T00:00:00Z',
        end: '2099-01-02T00:00:00Z',
        reason: 'x',
        recurrence: 'none',
        mode: 'refuse',
      })
    ).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('has a scope decision for every admin route Fastify registered, and none for a route that does not exist', () => {
    const registered = server.app.adminRoutes.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered.length).toBeGreaterThan(60);
    expect(Object.keys(ROUTE_SCOPES).sort()).toEqual([...new Set(registered)].sort());
    // And every one of them declared its role rather than relying on the admin default.
    expect(server.app.adminRoutes.filter((r) => r.role === undefined).map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  /** A concrete request for a route, aimed at production (or, for `every`, at nothing in particular). */
  function requestFor(method: string, url: string): { path: string; body?: unknown } {
    const path = url
      .replace('/api/admin', '')
      .replace(':env', 'production')
      .replace(':key', 'shared')
      .replace(':name', 'plan')
      .replace(/^\/ramps\/:id/, `/ramps/${ids.ramp}`)
      .replace(/^\/schedules\/:id/, `/schedules/${ids.schedule}`)
      .replace(/^\/keys\/:id/, `/keys/${ids.key}`)
      .replace(/^\/change-requests\/:id/, `/change-requests/${ids.changeRequest}`)
      .replace(/freeze-windows\/:id/, `freeze-windows/${ids.freezeWindow}`);
    // Body-scoped routes name the environment in the body; the rest of it does not matter, as the
    // role is checked before the body is validated.
    return { path, ...(method === 'GET' ? {} : { body: { environment: 'production' } }) };
  }

  it('refuses every write scoped to production (or to every environment) to a global admin who is a viewer in production, writing nothing', async () => {
    const cookie = await user('demoted@example.test', 'admin', { production: 'viewer' });
    const token = (await server.request('POST', '/api/admin/tokens', { cookie, body: { name: 'demoted', role: 'admin' } })).body
      .secret as string;
    let checked = 0;
    for (const route of server.app.adminRoutes) {
      const scope = ROUTE_SCOPES[`${route.method} ${route.url}`];
      if (scope === 'global' || scope === undefined || route.role === 'public' || route.role === 'viewer') continue;
      const { path, body } = requestFor(route.method, route.url);
      for (const credential of [{ cookie }, { token }]) {
        const before = await dbFingerprint(server);
        const res = await server.request(route.method, `/api/admin${path}`, { ...credential, body });
        const name = `${route.method} ${route.url} (${'cookie' in credential ? 'session' : 'token'})`;
        expect.soft(res.status, `${name}: ${res.text}`).toBe(403);
        expect.soft(res.body?.error?.code, name).toBe('FORBIDDEN');
        expect.soft(await dbFingerprint(server), name).toBe(before);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('lets the same caller act where its global role holds: staging writes and global admin routes', async () => {
    const cookie = await server.login('demoted@example.test', 'a-good-password');
    const staging = await server.request('PATCH', '/api/admin/flags/shared/environments/staging', {
      cookie,
      body: { enabled: true },
      headers: { 'if-match': '"1"' },
    });
    expect(staging.status).toBe(200);
    expect((await server.request('GET', '/api/admin/users', { cookie })).status).toBe(200);
    // Reads of production stay open to a viewer there.
    expect((await server.request('GET', '/api/admin/flags/shared/environments/production', { cookie })).status).toBe(200);
  });

  it('lets a global viewer who is an editor in development write there and nowhere else', async () => {
    const cookie = await user('dev@example.test', 'viewer', { development: 'editor' });
    const dev = await server.request('PATCH', '/api/admin/flags/shared/environments/development', {
      cookie,
      body: { enabled: true },
      headers: { 'if-match': '"1"' },
    });
    expect(dev.status).toBe(200);
    for (const env of ['staging', 'production']) {
      const res = await server.request('PATCH', `/api/admin/flags/shared/environments/${env}`, {
        cookie,
        body: { enabled: false },
        headers: { 'if-match': '"2"' },
      });
      expect(res.status, env).toBe(403);
    }
    // A flag reaches every environment: creating one needs the role everywhere.
    expect((await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'by-dev' } })).status).toBe(403);
    // Proposing and reviewing follow the request's environment.
    const proposal = await server.request('POST', '/api/admin/change-requests', {
      cookie,
      body: {
        environment: 'production',
        title: 'x',
        change: { kind: 'flag-config', flagKey: 'shared', baseVersion: 2, config: { enabled: false } },
      },
    });
    expect(proposal.status).toBe(403);
    expect(
      (await server.request('POST', `/api/admin/change-requests/${ids.changeRequest}/reviews`, { cookie, body: { decision: 'comment' } }))
        .status,
    ).toBe(403);
    // A ramp in production is not theirs to start.
    expect((await server.request('POST', `/api/admin/ramps/${ids.ramp}/start`, { cookie })).status).toBe(403);
  });

  it('caps a token by its owner in each environment, and nobody grants more than they hold there', async () => {
    const owner = await user('capped@example.test', 'admin', { production: 'editor' });
    const tooMuch = await server.request('POST', '/api/admin/tokens', {
      cookie: owner,
      body: { name: 'ci', role: 'admin', environmentRoles: { production: 'admin' } },
    });
    expect(tooMuch.status).toBe(403);
    const created = await server.request('POST', '/api/admin/tokens', { cookie: owner, body: { name: 'ci', role: 'admin' } });
    expect(created.body.environmentRoles).toEqual({});
    const token = created.body.secret as string;
    // An admin token, but its owner is an editor in production: so is the token there.
    const settings = await server.request('PATCH', '/api/admin/environments/production/settings', {
      token,
      body: { protected: true, version: 1 },
    });
    expect(settings.status).toBe(403);
    const current = await server.request('GET', '/api/admin/flags/shared/environments/production', { token });
    const write = await server.request('PATCH', '/api/admin/flags/shared/environments/production', {
      token,
      body: { enabled: !current.body.enabled },
      headers: { 'if-match': `"${current.body.version}"` },
    });
    expect(write.status).toBe(200);
    // Elsewhere the token is the admin it says it is.
    const staging = await admin('GET', '/environments/staging');
    expect(
      (
        await server.request('PATCH', '/api/admin/environments/staging/settings', {
          token,
          body: { protected: true, version: staging.version },
        })
      ).status,
    ).toBe(200);
  });
});
