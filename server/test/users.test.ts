import { eq, gt, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, sessions, users } from '../src/db/schema/index.ts';
import type { Actor } from '../src/domain/actor.ts';
import { ForbiddenError } from '../src/errors.ts';
import { changeDeps } from '../src/features/change-deps.ts';
import { createUser, ensureFirstAdmin, updateUser } from '../src/features/users/service.ts';
import { ADMIN, DATABASE_URL, type RequestOptions, startTestServer, type TestResponse, type TestServer } from './helpers/test-server.ts';

/** Anything that looks like a stored password, in any response or audit row. */
const PASSWORD_LEAK = /argon2|password_?hash/i;

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

describe.skipIf(!DATABASE_URL)('users', () => {
  let server: TestServer;
  let admin: string;
  let adminId: string;
  const audit = auditHelpers(() => server);

  /** Every response of this file passes through here, so none may carry a password hash. */
  async function call<T = any>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>> {
    const res = await server.request<T>(method, path, options);
    expect(res.text).not.toMatch(PASSWORD_LEAK);
    return res;
  }

  /** Runs one write and checks it left exactly one audit row, of `action`, without secrets. */
  async function audited<T = any>(action: string, write: () => Promise<TestResponse<T>>): Promise<TestResponse<T>> {
    const mark = await audit.mark();
    const res = await write();
    const rows = await audit.since(mark);
    expect(rows, `${action}: ${res.status} ${res.text}`).toHaveLength(1);
    expect(rows[0]?.action).toBe(action);
    expect(rows[0]?.resourceType).toBe('user');
    expect(JSON.stringify(rows)).not.toMatch(PASSWORD_LEAK);
    return res;
  }

  async function unaudited<T = any>(write: () => Promise<TestResponse<T>>): Promise<TestResponse<T>> {
    const mark = await audit.mark();
    const res = await write();
    expect(await audit.since(mark)).toHaveLength(0);
    return res;
  }

  async function newUser(email: string, role: 'viewer' | 'editor' | 'admin', password = 'a-good-password') {
    const res = await call('POST', '/api/admin/users', { cookie: admin, body: { email, name: email.split('@')[0], password, role } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; email: string; version: number };
  }

  beforeAll(async () => {
    server = await startTestServer();
    admin = await server.login();
    adminId = (await call('GET', '/api/admin/me', { cookie: admin })).body.id;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates a user: 201, lower-cased email, no hash, one audit row', async () => {
    const res = await audited('user.created', () =>
      call('POST', '/api/admin/users', {
        cookie: admin,
        body: { email: 'Ed@Example.Test', name: 'Ed', password: 'ed-password', role: 'editor' },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      email: 'ed@example.test',
      name: 'Ed',
      role: 'editor',
      environmentRoles: {},
      version: 1,
      createdAt: expect.any(String),
      disabledAt: null,
    });
    const [stored] = await server.app.db.select().from(users).where(eq(users.id, res.body.id));
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);

    const login = await call('POST', '/api/admin/login', { body: { email: 'ED@example.test', password: 'ed-password' } });
    expect(login.status).toBe(200);
    expect(login.body.role).toBe('editor');
  });

  it('refuses a duplicate email, whatever its case, with 409 and no audit row', async () => {
    await newUser('dup@example.test', 'viewer');
    const res = await unaudited(() =>
      call('POST', '/api/admin/users', {
        cookie: admin,
        body: { email: 'DUP@example.test', name: 'Dup', password: 'a-good-password', role: 'viewer' },
      }),
    );
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it('validates bodies: password length, unknown fields, role, email shape', async () => {
    const base = { email: 'v@example.test', name: 'V', password: 'a-good-password', role: 'viewer' };
    for (const body of [
      { ...base, password: 'short' },
      { ...base, password: 'x'.repeat(201) },
      { ...base, admin: true },
      { ...base, role: 'owner' },
      { ...base, email: 'not-an-email' },
      { ...base, name: '' },
    ]) {
      const res = await unaudited(() => call('POST', '/api/admin/users', { cookie: admin, body }));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('lists users without password hashes', async () => {
    const res = await call('GET', '/api/admin/users', { cookie: admin });
    expect(res.status).toBe(200);
    expect(res.body.users.map((u: { email: string }) => u.email)).toContain(ADMIN.email);
    for (const u of res.body.users)
      expect(Object.keys(u).sort()).toEqual(['createdAt', 'disabledAt', 'email', 'environmentRoles', 'id', 'name', 'role', 'version']);
  });

  it('updates with If-Match or a version field: 428 without, 412 when stale, one audit row when done', async () => {
    const u = await newUser('patch@example.test', 'viewer');
    const path = `/api/admin/users/${u.id}`;

    const missing = await unaudited(() => call('PATCH', path, { cookie: admin, body: { name: 'P' } }));
    expect(missing.status).toBe(428);
    expect(missing.body.error.code).toBe('VERSION_REQUIRED');

    const byHeader = await audited('user.updated', () =>
      call('PATCH', path, { cookie: admin, body: { name: 'P1' }, headers: { 'if-match': '"1"' } }),
    );
    expect(byHeader.status).toBe(200);
    expect(byHeader.body).toMatchObject({ name: 'P1', version: 2 });

    const stale = await unaudited(() => call('PATCH', path, { cookie: admin, body: { name: 'P2', version: 1 } }));
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ code: 'VERSION_MISMATCH', details: { currentVersion: 2 } });

    const byField = await audited('user.updated', () => call('PATCH', path, { cookie: admin, body: { role: 'editor', version: 2 } }));
    expect(byField.body).toMatchObject({ name: 'P1', role: 'editor', version: 3 });

    const [row] = await audit.since((await audit.mark()) - 1);
    expect(row?.before).toMatchObject({ role: 'viewer', version: 2 });
    expect(row?.after).toMatchObject({ role: 'editor', version: 3 });

    const empty = await unaudited(() => call('PATCH', path, { cookie: admin, body: { version: 3 } }));
    expect(empty.status).toBe(400);
    const unknown = await call('PATCH', '/api/admin/users/00000000-0000-4000-8000-000000000000', {
      cookie: admin,
      body: { name: 'X', version: 1 },
    });
    expect(unknown.status).toBe(404);
    const notAnId = await call('PATCH', '/api/admin/users/nope', { cookie: admin, body: { name: 'X', version: 1 } });
    expect(notAnId.status).toBe(400);
  });

  it('a password change ends the sessions opened with the old password', async () => {
    const u = await newUser('pw@example.test', 'viewer', 'old-password');
    const session = await server.login('pw@example.test', 'old-password');
    const res = await audited('user.updated', () =>
      call('PATCH', `/api/admin/users/${u.id}`, { cookie: admin, body: { password: 'new-password', version: 1 } }),
    );
    expect(res.status).toBe(200);
    const [row] = await audit.since((await audit.mark()) - 1);
    expect(row?.after).toMatchObject({ passwordChanged: true });

    expect((await call('GET', '/api/admin/me', { cookie: session })).status).toBe(401);
    expect((await call('POST', '/api/admin/login', { body: { email: 'pw@example.test', password: 'old-password' } })).status).toBe(401);
    expect((await call('POST', '/api/admin/login', { body: { email: 'pw@example.test', password: 'new-password' } })).status).toBe(200);
  });

  it('keeps the caller session when admins change their own password', async () => {
    const u = await newUser('self@example.test', 'admin', 'self-password');
    const mine = await server.login('self@example.test', 'self-password');
    const elsewhere = await server.login('self@example.test', 'self-password');
    const res = await call('PATCH', `/api/admin/users/${u.id}`, {
      cookie: mine,
      body: { password: 'self-password-2', currentPassword: 'self-password', version: 1 },
    });
    expect(res.status).toBe(200);
    expect((await call('GET', '/api/admin/me', { cookie: mine })).status).toBe(200);
    expect((await call('GET', '/api/admin/me', { cookie: elsewhere })).status).toBe(401);
  });

  it('nobody grants a role above their own', async () => {
    const deps = changeDeps(server.app);
    const editor: Actor = { kind: 'user', id: '00000000-0000-4000-8000-000000000001', name: 'editor@example.test', role: 'editor' };
    await expect(
      createUser(deps, editor, { email: 'esc@example.test', name: 'Esc', password: 'a-good-password', role: 'admin' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const v = await newUser('esc2@example.test', 'viewer');
    await expect(updateUser(deps, editor, v.id, { role: 'admin' }, 1)).rejects.toBeInstanceOf(ForbiddenError);
    const [row] = await server.app.db.select().from(users).where(eq(users.id, v.id));
    expect(row?.role).toBe('viewer');

    // Over HTTP, non-admins do not reach user management at all.
    await newUser('ed2@example.test', 'editor');
    const edCookie = await server.login('ed2@example.test', 'a-good-password');
    const res = await unaudited(() =>
      call('POST', '/api/admin/users', {
        cookie: edCookie,
        body: { email: 'x@example.test', name: 'X', password: 'a-good-password', role: 'admin' },
      }),
    );
    expect(res.status).toBe(403);
    expect((await call('PATCH', `/api/admin/users/${v.id}`, { cookie: edCookie, body: { role: 'admin', version: 1 } })).status).toBe(403);
  });

  it('disables a user: sessions end, login fails, one audit row; disabling again writes nothing', async () => {
    const u = await newUser('gone@example.test', 'editor');
    const session = await server.login('gone@example.test', 'a-good-password');
    const res = await audited('user.disabled', () => call('DELETE', `/api/admin/users/${u.id}`, { cookie: admin }));
    expect(res.status).toBe(200);
    expect(res.body.disabledAt).toEqual(expect.any(String));
    expect(res.body.version).toBe(2);

    expect(await server.app.db.select().from(sessions).where(eq(sessions.userId, u.id))).toHaveLength(0);
    expect((await call('GET', '/api/admin/me', { cookie: session })).status).toBe(401);
    const login = await call('POST', '/api/admin/login', { body: { email: 'gone@example.test', password: 'a-good-password' } });
    expect(login.status).toBe(401);
    expect(login.body.error.message).toBe('Wrong email or password');

    const again = await unaudited(() => call('DELETE', `/api/admin/users/${u.id}`, { cookie: admin }));
    expect(again.status).toBe(200);
    expect(again.body.disabledAt).toBe(res.body.disabledAt);
    expect((await call('DELETE', '/api/admin/users/00000000-0000-4000-8000-000000000000', { cookie: admin })).status).toBe(404);
  });

  it('an admin cannot disable themself', async () => {
    const res = await unaudited(() => call('DELETE', `/api/admin/users/${adminId}`, { cookie: admin }));
    expect(res.status).toBe(409);
  });

  it('the last enabled admin can be neither disabled nor demoted', async () => {
    // An admin token is not a user, so "not yourself" does not get in the way.
    const token = (await call('POST', '/api/admin/tokens', { cookie: admin, body: { name: 'ops', role: 'admin' } })).body.secret as string;
    const list = (await call('GET', '/api/admin/users', { token })).body.users as {
      id: string;
      role: string;
      disabledAt: string | null;
      version: number;
    }[];
    // Leave the bootstrap admin as the only enabled one.
    for (const u of list.filter((x) => x.role === 'admin' && x.disabledAt === null && x.id !== adminId)) {
      expect((await call('DELETE', `/api/admin/users/${u.id}`, { token })).status).toBe(200);
    }
    let reader = token;
    const version = async (id: string) =>
      ((await call('GET', '/api/admin/users', { token: reader })).body.users as { id: string; version: number }[]).find((x) => x.id === id)
        ?.version;

    const ifMatch = `"${await version(adminId)}"`;
    const demote = await unaudited(() =>
      call('PATCH', `/api/admin/users/${adminId}`, { token, body: { role: 'editor' }, headers: { 'if-match': ifMatch } }),
    );
    expect(demote.status).toBe(409);
    expect(demote.body.error.message).toMatch(/last enabled admin/);
    const disable = await unaudited(() => call('DELETE', `/api/admin/users/${adminId}`, { token }));
    expect(disable.status).toBe(409);
    // Renaming the last admin is fine; only losing admin rights is not.
    expect(
      (
        await call('PATCH', `/api/admin/users/${adminId}`, {
          token,
          body: { name: 'Root', role: 'admin', version: await version(adminId) },
        })
      ).status,
    ).toBe(200);

    // A disabled admin does not count; a second enabled one does. A token acts within its owner's
    // role, so the rest runs with b's token: the first admin's own token stops being an admin's.
    const b = await newUser('b@example.test', 'admin');
    const bCookie = await server.login('b@example.test', 'a-good-password');
    const bToken = (await call('POST', '/api/admin/tokens', { cookie: bCookie, body: { name: 'b-ops', role: 'admin' } })).body
      .secret as string;
    reader = bToken;
    expect(
      (await call('PATCH', `/api/admin/users/${adminId}`, { token: bToken, body: { role: 'editor', version: await version(adminId) } }))
        .status,
    ).toBe(200);
    expect((await call('GET', '/api/admin/users', { token })).status).toBe(403);
    expect((await call('PATCH', `/api/admin/users/${b.id}`, { token: bToken, body: { role: 'viewer', version: b.version } })).status).toBe(
      409,
    );
    expect((await call('DELETE', `/api/admin/users/${b.id}`, { token: bToken })).status).toBe(409);
    // Put things back for whoever runs after.
    expect(
      (await call('PATCH', `/api/admin/users/${adminId}`, { token: bToken, body: { role: 'admin', version: await version(adminId) } }))
        .status,
    ).toBe(200);
  });
});

describe('first admin on PGlite', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ database: 'pglite' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('bootstrap creates the configured admin once, who can log in', async () => {
    const cookie = await server.login(ADMIN.email, ADMIN.password);
    const me = await server.request('GET', '/api/admin/me', { cookie });
    expect(me.body).toMatchObject({ kind: 'user', email: ADMIN.email, role: 'admin' });
    const rows = await server.app.db.select().from(users);
    expect(rows).toHaveLength(1);
  });

  it('without ADMIN_EMAIL it creates admin@localhost with a random password, logged once at warn level', async () => {
    // Start over from an empty users table (sessions cascade).
    await server.app.db.delete(users);
    const warnings: string[] = [];
    const log = {
      warn: (obj: unknown, msg?: string) => warnings.push(`${typeof obj === 'string' ? obj : ''}${msg ?? ''}`),
      info: () => {},
    } as unknown as FastifyBaseLogger;
    const config = { ...server.config, adminEmail: undefined, adminPassword: undefined };

    await ensureFirstAdmin(server.app.db, config, log);
    await ensureFirstAdmin(server.app.db, config, log);
    expect(warnings).toHaveLength(1);
    const password = /password (\S+)/.exec(warnings[0] ?? '')?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await server.app.db.select().from(users)).toHaveLength(1);

    const cookie = await server.login('admin@localhost', password);
    const me = await server.request('GET', '/api/admin/me', { cookie });
    expect(me.body).toMatchObject({ kind: 'user', email: 'admin@localhost', role: 'admin' });
  });
});
