import { eq, gt, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens, auditLog } from '../src/db/schema/index.ts';
import type { Actor } from '../src/domain/actor.ts';
import { hashSecret } from '../src/domain/secrets.ts';
import { ForbiddenError } from '../src/errors.ts';
import { changeDeps } from '../src/features/change-deps.ts';
import { createToken } from '../src/features/tokens/service.ts';
import { DATABASE_URL, startTestServer, type TestResponse, type TestServer } from './helpers/test-server.ts';

describe.skipIf(!DATABASE_URL)('API tokens', () => {
  let server: TestServer;
  let admin: string;

  async function auditMark(): Promise<number> {
    const [row] = await server.app.db.select({ id: sql<number>`coalesce(max(${auditLog.id}), 0)::int` }).from(auditLog);
    return row?.id ?? 0;
  }

  /** Runs one write and returns it with the audit rows it left. */
  async function withAudit<T = any>(write: () => Promise<TestResponse<T>>) {
    const mark = await auditMark();
    const res = await write();
    const rows = await server.app.db.select().from(auditLog).where(gt(auditLog.id, mark)).orderBy(auditLog.id);
    return { res, rows };
  }

  async function newToken(name: string, role: 'viewer' | 'editor' | 'admin') {
    const res = await server.request('POST', '/api/admin/tokens', { cookie: admin, body: { name, role } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; secret: string; prefix: string };
  }

  beforeAll(async () => {
    server = await startTestServer();
    admin = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates a token: the secret once, only its hash stored, one audit row without it', async () => {
    const { res, rows } = await withAudit(() =>
      server.request('POST', '/api/admin/tokens', { cookie: admin, body: { name: 'deploys', role: 'editor' } }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'deploys',
      prefix: res.body.secret.slice(0, 8),
      role: 'editor',
      environmentRoles: {},
      scope: 'write',
      ownerId: expect.any(String),
      expiresAt: null,
      createdBy: expect.stringMatching(/^user:/),
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
      secret: expect.stringMatching(/^sbt_[A-Za-z0-9_-]{43}$/),
    });

    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'token.created', resourceType: 'token', resourceKey: res.body.id });
    expect(JSON.stringify(rows)).not.toContain(res.body.secret);

    const [stored] = await server.app.db.select().from(apiTokens).where(eq(apiTokens.id, res.body.id));
    expect(stored?.tokenHash).toBe(hashSecret(res.body.secret));
    expect(JSON.stringify(stored)).not.toContain(res.body.secret);
  });

  it('lists tokens without secrets or hashes', async () => {
    const t = await newToken('listed', 'viewer');
    const res = await server.request('GET', '/api/admin/tokens', { cookie: admin });
    expect(res.status).toBe(200);
    const listed = res.body.tokens.find((x: { id: string }) => x.id === t.id);
    expect(Object.keys(listed).sort()).toEqual([
      'createdAt',
      'createdBy',
      'environmentRoles',
      'expiresAt',
      'id',
      'lastUsedAt',
      'name',
      'ownerId',
      'prefix',
      'revokedAt',
      'role',
      'scope',
    ]);
    expect(res.text).not.toContain(t.secret);
    expect(res.text).not.toContain(hashSecret(t.secret));
  });

  it('a token authenticates with its own role', async () => {
    const viewer = await newToken('reader', 'viewer');
    const me = await server.request('GET', '/api/admin/me', { token: viewer.secret });
    expect(me.body).toEqual({ kind: 'token', id: viewer.id, name: 'reader', role: 'viewer' });
    expect((await server.request('GET', '/api/admin/environments', { token: viewer.secret })).status).toBe(200);

    const { res, rows } = await withAudit(() =>
      server.request('POST', '/api/admin/users', {
        token: viewer.secret,
        body: { email: 'x@example.test', name: 'X', password: 'a-good-password', role: 'viewer' },
      }),
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect(rows).toHaveLength(0);

    const editor = await newToken('writer', 'editor');
    expect(
      (await server.request('POST', '/api/admin/tokens', { token: editor.secret, body: { name: 'more', role: 'viewer' } })).status,
    ).toBe(403);

    const adminToken = await newToken('root', 'admin');
    const created = await server.request('POST', '/api/admin/tokens', {
      token: adminToken.secret,
      body: { name: 'child', role: 'viewer' },
    });
    expect(created.status).toBe(201);
    expect(created.body.createdBy).toBe(`token:${adminToken.id}`);
  });

  it('nobody creates a token above their own role', async () => {
    const editor: Actor = {
      kind: 'token',
      id: '00000000-0000-4000-8000-000000000001',
      name: 'editor-token',
      role: 'editor',
      userId: '00000000-0000-4000-8000-000000000002',
    };
    await expect(createToken(changeDeps(server.app), editor, { name: 'escalate', role: 'admin' })).rejects.toBeInstanceOf(ForbiddenError);
    const rows = await server.app.db.select().from(apiTokens).where(eq(apiTokens.name, 'escalate'));
    expect(rows).toHaveLength(0);
  });

  it('revokes a token: 401 from then on, one audit row; revoking again writes nothing', async () => {
    const t = await newToken('short-lived', 'editor');
    expect((await server.request('GET', '/api/admin/me', { token: t.secret })).status).toBe(200);

    const { res, rows } = await withAudit(() => server.request('DELETE', `/api/admin/tokens/${t.id}`, { cookie: admin }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: t.id, revokedAt: expect.any(String) });
    expect(res.body.secret).toBeUndefined();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'token.revoked', resourceType: 'token', resourceKey: t.id });

    const after = await server.request('GET', '/api/admin/me', { token: t.secret });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHENTICATED');

    const again = await withAudit(() => server.request('DELETE', `/api/admin/tokens/${t.id}`, { cookie: admin }));
    expect(again.res.status).toBe(200);
    expect(again.res.body.revokedAt).toBe(res.body.revokedAt);
    expect(again.rows).toHaveLength(0);

    expect((await server.request('DELETE', '/api/admin/tokens/00000000-0000-4000-8000-000000000000', { cookie: admin })).status).toBe(404);
    expect((await server.request('DELETE', '/api/admin/tokens/not-a-uuid', { cookie: admin })).status).toBe(400);
  });

  it('validates bodies', async () => {
    for (const body of [
      { name: 'x', role: 'owner' },
      { name: '', role: 'viewer' },
      { name: 'x', role: 'viewer', secret: 'mine' },
      { role: 'viewer' },
    ]) {
      const { res, rows } = await withAudit(() => server.request('POST', '/api/admin/tokens', { cookie: admin, body }));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(rows).toHaveLength(0);
    }
  });

  /** A user with a password, logged in; for tokens owned by someone other than the bootstrap admin. */
  async function newUser(email: string, role: 'viewer' | 'editor' | 'admin') {
    const res = await server.request('POST', '/api/admin/users', {
      cookie: admin,
      body: { email, name: email.split('@')[0], password: 'a-good-password', role },
    });
    expect(res.status, res.text).toBe(201);
    return { id: res.body.id as string, cookie: await server.login(email, 'a-good-password') };
  }
  const userVersion = async (id: string) => {
    const res = await server.request('GET', '/api/admin/users', { cookie: admin });
    return (res.body.users as { id: string; version: number }[]).find((u) => u.id === id)?.version;
  };

  it("a token is capped to its owner's current role and stops at once when the owner is disabled", async () => {
    const owner = await newUser('owner@example.test', 'admin');
    const created = await server.request('POST', '/api/admin/tokens', { cookie: owner.cookie, body: { name: 'owned', role: 'admin' } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.ownerId).toBe(owner.id);
    const secret = created.body.secret as string;
    expect((await server.request('GET', '/api/admin/users', { token: secret })).status).toBe(200);
    // A token made with that token belongs to the same person.
    const child = await server.request('POST', '/api/admin/tokens', { token: secret, body: { name: 'child', role: 'editor' } });
    expect(child.body.ownerId).toBe(owner.id);

    const demote = await server.request('PATCH', `/api/admin/users/${owner.id}`, {
      cookie: admin,
      body: { role: 'viewer', version: await userVersion(owner.id) },
    });
    expect(demote.status, demote.text).toBe(200);
    const users = await server.request('GET', '/api/admin/users', { token: secret });
    expect(users.status).toBe(403);
    expect(users.body.error.code).toBe('FORBIDDEN');
    expect((await server.request('GET', '/api/admin/me', { token: secret })).body.role).toBe('viewer');
    const write = await server.request('POST', '/api/admin/flags', { token: child.body.secret, body: { key: 'demoted-write' } });
    expect(write.status).toBe(403);

    expect((await server.request('DELETE', `/api/admin/users/${owner.id}`, { cookie: admin })).status).toBe(200);
    for (const t of [secret, child.body.secret as string]) {
      const res = await server.request('GET', '/api/admin/me', { token: t });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('a token whose owner row is gone is refused', async () => {
    const t = await newToken('orphan', 'viewer');
    await server.app.db.update(apiTokens).set({ ownerUserId: null }).where(eq(apiTokens.id, t.id));
    expect((await server.request('GET', '/api/admin/me', { token: t.secret })).status).toBe(401);
  });

  it('a token with expiresAt works until then and is refused after; expiresAt must lie ahead', async () => {
    const res = await server.request('POST', '/api/admin/tokens', {
      cookie: admin,
      body: { name: 'brief', role: 'viewer', expiresAt: new Date(Date.now() + 1500).toISOString() },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.expiresAt).toEqual(expect.any(String));
    expect((await server.request('GET', '/api/admin/me', { token: res.body.secret })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    const after = await server.request('GET', '/api/admin/me', { token: res.body.secret });
    expect(after.status).toBe(401);
    expect(after.body.error.message).toMatch(/expired/);

    for (const expiresAt of [new Date(Date.now() - 1000).toISOString(), 'tomorrow']) {
      const { res: bad, rows } = await withAudit(() =>
        server.request('POST', '/api/admin/tokens', { cookie: admin, body: { name: 'past', role: 'viewer', expiresAt } }),
      );
      expect(bad.status, expiresAt).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
      expect(rows).toHaveLength(0);
    }
  });

  it('lastUsedAt is written on use, at most once a minute', async () => {
    const t = await newToken('used', 'viewer');
    const lastUsed = async () => (await server.app.db.select().from(apiTokens).where(eq(apiTokens.id, t.id)))[0]?.lastUsedAt ?? null;
    expect(await lastUsed()).toBeNull();
    await server.request('GET', '/api/admin/flags', { token: t.secret });
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    await server.request('GET', '/api/admin/flags', { token: t.secret });
    expect((await lastUsed())?.getTime()).toBe(first?.getTime());
    const listed = (await server.request('GET', '/api/admin/tokens', { cookie: admin })).body.tokens.find(
      (x: { id: string }) => x.id === t.id,
    );
    expect(listed.lastUsedAt).toBe(first?.toISOString());
    // Over a minute later (moved back in the database), the next use writes again.
    const old = new Date(Date.now() - 61_000);
    await server.app.db.update(apiTokens).set({ lastUsedAt: old }).where(eq(apiTokens.id, t.id));
    await server.request('GET', '/api/admin/flags', { token: t.secret });
    expect((await lastUsed())?.getTime()).toBeGreaterThan(old.getTime() + 60_000);
  });

  it('a read-scoped token reads and never writes, whatever its role', async () => {
    const res = await server.request('POST', '/api/admin/tokens', { cookie: admin, body: { name: 'ro', role: 'admin', scope: 'read' } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.scope).toBe('read');
    const token = res.body.secret as string;
    expect((await server.request('GET', '/api/admin/users', { token })).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', '/api/admin/flags', { key: 'ro-flag' }],
      ['POST', '/api/admin/tokens', { name: 'escape', role: 'viewer' }],
      ['DELETE', `/api/admin/tokens/${res.body.id}`, undefined],
    ] as const) {
      const { res: write, rows } = await withAudit(() => server.request(method, path, { token, body }));
      expect(write.status, `${method} ${path}`).toBe(403);
      expect(write.body.error.code).toBe('READ_ONLY_TOKEN');
      expect(rows).toHaveLength(0);
    }
  });
});
