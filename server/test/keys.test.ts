import { eq, gt, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, sdkKeys } from '../src/db/schema/index.ts';
import { hashSecret } from '../src/domain/secrets.ts';
import { findActiveKey } from '../src/features/keys/store.ts';
import { DATABASE_URL, startTestServer, type TestResponse, type TestServer } from './helpers/test-server.ts';

describe.skipIf(!DATABASE_URL)('SDK keys', () => {
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

  async function newKey(name: string, environment: string, kind: 'server' | 'client') {
    const res = await server.request('POST', '/api/admin/keys', { cookie: admin, body: { name, environment, kind } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; secret: string };
  }

  beforeAll(async () => {
    server = await startTestServer();
    admin = await server.login();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('creates a server key: the secret once, only its hash stored, one audit row without it', async () => {
    const { res, rows } = await withAudit(() =>
      server.request('POST', '/api/admin/keys', { cookie: admin, body: { name: 'backend', environment: 'production', kind: 'server' } }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'backend',
      environment: 'production',
      kind: 'server',
      prefix: res.body.secret.slice(0, 8),
      createdBy: expect.stringMatching(/^user:/),
      createdAt: expect.any(String),
      revokedAt: null,
      secret: expect.stringMatching(/^sbs_[A-Za-z0-9_-]{43}$/),
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'key.created',
      resourceType: 'sdk_key',
      resourceKey: res.body.id,
      environmentKey: 'production',
    });
    expect(JSON.stringify(rows)).not.toContain(res.body.secret);

    const [stored] = await server.app.db.select().from(sdkKeys).where(eq(sdkKeys.id, res.body.id));
    expect(stored?.keyHash).toBe(hashSecret(res.body.secret));
  });

  it('client keys carry the client prefix', async () => {
    const key = await newKey('web', 'staging', 'client');
    expect(key.secret).toMatch(/^sbc_/);
    expect(await findActiveKey(server.app.db, key.secret)).toEqual({ id: key.id, environmentKey: 'staging', kind: 'client' });
  });

  it('lists keys per environment and in all, never with secrets', async () => {
    const dev = await newKey('dev-backend', 'development', 'server');
    const prod = await newKey('prod-web', 'production', 'client');

    const devList = await server.request('GET', '/api/admin/keys?environment=development', { cookie: admin });
    expect(devList.status).toBe(200);
    expect(devList.body.keys.map((k: { id: string }) => k.id)).toContain(dev.id);
    expect(devList.body.keys.every((k: { environment: string }) => k.environment === 'development')).toBe(true);

    const all = await server.request('GET', '/api/admin/keys', { cookie: admin });
    expect(all.body.keys.map((k: { id: string }) => k.id)).toEqual(expect.arrayContaining([dev.id, prod.id]));
    for (const res of [devList, all]) {
      expect(res.text).not.toContain(dev.secret);
      expect(res.text).not.toContain(prod.secret);
      expect(res.text).not.toContain(hashSecret(dev.secret));
    }
    const listed = all.body.keys.find((k: { id: string }) => k.id === dev.id);
    expect(Object.keys(listed).sort()).toEqual(['createdAt', 'createdBy', 'environment', 'id', 'kind', 'name', 'prefix', 'revokedAt']);
  });

  it('answers 404 for an unknown environment, writing nothing', async () => {
    const { res, rows } = await withAudit(() =>
      server.request('POST', '/api/admin/keys', { cookie: admin, body: { name: 'x', environment: 'nowhere', kind: 'server' } }),
    );
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(rows).toHaveLength(0);
    expect((await server.request('GET', '/api/admin/keys?environment=nowhere', { cookie: admin })).status).toBe(404);
  });

  it('validates bodies', async () => {
    for (const body of [
      { name: 'x', environment: 'production', kind: 'admin' },
      { name: 'x', environment: 'production' },
      { name: 'x', environment: 'production', kind: 'server', secret: 'sbs_mine' },
    ]) {
      const { res, rows } = await withAudit(() => server.request('POST', '/api/admin/keys', { cookie: admin, body }));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(rows).toHaveLength(0);
    }
  });

  it('SDK keys cannot call the admin API (403)', async () => {
    const server_ = await newKey('s', 'production', 'server');
    const client = await newKey('c', 'production', 'client');
    for (const secret of [server_.secret, client.secret]) {
      const res = await server.request('GET', '/api/admin/me', { token: secret });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
  });

  it('only admins manage keys', async () => {
    const editor = await server.request('POST', '/api/admin/tokens', { cookie: admin, body: { name: 'ed', role: 'editor' } });
    expect((await server.request('GET', '/api/admin/keys', { token: editor.body.secret })).status).toBe(403);
    expect(
      (
        await server.request('POST', '/api/admin/keys', {
          token: editor.body.secret,
          body: { name: 'x', environment: 'production', kind: 'server' },
        })
      ).status,
    ).toBe(403);
  });

  it('revokes a key: findActiveKey stops finding it, one audit row; revoking again writes nothing', async () => {
    const key = await newKey('doomed', 'production', 'server');
    expect(await findActiveKey(server.app.db, key.secret)).toEqual({ id: key.id, environmentKey: 'production', kind: 'server' });

    const { res, rows } = await withAudit(() => server.request('DELETE', `/api/admin/keys/${key.id}`, { cookie: admin }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: key.id, revokedAt: expect.any(String) });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'key.revoked', resourceType: 'sdk_key', resourceKey: key.id, environmentKey: 'production' });

    expect(await findActiveKey(server.app.db, key.secret)).toBeUndefined();
    expect(await findActiveKey(server.app.db, 'sbs_unknown')).toBeUndefined();

    const again = await withAudit(() => server.request('DELETE', `/api/admin/keys/${key.id}`, { cookie: admin }));
    expect(again.res.status).toBe(200);
    expect(again.rows).toHaveLength(0);
    expect((await server.request('DELETE', '/api/admin/keys/00000000-0000-4000-8000-000000000000', { cookie: admin })).status).toBe(404);
  });
});
