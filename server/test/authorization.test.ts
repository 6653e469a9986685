import http from 'node:http';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../src/db/schema/index.ts';
import { dbFingerprint } from './helpers/db-fingerprint.ts';
import { ADMIN, DATABASE_URL, type RequestOptions, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * Roles x routes. Every admin route is a row; every kind of caller is a column. The expected cells
 * follow the rules of the issue, not the code: viewers read everything and write nothing; editors
 * cannot manage users, keys, tokens or environments (listing them is managing them); SDK keys never
 * reach the admin API; nobody grants a role above their own. A forbidden cell answers exactly 401
 * (no or dead credentials) or 403 (known caller, not allowed) with the matching code, and writes
 * nothing. An allowed cell only needs to get past authorization (not 401/403).
 */

type Column = 'anonymous' | 'viewer' | 'editor' | 'admin' | 'serverKey' | 'clientKey' | 'revokedAdmin';
const COLUMNS: readonly Column[] = ['anonymous', 'viewer', 'editor', 'admin', 'serverKey', 'clientKey', 'revokedAdmin'];

/**
 * Who may call a route: anyone (`public`), at least this role, or only a logged-in user in person
 * (`session`: changing one's own password; every API token is refused, whatever its role).
 */
type Access = 'public' | 'viewer' | 'editor' | 'admin' | 'session';

const ROLE_RANK = { viewer: 1, editor: 2, admin: 3 } as const;

type Expected = { allowed: true } | { allowed: false; status: 401 | 403; code: 'UNAUTHENTICATED' | 'FORBIDDEN' };

function expected(access: Access, column: Column): Expected {
  if (access === 'public') return { allowed: true };
  switch (column) {
    case 'anonymous':
    case 'revokedAdmin':
      return { allowed: false, status: 401, code: 'UNAUTHENTICATED' };
    case 'serverKey':
    case 'clientKey':
      return { allowed: false, status: 403, code: 'FORBIDDEN' };
    default:
      if (access === 'session') return { allowed: false, status: 403, code: 'FORBIDDEN' };
      return ROLE_RANK[column] >= ROLE_RANK[access] ? { allowed: true } : { allowed: false, status: 403, code: 'FORBIDDEN' };
  }
}

/** One request of a row, built fresh for every cell so that allowed writes never disturb the next cell. */
interface Prepared {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Row {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The route as registered (OpenAPI spelling), under /api/admin. */
  route: string;
  /** What this row shows, when one route has several rows. */
  note?: string;
  access: Access;
  prepare: () => Promise<Prepared>;
}

describe.skipIf(!DATABASE_URL)('authorization: roles x admin routes', () => {
  let server: TestServer;
  let adminCookie: string;
  const credentials = {} as Record<Column, string | undefined>;
  let seq = 0;
  const uniq = (prefix: string) => `${prefix}-${++seq}`;

  /** Setup calls, as the logged-in admin; they must succeed. */
  async function admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any> {
    const res = await server.request(method, `/api/admin${path}`, { cookie: adminCookie, body, headers });
    if (res.status >= 300) throw new Error(`setup ${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  }

  const newFlag = async () => (await admin('POST', '/flags', { key: uniq('flag') })).key as string;
  const newRampableFlag = async () => {
    const key = await newFlag();
    await admin(
      'PATCH',
      `/flags/${key}/environments/production`,
      { rules: [{ id: 'main', rollout: { percentage: 1 } }] },
      { 'if-match': '"1"' },
    );
    return key;
  };
  const newRamp = async (started = false) => {
    const ramp = await admin('POST', '/ramps', {
      flag: await newRampableFlag(),
      environment: 'production',
      ruleId: 'main',
      steps: [{ percentage: 5, holdSeconds: 3600 }],
    });
    if (started) await admin('POST', `/ramps/${ramp.id}/start`);
    return ramp.id as string;
  };
  const newArchivedFlag = async () => {
    const key = await newFlag();
    await admin('POST', `/flags/${key}/archive`);
    return key;
  };
  const newSegment = async () =>
    (await admin('POST', '/segments', { key: uniq('segment'), conditions: [{ attribute: 'country', operator: 'IN', values: ['NO'] }] }))
      .key as string;
  const newEnvironment = async () => (await admin('POST', '/environments', { key: uniq('env'), name: 'Scratch' })).key as string;
  const newUser = async (role: 'viewer' | 'editor' | 'admin' = 'viewer') =>
    (await admin('POST', '/users', { email: `${uniq('user')}@example.test`, name: 'Someone', password: 'a-good-password', role }))
      .id as string;
  const newToken = async (role: 'viewer' | 'editor' | 'admin') =>
    (await admin('POST', '/tokens', { name: uniq(role), role })) as {
      id: string;
      secret: string;
    };
  const newKey = async (kind: 'server' | 'client') =>
    (await admin('POST', '/keys', { name: uniq(kind), environment: 'production', kind })) as { id: string; secret: string };
  const newWebhook = async () =>
    (await admin('POST', '/webhooks', { name: uniq('webhook'), url: 'http://127.0.0.1:9/hook', events: ['flag.*'], allowPrivate: true }))
      .id as string;

  const FUTURE_WINDOW = {
    start: '2099-01-01T00:00:00Z',
    end: '2099-01-02T00:00:00Z',
    reason: 'Holiday',
    recurrence: 'none',
    mode: 'refuse',
  };
  /** A request in production (which needs no approvals here, so it is approved as proposed), by the admin who owns the tokens. */
  const newChangeRequest = async () =>
    (
      await admin('POST', '/change-requests', {
        environment: 'production',
        title: 'On',
        change: { kind: 'flag-config', flagKey: await newFlag(), baseVersion: 1, config: { enabled: true } },
      })
    ).id as string;

  const ROWS: Row[] = [
    // auth
    { method: 'POST', route: '/login', access: 'public', prepare: async () => ({ path: '/login', body: { ...ADMIN } }) },
    { method: 'POST', route: '/logout', access: 'viewer', prepare: async () => ({ path: '/logout' }) },
    { method: 'GET', route: '/me', access: 'viewer', prepare: async () => ({ path: '/me' }) },
    {
      method: 'POST',
      route: '/me/password',
      access: 'session',
      prepare: async () => ({ path: '/me/password', body: { currentPassword: ADMIN.password, newPassword: ADMIN.password } }),
    },
    // environments
    { method: 'GET', route: '/environments', access: 'viewer', prepare: async () => ({ path: '/environments' }) },
    { method: 'GET', route: '/environments/{env}', access: 'viewer', prepare: async () => ({ path: '/environments/production' }) },
    {
      method: 'POST',
      route: '/environments',
      access: 'admin',
      prepare: async () => ({ path: '/environments', body: { key: uniq('env'), name: 'New one' } }),
    },
    {
      method: 'PATCH',
      route: '/environments/{env}',
      access: 'admin',
      prepare: async () => ({ path: `/environments/${await newEnvironment()}`, body: { name: 'Renamed' }, headers: { 'if-match': '"1"' } }),
    },
    {
      method: 'DELETE',
      route: '/environments/{env}',
      access: 'admin',
      prepare: async () => ({ path: `/environments/${await newEnvironment()}` }),
    },
    // flags
    { method: 'GET', route: '/flags', access: 'viewer', prepare: async () => ({ path: '/flags' }) },
    {
      method: 'POST',
      route: '/flags',
      access: 'editor',
      prepare: async () => ({ path: '/flags', body: { key: uniq('flag'), name: 'A flag', tags: ['t'] } }),
    },
    { method: 'GET', route: '/flags/{key}', access: 'viewer', prepare: async () => ({ path: '/flags/shared' }) },
    {
      method: 'PATCH',
      route: '/flags/{key}',
      access: 'editor',
      prepare: async () => ({ path: `/flags/${await newFlag()}`, body: { name: 'Renamed', version: 1 } }),
    },
    {
      method: 'POST',
      route: '/flags/{key}/archive',
      access: 'editor',
      prepare: async () => ({ path: `/flags/${await newFlag()}/archive` }),
    },
    {
      method: 'POST',
      route: '/flags/{key}/restore',
      access: 'editor',
      prepare: async () => ({ path: `/flags/${await newArchivedFlag()}/restore` }),
    },
    { method: 'DELETE', route: '/flags/{key}', access: 'editor', prepare: async () => ({ path: `/flags/${await newArchivedFlag()}` }) },
    {
      method: 'GET',
      route: '/flags/{key}/environments/{env}',
      access: 'viewer',
      prepare: async () => ({ path: '/flags/shared/environments/production' }),
    },
    {
      method: 'PATCH',
      route: '/flags/{key}/environments/{env}',
      access: 'editor',
      prepare: async () => ({
        path: `/flags/${await newFlag()}/environments/production`,
        body: { enabled: true, rules: [{ rollout: { percentage: 50 } }] },
        headers: { 'if-match': '"1"' },
      }),
    },
    {
      method: 'GET',
      route: '/flags/{key}/environments/{env}/versions',
      access: 'viewer',
      prepare: async () => ({ path: '/flags/shared/environments/production/versions' }),
    },
    {
      method: 'POST',
      route: '/flags/{key}/environments/{env}/revert',
      access: 'editor',
      prepare: async () => {
        const key = await newFlag();
        await admin('PATCH', `/flags/${key}/environments/production`, { enabled: true, version: 1 });
        return { path: `/flags/${key}/environments/production/revert`, body: { toVersion: 1, version: 2 } };
      },
    },
    // playground (reads only)
    {
      method: 'POST',
      route: '/evaluate',
      access: 'viewer',
      prepare: async () => ({ path: '/evaluate', body: { environment: 'production', context: { userId: 'u1' } } }),
    },
    // segments
    { method: 'GET', route: '/segments', access: 'viewer', prepare: async () => ({ path: '/segments' }) },
    { method: 'GET', route: '/segments/{key}', access: 'viewer', prepare: async () => ({ path: '/segments/shared' }) },
    {
      method: 'POST',
      route: '/segments',
      access: 'editor',
      prepare: async () => ({
        path: '/segments',
        body: { key: uniq('segment'), conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }] },
      }),
    },
    {
      method: 'PATCH',
      route: '/segments/{key}',
      access: 'editor',
      prepare: async () => ({ path: `/segments/${await newSegment()}`, body: { name: 'Renamed', version: 1 } }),
    },
    { method: 'DELETE', route: '/segments/{key}', access: 'editor', prepare: async () => ({ path: `/segments/${await newSegment()}` }) },
    // SDK keys
    { method: 'GET', route: '/keys', access: 'admin', prepare: async () => ({ path: '/keys' }) },
    {
      method: 'POST',
      route: '/keys',
      access: 'admin',
      prepare: async () => ({ path: '/keys', body: { name: uniq('key'), environment: 'development', kind: 'server' } }),
    },
    { method: 'DELETE', route: '/keys/{id}', access: 'admin', prepare: async () => ({ path: `/keys/${(await newKey('client')).id}` }) },
    // API tokens
    { method: 'GET', route: '/tokens', access: 'admin', prepare: async () => ({ path: '/tokens' }) },
    {
      method: 'POST',
      route: '/tokens',
      note: 'granting admin',
      access: 'admin',
      prepare: async () => ({ path: '/tokens', body: { name: uniq('token'), role: 'admin' } }),
    },
    {
      method: 'POST',
      route: '/tokens',
      note: 'granting viewer',
      access: 'admin',
      prepare: async () => ({ path: '/tokens', body: { name: uniq('token'), role: 'viewer' } }),
    },
    {
      method: 'DELETE',
      route: '/tokens/{id}',
      access: 'admin',
      prepare: async () => ({ path: `/tokens/${(await newToken('viewer')).id}` }),
    },
    // users
    { method: 'GET', route: '/users', access: 'admin', prepare: async () => ({ path: '/users' }) },
    {
      method: 'POST',
      route: '/users',
      note: 'granting admin',
      access: 'admin',
      prepare: async () => ({
        path: '/users',
        body: { email: `${uniq('new')}@example.test`, name: 'New', password: 'a-good-password', role: 'admin' },
      }),
    },
    {
      method: 'POST',
      route: '/users',
      note: 'granting viewer',
      access: 'admin',
      prepare: async () => ({
        path: '/users',
        body: { email: `${uniq('new')}@example.test`, name: 'New', password: 'a-good-password', role: 'viewer' },
      }),
    },
    {
      method: 'PATCH',
      route: '/users/{id}',
      note: 'promoting to admin',
      access: 'admin',
      prepare: async () => ({ path: `/users/${await newUser('viewer')}`, body: { role: 'admin', version: 1 } }),
    },
    { method: 'DELETE', route: '/users/{id}', access: 'admin', prepare: async () => ({ path: `/users/${await newUser('viewer')}` }) },
    // audit
    { method: 'GET', route: '/audit', access: 'viewer', prepare: async () => ({ path: '/audit' }) },
    { method: 'GET', route: '/flags/{key}/audit', access: 'viewer', prepare: async () => ({ path: '/flags/shared/audit' }) },
    {
      method: 'GET',
      route: '/flags/{key}/metrics',
      access: 'viewer',
      prepare: async () => ({ path: '/flags/shared/metrics?environment=production' }),
    },
    {
      method: 'GET',
      route: '/flags/{key}/usage',
      access: 'viewer',
      prepare: async () => ({ path: '/flags/shared/usage?environment=production' }),
    },
    // context attributes
    { method: 'GET', route: '/attributes', access: 'viewer', prepare: async () => ({ path: '/attributes' }) },
    {
      method: 'PUT',
      route: '/attributes/{name}',
      access: 'editor',
      prepare: async () => ({ path: `/attributes/${uniq('attribute')}`, body: { description: 'Who it is', sensitive: true } }),
    },
    {
      method: 'PUT',
      route: '/attributes/{name}',
      note: 'un-marking a sensitive attribute',
      access: 'admin',
      prepare: async () => {
        const name = uniq('attribute');
        await admin('PUT', `/attributes/${name}`, { sensitive: true });
        return { path: `/attributes/${name}`, body: { sensitive: false, version: 1 } };
      },
    },
    // import
    {
      method: 'POST',
      route: '/import/unleash',
      access: 'editor',
      prepare: async () => ({
        path: '/import/unleash',
        body: {
          environment: 'development',
          data: { features: [{ name: uniq('imported'), enabled: true, strategies: [{ name: 'default' }] }] },
        },
      }),
    },
    // Unleash compatibility
    {
      method: 'GET',
      route: '/unleash/flags/{key}/environments/{env}',
      access: 'viewer',
      prepare: async () => ({ path: `/unleash/flags/${await newFlag()}/environments/production` }),
    },
    // webhooks
    { method: 'GET', route: '/webhooks', access: 'admin', prepare: async () => ({ path: '/webhooks' }) },
    {
      method: 'POST',
      route: '/webhooks',
      access: 'admin',
      prepare: async () => ({
        path: '/webhooks',
        body: { name: uniq('webhook'), url: 'http://127.0.0.1:9/hook', events: ['flag.enabled'], allowPrivate: true },
      }),
    },
    {
      method: 'PATCH',
      route: '/webhooks/{id}',
      access: 'admin',
      prepare: async () => ({ path: `/webhooks/${await newWebhook()}`, body: { enabled: false }, headers: { 'if-match': '"1"' } }),
    },
    { method: 'DELETE', route: '/webhooks/{id}', access: 'admin', prepare: async () => ({ path: `/webhooks/${await newWebhook()}` }) },
    {
      method: 'GET',
      route: '/webhooks/{id}/deliveries',
      access: 'admin',
      prepare: async () => ({ path: `/webhooks/${await newWebhook()}/deliveries` }),
    },
    {
      method: 'POST',
      route: '/webhooks/{id}/test',
      access: 'admin',
      prepare: async () => ({ path: `/webhooks/${await newWebhook()}/test` }),
    },
    {
      method: 'POST',
      route: '/webhooks/{id}/rotate-secret',
      access: 'admin',
      prepare: async () => ({ path: `/webhooks/${await newWebhook()}/rotate-secret`, body: { graceSeconds: 0 } }),
    },
    // ramps: each row gets a flag of its own with a rule to ramp
    { method: 'GET', route: '/ramps', access: 'viewer', prepare: async () => ({ path: '/ramps' }) },
    { method: 'GET', route: '/ramps/{id}', access: 'viewer', prepare: async () => ({ path: `/ramps/${await newRamp()}` }) },
    { method: 'GET', route: '/ramps/{id}/guard', access: 'viewer', prepare: async () => ({ path: `/ramps/${await newRamp()}/guard` }) },
    {
      method: 'POST',
      route: '/ramps',
      access: 'editor',
      prepare: async () => ({
        path: '/ramps',
        body: { flag: await newRampableFlag(), environment: 'production', ruleId: 'main', steps: [{ percentage: 5, holdSeconds: 60 }] },
      }),
    },
    { method: 'POST', route: '/ramps/{id}/start', access: 'editor', prepare: async () => ({ path: `/ramps/${await newRamp()}/start` }) },
    {
      method: 'POST',
      route: '/ramps/{id}/pause',
      access: 'editor',
      prepare: async () => ({ path: `/ramps/${await newRamp(true)}/pause` }),
    },
    {
      method: 'POST',
      route: '/ramps/{id}/resume',
      access: 'editor',
      prepare: async () => {
        const id = await newRamp(true);
        await admin('POST', `/ramps/${id}/pause`);
        return { path: `/ramps/${id}/resume` };
      },
    },
    {
      method: 'POST',
      route: '/ramps/{id}/abort',
      access: 'editor',
      prepare: async () => ({ path: `/ramps/${await newRamp(true)}/abort`, body: { to: 'zero' } }),
    },
    {
      method: 'POST',
      route: '/ramps/{id}/signals',
      access: 'editor',
      prepare: async () => ({ path: `/ramps/${await newRamp(true)}/signals`, body: { metric: 'error_rate', value: 0.5 } }),
    },
    // schedules
    {
      method: 'POST',
      route: '/flags/{key}/environments/{env}/schedule',
      access: 'editor',
      prepare: async () => ({
        path: `/flags/${await newFlag()}/environments/staging/schedule`,
        body: { at: '2099-01-01T00:00:00Z', patch: { enabled: true } },
      }),
    },
    { method: 'GET', route: '/schedules', access: 'viewer', prepare: async () => ({ path: '/schedules' }) },
    {
      method: 'DELETE',
      route: '/schedules/{id}',
      access: 'editor',
      prepare: async () => ({
        path: `/schedules/${(await admin('POST', `/flags/${await newFlag()}/environments/staging/schedule`, { at: '2099-01-01T00:00:00Z', patch: { enabled: true } })).id}`,
      }),
    },
    // production safety (issue 17): environment settings, freeze windows, change requests
    {
      method: 'PATCH',
      route: '/environments/{env}/settings',
      access: 'admin',
      prepare: async () => ({ path: `/environments/${await newEnvironment()}/settings`, body: { requiredApprovals: 1, version: 1 } }),
    },
    {
      method: 'GET',
      route: '/environments/{env}/freeze-windows',
      access: 'viewer',
      prepare: async () => ({ path: '/environments/production/freeze-windows' }),
    },
    {
      method: 'POST',
      route: '/environments/{env}/freeze-windows',
      access: 'admin',
      prepare: async () => ({ path: `/environments/${await newEnvironment()}/freeze-windows`, body: FUTURE_WINDOW }),
    },
    {
      method: 'PATCH',
      route: '/environments/{env}/freeze-windows/{id}',
      access: 'admin',
      prepare: async () => {
        const env = await newEnvironment();
        const w = await admin('POST', `/environments/${env}/freeze-windows`, FUTURE_WINDOW);
        return { path: `/environments/${env}/freeze-windows/${w.id}`, body: { reason: 'Later', version: 1 } };
      },
    },
    {
      method: 'DELETE',
      route: '/environments/{env}/freeze-windows/{id}',
      access: 'admin',
      prepare: async () => {
        const env = await newEnvironment();
        const w = await admin('POST', `/environments/${env}/freeze-windows`, FUTURE_WINDOW);
        return { path: `/environments/${env}/freeze-windows/${w.id}` };
      },
    },
    { method: 'GET', route: '/change-requests', access: 'viewer', prepare: async () => ({ path: '/change-requests' }) },
    {
      method: 'POST',
      route: '/change-requests',
      access: 'editor',
      prepare: async () => ({
        path: '/change-requests',
        body: {
          environment: 'production',
          title: 'On',
          change: { kind: 'flag-config', flagKey: await newFlag(), baseVersion: 1, config: { enabled: true } },
        },
      }),
    },
    {
      method: 'GET',
      route: '/change-requests/{id}',
      access: 'viewer',
      prepare: async () => ({ path: `/change-requests/${await newChangeRequest()}` }),
    },
    {
      method: 'POST',
      route: '/change-requests/{id}/reviews',
      access: 'editor',
      prepare: async () => ({
        path: `/change-requests/${await newChangeRequest()}/reviews`,
        body: { decision: 'comment', comment: 'Fine' },
      }),
    },
    {
      method: 'POST',
      route: '/change-requests/{id}/apply',
      access: 'editor',
      prepare: async () => ({ path: `/change-requests/${await newChangeRequest()}/apply`, body: { version: 1 } }),
    },
    {
      method: 'POST',
      route: '/change-requests/{id}/rebase',
      access: 'editor',
      prepare: async () => {
        const id = await newChangeRequest();
        const cr = await admin('GET', `/change-requests/${id}`);
        return { path: `/change-requests/${id}/rebase`, body: { baseVersion: 1, change: cr.change } };
      },
    },
    {
      method: 'POST',
      route: '/change-requests/{id}/withdraw',
      access: 'editor',
      prepare: async () => ({ path: `/change-requests/${await newChangeRequest()}/withdraw` }),
    },
    // export and import
    { method: 'GET', route: '/export', access: 'viewer', prepare: async () => ({ path: '/export' }) },
    {
      method: 'POST',
      route: '/import',
      access: 'editor',
      prepare: async () => ({ path: '/import', body: { document: { version: 1, flags: [], segments: [] } } }),
    },
  ];

  const rowName = (r: Row) => `${r.method} /api/admin${r.route}${r.note ? ` (${r.note})` : ''}`;

  const fingerprint = () => dbFingerprint(server);

  function optionsFor(column: Column, prepared: Prepared): RequestOptions {
    const token = credentials[column];
    return { body: prepared.body, headers: prepared.headers, ...(token ? { token } : {}) };
  }

  beforeAll(async () => {
    server = await startTestServer();
    adminCookie = await server.login();
    await admin('POST', '/flags', { key: 'shared' });
    await admin('POST', '/segments', { key: 'shared', conditions: [{ attribute: 'country', operator: 'IN', values: ['SE'] }] });
    credentials.anonymous = undefined;
    credentials.viewer = (await newToken('viewer')).secret;
    credentials.editor = (await newToken('editor')).secret;
    credentials.admin = (await newToken('admin')).secret;
    credentials.serverKey = (await newKey('server')).secret;
    credentials.clientKey = (await newKey('client')).secret;
    const revoked = await newToken('admin');
    await admin('DELETE', `/tokens/${revoked.id}`);
    credentials.revokedAdmin = revoked.secret;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('has a row for every admin route of the API description, and no row for a route that does not exist', async () => {
    const doc = (await server.request('GET', '/docs/json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/admin/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    // The activity stream never ends, so its own test below covers it.
    const covered = [...new Set([...ROWS.map((r) => `${r.method} /api/admin${r.route}`), 'GET /api/admin/stream'])].sort();
    expect(covered).toEqual(documented);
  });

  it('GET /stream (activity events): viewers and up may listen, nobody else', async () => {
    for (const column of COLUMNS) {
      const want = expected('viewer', column);
      const token = credentials[column];
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      const controller = new AbortController();
      const res = await fetch(`${server.url}/api/admin/stream`, { headers, signal: controller.signal });
      controller.abort();
      if (want.allowed) expect.soft(res.status, column).toBe(200);
      else expect.soft(res.status, column).toBe(want.status);
    }
  });

  it.each(ROWS.map((row) => [rowName(row), row] as const))('%s', async (_name, row) => {
    for (const column of COLUMNS) {
      const want = expected(row.access, column);
      const prepared = await row.prepare();
      const before = want.allowed ? '' : await fingerprint();
      const res = await server.request(row.method, `/api/admin${prepared.path}`, optionsFor(column, prepared));
      const cell = `${column} -> ${res.status} ${res.text.slice(0, 300)}`;
      if (want.allowed) {
        expect.soft([401, 403], `${cell}: must be allowed`).not.toContain(res.status);
        if (column === 'admin') expect.soft(res.status, `${cell}: the row's request must itself be valid`).toBeLessThan(300);
      } else {
        expect.soft(res.status, `${cell}: must be refused`).toBe(want.status);
        expect.soft(res.body?.error?.code, cell).toBe(want.code);
        expect.soft(await fingerprint(), `${cell}: a refused request must not write`).toBe(before);
      }
    }
  });
});

/**
 * Admin routes reached through spellings of the URL that the router still maps to them (a
 * percent-encoded letter, an absolute-form request target): every one must still be authenticated.
 * Anonymous callers, reads and writes.
 */
describe.skipIf(!DATABASE_URL)('authorization: no way around it through the URL', () => {
  let server: TestServer;
  let port: number;

  /** A raw request, so that the request target goes out exactly as written (fetch would normalise it). */
  function rawRequest(method: string, target: string, headers: Record<string, string> = {}, body?: string) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path: target, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  beforeAll(async () => {
    server = await startTestServer();
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
  });

  const REQUESTS: ReadonlyArray<readonly [method: string, path: string, body?: unknown]> = [
    ...['/me', '/environments', '/flags', '/segments', '/keys', '/tokens', '/users', '/audit', '/attributes'].map(
      (p) => ['GET', p] as const,
    ),
    ['POST', '/tokens', { name: 'sneaky', role: 'admin' }],
    ['POST', '/flags', { key: 'sneaky' }],
  ];
  const spellings = (path: string) => [
    ['percent-encoded letter', `/api/%61dmin${path}`],
    ['absolute-form target', `http://127.0.0.1/api/admin${path}`],
  ];

  it.each(
    REQUESTS.flatMap(([method, path, body]) =>
      spellings(path).map(([how, target]) => [`${method} ${target} (${how})`, method, target ?? '', body] as const),
    ),
  )('%s', async (_name, method, target, body) => {
    const [before] = await server.app.db.select({ n: count() }).from(auditLog);
    const res = await rawRequest(
      method,
      target,
      body === undefined ? {} : { 'content-type': 'application/json' },
      body === undefined ? undefined : JSON.stringify(body),
    );
    expect(res.status, res.text.slice(0, 300)).toBe(401);
    expect(JSON.parse(res.text).error.code).toBe('UNAUTHENTICATED');
    const [after] = await server.app.db.select({ n: count() }).from(auditLog);
    expect(after?.n).toBe(before?.n);
  });
});

/**
 * Credentials are checked before the request's input is looked at: a caller who may not use a route
 * learns nothing of its schema, and the server does no parsing or validation work for them.
 */
describe.skipIf(!DATABASE_URL)('authorization: before input validation', () => {
  let server: TestServer;
  let viewer: string;

  beforeAll(async () => {
    server = await startTestServer();
    const cookie = await server.login();
    viewer = (await server.request('POST', '/api/admin/tokens', { cookie, body: { name: 'v', role: 'viewer' } })).body.secret;
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ['anonymous GET /flags with an unknown query parameter', 'GET', '/flags?x=1', {}, 401],
    ['anonymous POST /users with an empty object', 'POST', '/users', { body: {} }, 401],
    ['anonymous POST /flags with invalid JSON', 'POST', '/flags', { raw: '{"key":' }, 401],
    ['viewer POST /users with an empty object', 'POST', '/users', { body: {}, viewer: true }, 403],
  ] as const)('%s', async (_name, method, path, o, status) => {
    const { viewer: asViewer, ...options } = { viewer: false, ...o };
    const res = await server.request(method, `/api/admin${path}`, { ...options, ...(asViewer ? { token: viewer } : {}) });
    expect(res.status, res.text).toBe(status);
  });
});

/**
 * Cross-site request forgery. SameSite=Lax lets a page on another port of the same host post with
 * the admin's cookie; the server refuses state changes from other origins, and every cookie write
 * must say JSON (no form can). Bearer tokens are never attached by browsers on their own, so token
 * calls need no Origin (CLI, CI).
 */
describe.skipIf(!DATABASE_URL)('authorization: cross-origin writes', () => {
  let server: TestServer;
  let cookie: string;
  let token: string;
  let seq = 0;
  const other = () => `http://127.0.0.1:${Number(new URL(server.url).port) + 1}`;

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    token = (await server.request('POST', '/api/admin/tokens', { cookie, body: { name: 'ci', role: 'admin' } })).body.secret;
  });
  afterAll(async () => {
    await server?.close();
  });

  const newFlag = async () => {
    const key = `csrf-${++seq}`;
    expect((await server.request('POST', '/api/admin/flags', { cookie, body: { key } })).status).toBe(201);
    return key;
  };
  const archived = async (key: string) => (await server.request('GET', `/api/admin/flags/${key}`, { cookie })).body.archivedAt !== null;
  /** Exactly the headers given: no content type is added. */
  const raw = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    fetch(`${server.url}${path}`, { method, headers, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  it.each([
    ['Origin of another port', () => ({ origin: other() })],
    ['Origin null', () => ({ origin: 'null' })],
    ['Sec-Fetch-Site same-site', () => ({ 'sec-fetch-site': 'same-site' })],
    ['Sec-Fetch-Site cross-site', () => ({ 'sec-fetch-site': 'cross-site' })],
  ])('a cookie write with %s is refused and changes nothing', async (_name, headers) => {
    const key = await newFlag();
    const res = await raw('POST', `/api/admin/flags/${key}/archive`, { cookie, 'content-type': 'application/json', ...headers() });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('CROSS_ORIGIN_REQUEST');
    expect(await archived(key)).toBe(false);
  });

  it.each([
    ['no content type', {}, undefined],
    ['text/plain (a form with enctype=text/plain)', { 'content-type': 'text/plain' }, '{"x":"="}'],
    ['urlencoded (a plain form)', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=b'],
    ['multipart/form-data', { 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
  ])('a body-less cookie write with %s is refused with 415', async (_name, headers, body) => {
    const key = await newFlag();
    const res = await raw('POST', `/api/admin/flags/${key}/archive`, { cookie, ...headers }, body);
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await archived(key)).toBe(false);
    const del = await raw('DELETE', `/api/admin/flags/${key}`, { cookie, ...headers }, body);
    expect(del.status).toBe(415);
  });

  it('the same write from the own origin with JSON works', async () => {
    const key = await newFlag();
    const res = await raw('POST', `/api/admin/flags/${key}/archive`, {
      cookie,
      'content-type': 'application/json',
      origin: server.url,
      'sec-fetch-site': 'same-origin',
    });
    expect(res.status).toBe(200);
    expect(await archived(key)).toBe(true);
  });

  it('login from another origin is refused too (login CSRF)', async () => {
    const res = await raw(
      'POST',
      '/api/admin/login',
      { origin: other(), 'content-type': 'application/json' },
      JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('CROSS_ORIGIN_REQUEST');
  });

  it('bearer writes need no Origin nor a content type without a body, but a content type they send must be JSON', async () => {
    const key = await newFlag();
    const authorization = `Bearer ${token}`;
    expect((await raw('POST', `/api/admin/flags/${key}/archive`, { authorization, origin: other() })).status).toBe(200);
    expect((await raw('POST', `/api/admin/flags/${key}/restore`, { authorization, 'content-type': 'text/plain' })).status).toBe(415);
    expect(await archived(key)).toBe(true);
    expect((await raw('POST', `/api/admin/flags/${key}/restore`, { authorization })).status).toBe(200);
    expect(await archived(key)).toBe(false);
  });

  it('admin paths answer no CORS preflight; SDK paths do', async () => {
    const preflight = (path: string) =>
      fetch(`${server.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: other(), 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    for (const path of ['/api/admin/flags', '/api/admin/flags/x/archive', '/api/admin/login']) {
      const res = await preflight(path);
      expect(res.headers.get('access-control-allow-origin'), path).toBeNull();
      expect(res.headers.get('access-control-allow-methods'), path).toBeNull();
      expect(res.status, path).toBe(404);
    }
    const sdk = await preflight('/api/sdk/metrics');
    expect(sdk.status).toBe(204);
    expect(sdk.headers.get('access-control-allow-origin')).toBe('*');
    const client = await preflight('/api/client/snapshot');
    expect(client.headers.get('access-control-allow-origin')).toBe('*');
  });
});
