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
    expect(Object.keys(listed).sort()).toEqual(['createdAt', 'createdBy', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'role']);
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
    const editor: Actor = { kind: 'token', id: '00000000-0000-4000-8000-000000000001', name: 'editor-token', role: 'editor' };
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
});
