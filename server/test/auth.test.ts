import { gt, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../src/db/schema/index.ts';
import { ADMIN, DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

const COOKIE = 'sb_session';

function auditHelpers(server: () => TestServer) {
  return {
    async mark(): Promise<number> {
      const [row] = await server()
        .app.db.select({ id: sql<number>`coalesce(max(${auditLog.id}), 0)::int` })
        .from(auditLog);
      return row?.id ?? 0;
    },
    since(mark: number) {
      return server().app.db.select().from(auditLog).where(gt(auditLog.id, mark)).orderBy(auditLog.id);
    },
  };
}

describe.skipIf(!DATABASE_URL)('auth', () => {
  let server: TestServer;
  const audit = auditHelpers(() => server);

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('logs in: the user view, a session cookie with safe attributes, one audit row', async () => {
    const mark = await audit.mark();
    const res = await server.request('POST', '/api/admin/login', { body: { email: ADMIN.email, password: ADMIN.password } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: expect.any(String), email: ADMIN.email, name: expect.any(String), role: 'admin' });
    expect(res.text).not.toMatch(/argon2|password/i);

    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^${COOKIE}=sbx_[A-Za-z0-9_-]{43};`));
    const attributes = setCookie.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=lax');
    expect(attributes).toContain('path=/');
    expect(attributes).toContain(`max-age=${7 * 24 * 60 * 60}`);
    // SECURE_COOKIES is off in tests (plain HTTP).
    expect(attributes).not.toContain('secure');

    const rows = await audit.since(mark);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'user.login',
      resourceType: 'user',
      resourceKey: res.body.id,
      actor: `user:${res.body.id}`,
      actorName: ADMIN.email,
    });
  });

  it('compares emails case-insensitively', async () => {
    const res = await server.request('POST', '/api/admin/login', { body: { email: '  Admin@Example.TEST ', password: ADMIN.password } });
    expect(res.status).toBe(200);
  });

  it('answers a wrong password and an unknown email alike, without a cookie or an audit row', async () => {
    const mark = await audit.mark();
    const wrong = await server.request('POST', '/api/admin/login', { body: { email: ADMIN.email, password: 'not-the-password' } });
    const unknown = await server.request('POST', '/api/admin/login', { body: { email: 'nobody@example.test', password: ADMIN.password } });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    expect(wrong.body).toEqual(unknown.body);
    expect(await audit.since(mark)).toHaveLength(0);
  });

  it('refuses malformed login bodies with 400', async () => {
    const extra = await server.request('POST', '/api/admin/login', {
      body: { email: ADMIN.email, password: ADMIN.password, role: 'admin' },
    });
    expect(extra.status).toBe(400);
    const missing = await server.request('POST', '/api/admin/login', { body: { email: ADMIN.email } });
    expect(missing.status).toBe(400);
  });

  it('GET /me tells who the cookie belongs to', async () => {
    const cookie = await server.login();
    const res = await server.request('GET', '/api/admin/me', { cookie });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kind: 'user', id: expect.any(String), name: expect.any(String), email: ADMIN.email, role: 'admin' });

    const anonymous = await server.request('GET', '/api/admin/me');
    expect(anonymous.status).toBe(401);
    const forged = await server.request('GET', '/api/admin/me', { cookie: `${COOKIE}=sbx_forged` });
    expect(forged.status).toBe(401);
  });

  it('GET /me tells who an API token belongs to', async () => {
    const cookie = await server.login();
    const created = await server.request('POST', '/api/admin/tokens', { cookie, body: { name: 'ci', role: 'editor' } });
    expect(created.status).toBe(201);
    const res = await server.request('GET', '/api/admin/me', { token: created.body.secret });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kind: 'token', id: created.body.id, name: 'ci', role: 'editor' });
  });

  it('logout ends the session, clears the cookie and writes one audit row', async () => {
    const cookie = await server.login();
    const other = await server.login();
    const mark = await audit.mark();
    const res = await server.request('POST', '/api/admin/logout', { cookie });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
    const cleared = (res.headers.get('set-cookie') ?? '').toLowerCase();
    expect(cleared).toMatch(new RegExp(`^${COOKIE}=;`));
    expect(cleared).toMatch(/expires=thu, 01 jan 1970|max-age=0/);

    const rows = await audit.since(mark);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'user.logout', resourceType: 'user' });

    expect((await server.request('GET', '/api/admin/me', { cookie })).status).toBe(401);
    expect((await server.request('POST', '/api/admin/logout', { cookie })).status).toBe(401);
    // Only that session ended.
    expect((await server.request('GET', '/api/admin/me', { cookie: other })).status).toBe(200);
  });
});

describe.skipIf(!DATABASE_URL)('login rate limit', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ env: { LOGIN_RATE_LIMIT: '3' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers 429 RATE_LIMITED with Retry-After after LOGIN_RATE_LIMIT attempts a minute, and limits nothing else', async () => {
    const cookie = await server.login();
    for (let i = 0; i < 2; i++) {
      const res = await server.request('POST', '/api/admin/login', { body: { email: ADMIN.email, password: 'wrong-password' } });
      expect(res.status).toBe(401);
    }
    const limited = await server.request('POST', '/api/admin/login', { body: { email: ADMIN.email, password: ADMIN.password } });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringMatching(/retry/i), details: expect.anything() } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('set-cookie')).toBeNull();

    // The limit is the login route's own: the rest of the admin API still answers.
    for (let i = 0; i < 5; i++) {
      const me = await server.request('GET', '/api/admin/me', { cookie });
      expect(me.status).toBe(200);
      expect(me.headers.get('x-ratelimit-limit')).toBeNull();
    }
    expect((await server.request('POST', '/api/admin/logout', { cookie })).status).toBe(200);
  });
});

describe.skipIf(!DATABASE_URL)('auth: own password, idle sessions, per-account throttle', () => {
  let server: TestServer;
  let admin: string;
  const audit = auditHelpers(() => server);
  // Long enough that no use of a session in this block comes that late on a loaded CI machine
  // (1.5 s did not: a log-in followed by its first request once took longer).
  const IDLE_MS = 3000;

  beforeAll(async () => {
    server = await startTestServer({ env: { SESSION_IDLE_TIMEOUT_MS: String(IDLE_MS), LOGIN_ACCOUNT_LIMIT: '3' } });
    admin = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  const newUser = async (email: string, role: 'viewer' | 'editor' | 'admin', password = 'first-password') => {
    const res = await server.request('POST', '/api/admin/users', { cookie: admin, body: { email, name: 'N', password, role } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; version: number };
  };
  const loginStatus = async (email: string, password: string) =>
    (await server.request('POST', '/api/admin/login', { body: { email, password } })).status;

  it('any user changes their own password with the current one; other sessions end, this one stays', async () => {
    await newUser('self@example.test', 'viewer');
    const cookie = await server.login('self@example.test', 'first-password');
    const other = await server.login('self@example.test', 'first-password');

    const mark = await audit.mark();
    const wrong = await server.request('POST', '/api/admin/me/password', {
      cookie,
      body: { currentPassword: 'not-it', newPassword: 'second-password' },
    });
    expect(wrong.status, wrong.text).toBe(403);
    expect(wrong.body.error.code).toBe('WRONG_PASSWORD');
    expect(await audit.since(mark)).toHaveLength(0);

    const ok = await server.request('POST', '/api/admin/me/password', {
      cookie,
      body: { currentPassword: 'first-password', newPassword: 'second-password' },
    });
    expect(ok.status, ok.text).toBe(200);
    const rows = await audit.since(mark);
    expect(rows.map((r) => r.action)).toEqual(['user.password_changed']);
    expect(JSON.stringify(rows)).not.toContain('second-password');
    expect((await server.request('GET', '/api/admin/me', { cookie })).status).toBe(200);
    expect((await server.request('GET', '/api/admin/me', { cookie: other })).status).toBe(401);
    expect(await loginStatus('self@example.test', 'first-password')).toBe(401);
    expect(await loginStatus('self@example.test', 'second-password')).toBe(200);

    const short = await server.request('POST', '/api/admin/me/password', {
      cookie,
      body: { currentPassword: 'second-password', newPassword: 'short' },
    });
    expect(short.status).toBe(400);
    const token = (await server.request('POST', '/api/admin/tokens', { cookie: admin, body: { name: 't', role: 'viewer' } })).body.secret;
    const byToken = await server.request('POST', '/api/admin/me/password', {
      token,
      body: { currentPassword: ADMIN.password, newPassword: 'third-password' },
    });
    expect(byToken.status).toBe(403);
    expect(byToken.body.error.code).toBe('FORBIDDEN');
  });

  it("an admin's own password change through PATCH /users needs the current one; resetting someone else's does not", async () => {
    const me = (await server.request('GET', '/api/admin/me', { cookie: admin })).body;
    const version = async (id: string) =>
      ((await server.request('GET', '/api/admin/users', { cookie: admin })).body.users as { id: string; version: number }[]).find(
        (u) => u.id === id,
      )?.version;
    const without = await server.request('PATCH', `/api/admin/users/${me.id}`, {
      cookie: admin,
      body: { password: 'another-password', version: await version(me.id) },
    });
    expect(without.status).toBe(403);
    expect(without.body.error.code).toBe('WRONG_PASSWORD');
    expect(await loginStatus(ADMIN.email, ADMIN.password)).toBe(200);
    const withIt = await server.request('PATCH', `/api/admin/users/${me.id}`, {
      cookie: admin,
      body: { password: ADMIN.password, currentPassword: ADMIN.password, version: await version(me.id) },
    });
    expect(withIt.status, withIt.text).toBe(200);

    const someone = await newUser('reset@example.test', 'editor');
    const reset = await server.request('PATCH', `/api/admin/users/${someone.id}`, {
      cookie: admin,
      body: { password: 'reset-password', version: someone.version },
    });
    expect(reset.status, reset.text).toBe(200);
    expect(await loginStatus('reset@example.test', 'reset-password')).toBe(200);
  });

  it('a session unused for SESSION_IDLE_TIMEOUT_MS ends; using it pushes the end back', async () => {
    const cookie = await server.login();
    // Used every 1.2 s for longer than the timeout: still alive.
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 1200));
      expect((await server.request('GET', '/api/admin/me', { cookie })).status, `use ${i}`).toBe(200);
    }
    await new Promise((r) => setTimeout(r, IDLE_MS + 300));
    const idle = await server.request('GET', '/api/admin/me', { cookie });
    expect(idle.status).toBe(401);
    expect(idle.body.error.code).toBe('UNAUTHENTICATED');
    // Keep the suite's admin session alive for the rest.
    admin = await server.login();
  });

  it('failed logins are limited per account: past LOGIN_ACCOUNT_LIMIT even the right password gets 429; others are untouched', async () => {
    await newUser('victim@example.test', 'editor');
    await newUser('bystander@example.test', 'editor');
    for (let i = 0; i < 3; i++) expect(await loginStatus('victim@example.test', `guess-${i}`)).toBe(401);
    const blocked = await server.request('POST', '/api/admin/login', {
      body: { email: 'Victim@example.test', password: 'first-password' },
    });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('RATE_LIMITED');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await loginStatus('bystander@example.test', 'first-password')).toBe(200);
    // Unknown emails are counted alike: the answer does not tell who has an account.
    for (let i = 0; i < 3; i++) expect(await loginStatus('nobody@example.test', `guess-${i}`)).toBe(401);
    expect(await loginStatus('nobody@example.test', 'guess')).toBe(429);
  });

  it.skipIf(!process.env.REDIS_URL)('with Redis, the per-account count is shared by replicas', async () => {
    const other = await startTestServer({ env: { REDIS_URL: process.env.REDIS_URL ?? '', LOGIN_ACCOUNT_LIMIT: '3' } });
    const first = await startTestServer({ env: { REDIS_URL: process.env.REDIS_URL ?? '', LOGIN_ACCOUNT_LIMIT: '3' } });
    try {
      // A fresh name per run: the count lives in the shared Redis for its 15-minute window.
      const email = `shared-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`;
      const status = async (s: TestServer) =>
        (await s.request('POST', '/api/admin/login', { body: { email, password: 'wrong-password' } })).status;
      expect([await status(first), await status(other), await status(first)]).toEqual([401, 401, 401]);
      expect(await status(other)).toBe(429);
    } finally {
      await Promise.all([first.close(), other.close()]);
    }
  });
});

/**
 * A replica reuses a session lookup for SESSION_CACHE_MS (here a minute, so only invalidation can
 * end it early): a log-out, a disabled user or a new role must still hold from the next request,
 * on the replica that made the change and, through the bus, on the others.
 */
describe.skipIf(!DATABASE_URL)('session lookups reused for a while', () => {
  const CACHE = { SESSION_CACHE_MS: '60000' };

  it('a disabled user and a changed role hold at once on the replica that changed them', async () => {
    const server = await startTestServer({ env: CACHE });
    try {
      const admin = await server.login();
      const create = async (email: string) =>
        (
          await server.request('POST', '/api/admin/users', {
            cookie: admin,
            body: { email, name: 'N', password: 'first-password', role: 'viewer' },
          })
        ).body as { id: string; version: number };
      const leaving = await create('leaving@example.test');
      const promoted = await create('promoted@example.test');
      const leavingCookie = await server.login('leaving@example.test', 'first-password');
      const promotedCookie = await server.login('promoted@example.test', 'first-password');
      // Both sessions read, and so reused from here on.
      expect((await server.request('GET', '/api/admin/me', { cookie: leavingCookie })).status).toBe(200);
      expect((await server.request('POST', '/api/admin/flags', { cookie: promotedCookie, body: { key: 'not-yet' } })).status).toBe(403);

      expect((await server.request('DELETE', `/api/admin/users/${leaving.id}`, { cookie: admin })).status).toBe(200);
      expect((await server.request('GET', '/api/admin/me', { cookie: leavingCookie })).status).toBe(401);
      const promote = await server.request('PATCH', `/api/admin/users/${promoted.id}`, {
        cookie: admin,
        body: { role: 'editor', version: promoted.version },
      });
      expect(promote.status, promote.text).toBe(200);
      expect((await server.request('POST', '/api/admin/flags', { cookie: promotedCookie, body: { key: 'now-allowed' } })).status).toBe(201);
    } finally {
      await server.close();
    }
  });

  it.skipIf(!process.env.REDIS_URL)('with Redis, a log-out on one replica ends the session on another that had just read it', async () => {
    const env = { ...CACHE, REDIS_URL: process.env.REDIS_URL ?? '' };
    const first = await startTestServer({ env });
    const second = await startTestServer({ env, databaseUrl: first.config.databaseUrl ?? '' });
    try {
      const cookie = await first.login();
      expect((await second.request('GET', '/api/admin/me', { cookie })).status).toBe(200);
      expect((await first.request('POST', '/api/admin/logout', { cookie })).status).toBe(200);
      await expect
        .poll(async () => (await second.request('GET', '/api/admin/me', { cookie })).status, { timeout: 3000, interval: 50 })
        .toBe(401);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
