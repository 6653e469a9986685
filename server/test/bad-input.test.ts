import { desc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../src/db/schema/index.ts';
import { dbFingerprint } from './helpers/db-fingerprint.ts';
import { ADMIN, DATABASE_URL, startTestServer, type TestResponse, type TestServer } from './helpers/test-server.ts';

/**
 * Malformed input to every write route of the admin API, generated from one valid request per
 * route: the body as a whole made wrong (not JSON, wrong media type, not an object, too big, too
 * deep, prototype keys), then each field made wrong on its own (wrong type, too long, too many
 * items, characters Postgres cannot store, unknown properties), then the path parameters and the
 * If-Match header. The caller is an admin, so authorization is never what refuses. Every answer
 * must be a 4xx with `{ error: { code, message } }` and no stack trace, and nothing may be written.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface WriteRoute {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** As registered, under /api/admin. */
  route: string;
  /** Values of the route's parameters, resources made in beforeAll. */
  params?: Record<string, string>;
  /** A body this route accepts (checked at the end); absent for routes that take none. */
  body?: JsonObject;
  /** Objects (JSON pointers) whose schema accepts unknown properties. */
  openObjects?: string[];
  /** Numbers (JSON pointers) that may be negative, such as a metric's value. */
  signedNumbers?: string[];
  /** Fields (JSON pointers) where null is a value (it clears them). */
  nullable?: string[];
  /** The route reads If-Match. */
  ifMatch?: boolean;
  /** Send the session cookie instead of the admin token (logout ends the session it is sent with). */
  session?: boolean;
}

interface Case {
  route: WriteRoute;
  label: string;
  path: string;
  body?: Json;
  raw?: string;
  headers?: Record<string, string>;
}

const UUID_PARAMS = new Set(['id']);
const DEEP = 1000;
const deepObject = (depth: number): Json => {
  let v: Json = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

const condition = (): JsonObject => ({
  attribute: 'country',
  operator: 'IN',
  values: ['NO', 'SE'],
  inverted: false,
  caseInsensitive: true,
});

/** The write routes; ids are filled in by beforeAll. */
function writeRoutes(ids: {
  keyId: string;
  tokenId: string;
  userId: string;
  webhookId: string;
  ramps: { pending: string; toPause: string; toResume: string; toAbort: string; forSignals: string };
  scheduleId: string;
  freezeWindowId?: string;
  changeRequests?: { toReview: string; toApply: string; toRebase: string; toWithdraw: string };
}): WriteRoute[] {
  const cr = ids.changeRequests ?? { toReview: '', toApply: '', toRebase: '', toWithdraw: '' };
  const flagChange = (flagKey: string): JsonObject => ({ kind: 'flag-config', flagKey, baseVersion: 1, config: { enabled: true } });
  const window = {
    start: '2099-01-01T00:00:00.000Z',
    end: '2099-01-02T00:00:00.000Z',
    reason: 'Holiday',
    recurrence: 'none',
    mode: 'defer',
  };
  return [
    { method: 'POST', route: '/login', body: { email: ADMIN.email, password: ADMIN.password } },
    { method: 'POST', route: '/logout', session: true },
    { method: 'POST', route: '/me/password', session: true, body: { currentPassword: ADMIN.password, newPassword: ADMIN.password } },
    { method: 'POST', route: '/environments', body: { key: 'fuzz-new-env', name: 'Fuzz' } },
    {
      method: 'PATCH',
      route: '/environments/{env}',
      params: { env: 'fuzz-env' },
      body: { name: 'Fuzz renamed', version: 1 },
      ifMatch: true,
    },
    { method: 'DELETE', route: '/environments/{env}', params: { env: 'fuzz-env' } },
    {
      method: 'POST',
      route: '/flags',
      body: { key: 'fuzz-new-flag', name: 'Fuzz', description: 'A flag', kind: 'multivariate', tags: ['a', 'b'], clientVisible: true },
    },
    {
      method: 'PATCH',
      route: '/flags/{key}',
      params: { key: 'fuzz-flag' },
      body: { name: 'Fuzz renamed', description: 'Changed', kind: 'boolean', tags: ['c'], clientVisible: false, version: 1 },
      ifMatch: true,
    },
    { method: 'POST', route: '/flags/{key}/archive', params: { key: 'fuzz-flag' } },
    { method: 'POST', route: '/flags/{key}/restore', params: { key: 'fuzz-archived' } },
    { method: 'DELETE', route: '/flags/{key}', params: { key: 'fuzz-archived' } },
    {
      method: 'PATCH',
      route: '/flags/{key}/environments/{env}',
      params: { key: 'fuzz-flag', env: 'staging' },
      body: {
        enabled: true,
        rules: [
          {
            id: 'r1',
            description: 'Nordics, half of them',
            segments: ['fuzz-segment'],
            conditions: [condition()],
            rollout: { percentage: 50, stickiness: 'userId', groupId: 'g1' },
            variants: [
              { name: 'a', weight: 1, payload: { type: 'string', value: 'x' }, overrides: [{ attribute: 'userId', values: ['u1'] }] },
            ],
            variantStickiness: 'userId',
          },
        ],
        variants: [{ name: 'on', weight: 1 }],
        variantStickiness: 'userId',
        dependencies: [{ flag: 'fuzz-parent', enabled: true, variants: ['x'] }],
        version: 1,
      },
      ifMatch: true,
      nullable: ['/variantStickiness'],
    },
    {
      method: 'POST',
      route: '/flags/{key}/environments/{env}/revert',
      params: { key: 'fuzz-flag', env: 'production' },
      body: { toVersion: 1, version: 2 },
      ifMatch: true,
    },
    {
      method: 'POST',
      route: '/segments',
      body: { key: 'fuzz-new-segment', name: 'Fuzz', description: 'Some people', conditions: [condition()] },
    },
    {
      method: 'PATCH',
      route: '/segments/{key}',
      params: { key: 'fuzz-segment' },
      body: { name: 'Fuzz renamed', description: 'Other people', conditions: [condition()], version: 1 },
      ifMatch: true,
    },
    { method: 'DELETE', route: '/segments/{key}', params: { key: 'fuzz-segment' } },
    { method: 'POST', route: '/keys', body: { name: 'Fuzz key', environment: 'development', kind: 'client' } },
    { method: 'DELETE', route: '/keys/{id}', params: { id: ids.keyId } },
    { method: 'POST', route: '/tokens', body: { name: 'Fuzz token', role: 'viewer' } },
    { method: 'DELETE', route: '/tokens/{id}', params: { id: ids.tokenId } },
    {
      method: 'POST',
      route: '/users',
      body: { email: 'fuzz-new@example.test', name: 'Fuzz', password: 'a-good-password', role: 'viewer' },
    },
    {
      method: 'PATCH',
      route: '/users/{id}',
      params: { id: ids.userId },
      body: { name: 'Fuzz renamed', role: 'editor', password: 'another-good-password', version: 1 },
      ifMatch: true,
    },
    { method: 'DELETE', route: '/users/{id}', params: { id: ids.userId } },
    {
      method: 'PUT',
      route: '/attributes/{name}',
      params: { name: 'fuzz-attribute' },
      body: { description: 'Where they are', sensitive: false, version: 1 },
      ifMatch: true,
    },
    {
      method: 'POST',
      route: '/import/unleash',
      body: { environment: 'development', data: { features: [{ name: 'fuzz-imported', enabled: true }] } },
      openObjects: ['/data', '/data/features/0'],
    },
    {
      method: 'POST',
      route: '/webhooks',
      body: { name: 'Fuzz hook', url: 'http://127.0.0.1:9/hook', events: ['flag.enabled', 'segment.*'], allowPrivate: true },
    },
    {
      method: 'PATCH',
      route: '/webhooks/{id}',
      params: { id: ids.webhookId },
      body: { name: 'Fuzz renamed', url: 'http://127.0.0.1:9/other', events: ['*'], enabled: true, allowPrivate: true, version: 1 },
      ifMatch: true,
    },
    // After the PATCH (which edits version 1) and before the DELETE, for the run of valid bodies.
    { method: 'POST', route: '/webhooks/{id}/rotate-secret', params: { id: ids.webhookId }, body: { graceSeconds: 60 } },
    { method: 'DELETE', route: '/webhooks/{id}', params: { id: ids.webhookId } },
    { method: 'POST', route: '/webhooks/{id}/test', params: { id: ids.webhookId } },
    {
      method: 'POST',
      route: '/ramps',
      body: { flag: 'fuzz-ramp-0', environment: 'production', ruleId: 'main', steps: [{ percentage: 5, holdSeconds: 60 }] },
    },
    { method: 'POST', route: '/ramps/{id}/start', params: { id: ids.ramps.pending } },
    { method: 'POST', route: '/ramps/{id}/pause', params: { id: ids.ramps.toPause } },
    { method: 'POST', route: '/ramps/{id}/resume', params: { id: ids.ramps.toResume } },
    { method: 'POST', route: '/ramps/{id}/abort', params: { id: ids.ramps.toAbort }, body: { to: 'zero' } },
    {
      method: 'POST',
      route: '/ramps/{id}/signals',
      params: { id: ids.ramps.forSignals },
      body: { metric: 'error_rate', value: 0.01, variant: 'on' },
      signedNumbers: ['/value'],
    },
    {
      method: 'POST',
      route: '/flags/{key}/environments/{env}/schedule',
      params: { key: 'fuzz-flag', env: 'staging' },
      body: { at: '2099-01-01T00:00:00.000Z', patch: { enabled: true } },
    },
    { method: 'DELETE', route: '/schedules/{id}', params: { id: ids.scheduleId } },
    { method: 'POST', route: '/import', body: { document: { version: 1, flags: [], segments: [] }, dryRun: true } },
    { method: 'POST', route: '/evaluate', body: { environment: 'production', context: { userId: 'u1' } } },
    // production safety
    {
      method: 'PATCH',
      route: '/environments/{env}/settings',
      params: { env: 'fuzz-safety' },
      body: { protected: true, requiredApprovals: 0, allowSelfApply: false, version: 1 },
      ifMatch: true,
    },
    { method: 'POST', route: '/environments/{env}/freeze-windows', params: { env: 'fuzz-safety' }, body: window },
    {
      method: 'PATCH',
      route: '/environments/{env}/freeze-windows/{id}',
      params: { env: 'fuzz-safety', id: ids.freezeWindowId ?? '' },
      body: { ...window, version: 1 },
      ifMatch: true,
    },
    { method: 'DELETE', route: '/environments/{env}/freeze-windows/{id}', params: { env: 'fuzz-safety', id: ids.freezeWindowId ?? '' } },
    {
      method: 'POST',
      route: '/change-requests',
      body: { environment: 'staging', title: 'Fuzz', reason: 'Because', change: flagChange('fuzz-cr-new') },
    },
    { method: 'POST', route: '/change-requests/{id}/reviews', params: { id: cr.toReview }, body: { decision: 'comment', comment: 'Fine' } },
    { method: 'POST', route: '/change-requests/{id}/apply', params: { id: cr.toApply }, body: { version: 1 } },
    {
      method: 'POST',
      route: '/change-requests/{id}/rebase',
      params: { id: cr.toRebase },
      body: { baseVersion: 1, change: flagChange('fuzz-cr-rebase') },
    },
    { method: 'POST', route: '/change-requests/{id}/withdraw', params: { id: cr.toWithdraw } },
  ];
}

const routeName = (r: WriteRoute) => `${r.method} /api/admin${r.route}`;

function pathOf(r: WriteRoute, override?: { name: string; value: string }): string {
  let path = r.route;
  for (const [name, value] of Object.entries(r.params ?? {})) {
    path = path.replace(`{${name}}`, override?.name === name ? override.value : encodeURIComponent(value));
  }
  return `/api/admin${path}`;
}

/** A copy of `body` with the value at `path` replaced. */
function replaceAt(body: Json, path: (string | number)[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(body)) return body.map((item, i) => (i === head ? replaceAt(item, rest, value) : item));
  if (body !== null && typeof body === 'object') return { ...body, [head as string]: replaceAt(body[head as string] ?? null, rest, value) };
  throw new Error(`no ${String(head)} in ${JSON.stringify(body)}`);
}

/** Ways to make one value wrong, by its type. */
function wrongValues(value: Json, pointer: string, route: WriteRoute): Array<[string, Json]> {
  if (typeof value === 'string') {
    return [
      ['a number', 12345],
      ['a boolean', true],
      ...(route.nullable?.includes(pointer) ? [] : ([['null', null]] as Array<[string, Json]>)),
      ['an object', {}],
      ['an array', [value]],
      ['100,000 characters', 'x'.repeat(100_000)],
      ['a NUL character', `${value}\u0000`],
      ['an unpaired surrogate', `${value}\ud800`],
    ];
  }
  if (typeof value === 'number') {
    return [
      ['a numeric string', String(value)],
      ['a boolean', true],
      ['null', null],
      ...(route.signedNumbers?.includes(pointer) ? [] : ([['negative', -1]] as Array<[string, Json]>)),
      ['1e20', 1e20],
    ];
  }
  if (typeof value === 'boolean') {
    return [
      ['a string', String(value)],
      ['a number', 1],
      ['null', null],
    ];
  }
  if (Array.isArray(value)) {
    const first = value[0] ?? 'x';
    const filler: Json = JSON.stringify(first).length <= 60 ? first : {};
    return [
      ['an object', {}],
      ['a string', 'x'],
      ['null', null],
      // Past every list's limit, the 50,000 values of a segment included.
      ['50,001 items', Array.from({ length: 50_001 }, () => filler)],
      ['an item of the wrong type', [12345]],
    ];
  }
  if (value !== null) {
    const out: Array<[string, Json]> = [
      ['an array', [value]],
      ['a string', 'x'],
      ['null', null],
      [`${DEEP} levels deep`, deepObject(DEEP)],
    ];
    if (!route.openObjects?.includes(pointer)) out.push(['with an unknown property', { ...value, unexpected: true }]);
    return out;
  }
  return [];
}

/** Every field of `body` (nested ones too), with its path and JSON pointer. */
function* fields(value: Json, path: (string | number)[] = []): Generator<{ path: (string | number)[]; pointer: string; value: Json }> {
  if (path.length > 0) yield { path, pointer: `/${path.join('/')}`, value };
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* fields(item, [...path, i]);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* fields(v, [...path, k]);
  }
}

/** `{"<injected>", ...rest of body}` as text, for keys JSON.stringify would not write as given. */
const injectFirst = (body: JsonObject, member: string) => {
  const text = JSON.stringify(body);
  return text === '{}' ? `{${member}}` : `{${member},${text.slice(1)}`;
};

function casesFor(r: WriteRoute): Case[] {
  const cases: Case[] = [];
  const path = pathOf(r);
  const add = (label: string, c: Omit<Case, 'route' | 'label' | 'path'> & { path?: string }) => cases.push({ route: r, label, path, ...c });

  // What every route must refuse, body or not: it never gets past the parser.
  add('invalid JSON (truncated)', { raw: '{"name":' });
  add('content-type application/xml', { raw: '<flag/>', headers: { 'content-type': 'application/xml' } });
  add('a body over the 1 MiB limit', { raw: JSON.stringify({ ...r.body, padding: 'x'.repeat(1_100_000) }) });
  add('__proto__ key', { raw: injectFirst(r.body ?? {}, '"__proto__":{"role":"admin"}') });
  add('constructor.prototype key', { raw: injectFirst(r.body ?? {}, '"constructor":{"prototype":{"role":"admin"}}') });

  const valid = r.body;
  if (valid) {
    const text = JSON.stringify(valid);
    // Only where a body is required: elsewhere an empty JSON body is no body, and that is fine.
    add('empty body with content-type application/json', { raw: '' });
    add('invalid JSON (single quotes)', { raw: text.replaceAll('"', "'") });
    add('invalid JSON (trailing comma)', { raw: `${text.slice(0, -1)},}` });
    add('invalid JSON (NaN)', { raw: injectFirst(valid, '"n":NaN') });
    add('invalid JSON (bare word)', { raw: 'undefined' });
    add('content-type text/plain', { raw: text, headers: { 'content-type': 'text/plain' } });
    add('content-type application/x-www-form-urlencoded', {
      raw: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    add('content-type application/octet-stream', { raw: text, headers: { 'content-type': 'application/octet-stream' } });
    add('an array holding the valid body', { body: [valid] });
    add('an empty array', { body: [] });
    add('null', { body: null });
    add('true', { body: true });
    add('a number', { body: 42 });
    add('a string', { body: 'text' });
    add('an unknown top-level property', { body: { ...valid, unexpected: 1 } });
    add('a "constructor" property', { body: { ...valid, constructor: { role: 'admin' } } });
    const first = Object.keys(valid)[0] ?? '';
    // A number where the field wants text, text where it wants a number.
    const wrong = typeof valid[first] === 'number' ? '"12345"' : '12345';
    add('a duplicate key whose last value is wrong', { raw: `${text.slice(0, -1)},"${first}":${wrong}}` });
    add(`an object ${DEEP} levels deep`, { body: deepObject(DEEP) });
    add(`an array ${DEEP} levels deep`, { raw: `${'['.repeat(DEEP)}${']'.repeat(DEEP)}` });
    add('an array 300,000 levels deep', { raw: `${'['.repeat(300_000)}${']'.repeat(300_000)}` });
    add(`an extra property ${DEEP} levels deep`, { body: { ...valid, deep: deepObject(DEEP) } });
    const nested = Object.entries(valid).find(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v));
    if (nested)
      add(`__proto__ inside ${nested[0]}`, { raw: text.replace(`"${nested[0]}":{`, `"${nested[0]}":{"__proto__":{"role":"admin"},`) });

    for (const field of fields(valid)) {
      for (const [how, wrong] of wrongValues(field.value, field.pointer, r)) {
        add(`${field.pointer} as ${how}`, { body: replaceAt(valid, field.path, wrong) });
      }
    }
  }

  // Path parameters: each made wrong in turn, with the valid body.
  for (const name of Object.keys(r.params ?? {})) {
    const bad: Array<[string, string]> = [
      ['NUL', '%00'],
      ['NUL inside', 'a%00b'],
      ['101 characters', 'x'.repeat(101)],
      ['600 characters', 'x'.repeat(600)],
      ['invalid UTF-8', '%ED%A0%80'],
      ['a lone percent sign', 'a%'],
    ];
    if (UUID_PARAMS.has(name)) bad.push(['not a uuid', 'not-a-uuid']);
    for (const [how, value] of bad) add(`:${name} as ${how}`, { path: pathOf(r, { name, value }), ...(valid ? { body: valid } : {}) });
  }

  // If-Match: the header alone states the version, so the body's is left out.
  if (r.ifMatch && valid) {
    const { version: _version, ...withoutVersion } = valid;
    for (const value of ['"9999999999"', '"99999999999"', '"2147483648"', '"-1"', '"abc"', '*', `"1", "2"`, 'x'.repeat(101)]) {
      add(`If-Match ${value.slice(0, 20)}`, { body: withoutVersion, headers: { 'if-match': value } });
    }
  }

  // The import's payload is open (Unleash exports carry fields we ignore), so the importer's own
  // reading of it must refuse what it cannot use.
  if (r.route === '/import/unleash') {
    const feature = (extra: JsonObject) => ({
      environment: 'development',
      data: { features: [{ name: 'fuzz-imported', enabled: true, ...extra }] },
    });
    add('import: strategies as a string', { body: feature({ strategies: 'x' }) });
    add('import: strategies [null]', { body: feature({ strategies: [null] }) });
    add(`import: strategies ${DEEP} levels deep`, { body: feature({ strategies: deepObject(DEEP) }) });
    add('import: constraints as a string', { body: feature({ strategies: [{ name: 'default', constraints: 'x' }] }) });
    add('import: constraint with an unknown operator', {
      body: feature({ strategies: [{ name: 'default', constraints: [{ contextName: 'a', operator: 'NOPE', values: ['x'] }] }] }),
    });
    add('import: variants [null]', { body: feature({ variants: [null] }) });
    add('import: dependencies [null]', { body: feature({ dependencies: [null] }) });
    add('import: description with a NUL character', { body: feature({ description: 'a\u0000b' }) });
    add('import: feature name not a key', { body: feature({ name: 'has spaces/and slashes' }) });
    add('import: segments [{ constraints: "x" }]', {
      body: { environment: 'development', data: { features: [], segments: [{ id: 1, constraints: 'x' }] } },
    });
  }
  return cases;
}

async function inPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** What is wrong with an answer to malformed input, or undefined when it is right. */
function problemWith(res: TestResponse): string | undefined {
  if (res.status < 400 || res.status > 499) return `status ${res.status}`;
  if (/\n\s+at /.test(res.text)) return 'a stack trace in the body';
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) return `content-type ${res.headers.get('content-type')}`;
  const error = (res.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error !== 'object' || error === null) return 'no error object';
  if (typeof error.code !== 'string' || error.code === '') return 'no error code';
  if (typeof error.message !== 'string') return 'no error message';
  return undefined;
}

describe.skipIf(!DATABASE_URL)('bad input to every write route', () => {
  let server: TestServer;
  let adminToken: string;
  let sessionCookie: string;
  let routes: WriteRoute[] = [];
  let initialState: string;

  const fingerprint = () => dbFingerprint(server);

  async function admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<any> {
    const res = await server.request(method, `/api/admin${path}`, { cookie: sessionCookie, body, headers });
    if (res.status >= 300) throw new Error(`setup ${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  }

  const send = (c: Case) =>
    server.request(c.route.method, c.path, {
      ...(c.raw !== undefined ? { raw: c.raw } : c.body !== undefined ? { body: c.body } : {}),
      headers: c.headers,
      ...(c.route.session ? { cookie: sessionCookie } : c.route.route === '/login' ? {} : { token: adminToken }),
    });

  beforeAll(async () => {
    server = await startTestServer();
    sessionCookie = await server.login();
    adminToken = (await admin('POST', '/tokens', { name: 'fuzzer', role: 'admin' })).secret;
    await admin('POST', '/environments', { key: 'fuzz-env', name: 'Fuzz' });
    await admin('POST', '/flags', { key: 'fuzz-flag' });
    await admin('POST', '/flags', { key: 'fuzz-parent' });
    await admin('PATCH', '/flags/fuzz-parent/environments/staging', { enabled: true, variants: [{ name: 'x', weight: 1 }], version: 1 });
    await admin('PATCH', '/flags/fuzz-flag/environments/production', { enabled: true, version: 1 });
    await admin('POST', '/flags', { key: 'fuzz-archived' });
    await admin('POST', '/flags/fuzz-archived/archive');
    await admin('POST', '/segments', { key: 'fuzz-segment', conditions: [condition()] });
    await admin('PUT', '/attributes/fuzz-attribute', { description: 'Where', sensitive: false });
    const keyId = (await admin('POST', '/keys', { name: 'k', environment: 'development', kind: 'server' })).id;
    const tokenId = (await admin('POST', '/tokens', { name: 'spare', role: 'viewer' })).id;
    const userId = (await admin('POST', '/users', { email: 'fuzz@example.test', name: 'F', password: 'a-good-password', role: 'viewer' }))
      .id;
    const webhookId = (
      await admin('POST', '/webhooks', { name: 'Fuzz', url: 'http://127.0.0.1:9/hook', events: ['flag.*'], allowPrivate: true })
    ).id;
    // One flag per ramp: a rule has at most one live ramp.
    const ramps: string[] = [];
    for (let i = 0; i < 6; i++) {
      await admin('POST', '/flags', { key: `fuzz-ramp-${i}` });
      await admin('PATCH', `/flags/fuzz-ramp-${i}/environments/production`, {
        rules: [{ id: 'main', rollout: { percentage: 1 } }],
        version: 1,
      });
      if (i > 0)
        ramps.push(
          (
            await admin('POST', '/ramps', {
              flag: `fuzz-ramp-${i}`,
              environment: 'production',
              ruleId: 'main',
              steps: [{ percentage: 5, holdSeconds: 3600 }],
            })
          ).id,
        );
    }
    const [pending, toPause, toResume, toAbort, forSignals] = ramps as [string, string, string, string, string];
    for (const id of [toPause, toResume, toAbort, forSignals]) await admin('POST', `/ramps/${id}/start`);
    await admin('POST', `/ramps/${toResume}/pause`);
    const scheduleId = (
      await admin('POST', '/flags/fuzz-flag/environments/staging/schedule', { at: '2099-01-01T00:00:00.000Z', patch: { enabled: true } })
    ).id;
    await admin('POST', '/environments', { key: 'fuzz-safety', name: 'Fuzz safety' });
    const freezeWindowId = (
      await admin('POST', '/environments/fuzz-safety/freeze-windows', {
        start: '2098-01-01T00:00:00.000Z',
        end: '2098-01-02T00:00:00.000Z',
        reason: 'Fuzz',
        recurrence: 'weekly',
        mode: 'refuse',
      })
    ).id;
    const proposals: string[] = [];
    for (const key of ['fuzz-cr-new', 'fuzz-cr-review', 'fuzz-cr-apply', 'fuzz-cr-rebase', 'fuzz-cr-withdraw']) {
      await admin('POST', '/flags', { key });
      if (key === 'fuzz-cr-new') continue;
      const change = { kind: 'flag-config', flagKey: key, baseVersion: 1, config: { enabled: true } };
      proposals.push((await admin('POST', '/change-requests', { environment: 'staging', title: key, change })).id);
    }
    const [toReview, toApply, toRebase, toWithdraw] = proposals as [string, string, string, string];
    routes = writeRoutes({
      keyId,
      tokenId,
      userId,
      webhookId,
      ramps: { pending, toPause, toResume, toAbort, forSignals },
      scheduleId,
      freezeWindowId,
      changeRequests: { toReview, toApply, toRebase, toWithdraw },
    });
    initialState = await fingerprint();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('covers every write route of the API description', async () => {
    const doc = (await server.request('GET', '/docs/json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/admin/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .filter((r) => !r.startsWith('GET '))
      .sort();
    expect(routes.map(routeName).sort()).toEqual(documented);
  });

  // One test per route. The ids in the table exist only once beforeAll ran, so tests are named
  // from a copy without them and pick their route by index.
  const NAMES = writeRoutes({
    keyId: '',
    tokenId: '',
    userId: '',
    webhookId: '',
    ramps: { pending: '', toPause: '', toResume: '', toAbort: '', forSignals: '' },
    scheduleId: '',
  }).map(routeName);
  it.each(NAMES.map((name, i) => [name, i] as const))(
    '%s refuses malformed input with a 4xx JSON error and writes nothing',
    async (name, i) => {
      const route = routes[i];
      if (!route || routeName(route) !== name) throw new Error(`route ${i} is not ${name}`);
      const cases = casesFor(route);
      const before = await fingerprint();
      const results = await inPool(cases, 8, async (c) => ({ c, res: await send(c) }));
      const problems = results.flatMap(({ c, res }) => {
        const problem = problemWith(res);
        return problem ? [`${c.label}: ${problem}: ${res.text.slice(0, 200)}`] : [];
      });
      expect(problems, `\n${problems.join('\n')}\n`).toEqual([]);
      const after = await fingerprint();
      if (after !== before) {
        // Name what was written, for the failure message.
        const rows = await server.app.db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(20);
        expect(
          after,
          `a malformed request wrote something; latest audit rows: ${JSON.stringify(rows.map((r) => [r.action, r.resourceKey]))}`,
        ).toBe(before);
      }
    },
  );

  it('answers unknown routes with a JSON 404 NOT_FOUND', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/admin/nope', undefined],
      ['POST', '/api/admin/nope', { a: 1 }],
      ['PUT', '/api/admin/flags/fuzz-flag', { name: 'x' }],
      ['DELETE', '/api/admin/flags', undefined],
      ['PATCH', '/api/admin/flags/fuzz-flag/environments', { enabled: true }],
      // Outside /api, unknown paths belong to the admin UI (its index.html), not to this check.
      ['GET', '/api/nope', undefined],
    ] as const) {
      const res = await server.request(method, path, { token: adminToken, body });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
      expect(typeof res.body.error.message).toBe('string');
      expect(res.text).not.toMatch(/\n\s+at /);
    }
  });

  it('wrote nothing in the whole run', async () => {
    expect(await fingerprint()).toBe(initialState);
  });

  // Last, since it writes: the requests the malformed ones were made from are themselves accepted,
  // so every refusal above was caused by the one thing each case changed.
  it('accepts the valid body of every route', async () => {
    for (const route of routes.filter((r) => r.body)) {
      const res = await send({ route, label: 'valid', path: pathOf(route), body: route.body ?? null });
      expect(res.status, `${routeName(route)}: ${res.text.slice(0, 300)}`).toBeLessThan(300);
    }
  });
});

interface QueryParam {
  name: string;
  in: string;
  schema?: { type?: string; minimum?: number; maximum?: number; maxLength?: number; format?: string; anyOf?: unknown[]; enum?: unknown[] };
}

describe.skipIf(!DATABASE_URL)('bad query parameters on every read route', () => {
  let server: TestServer;
  let cookie: string;
  let reads: Array<{ path: string; params: QueryParam[] }> = [];
  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    const doc = (await server.request('GET', '/docs/json')).body as {
      paths: Record<string, Record<string, { parameters?: QueryParam[] }>>;
    };
    reads = Object.entries(doc.paths)
      .filter(([path, ops]) => path.startsWith('/api/') && ops.get)
      .map(([path, ops]) => ({
        // Ids and keys that do not exist: validation answers before any lookup would.
        path: path.replace(/\{id\}/g, '00000000-0000-4000-8000-000000000000').replace(/\{\w+\}/g, 'nope'),
        params: (ops.get?.parameters ?? []).filter((p) => p.in === 'query'),
      }))
      .filter((r) => r.params.length > 0);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('bounds every numeric and text query parameter in its schema', () => {
    expect(reads.map((r) => r.path)).toContain('/api/admin/audit');
    const unbounded = reads.flatMap(({ path, params }) =>
      params.flatMap((p) => {
        const s = p.schema ?? {};
        if (s.type === 'integer' || s.type === 'number')
          return s.minimum === undefined || s.maximum === undefined ? [`${path} ?${p.name}: no minimum or maximum`] : [];
        if (s.type === 'string') return s.maxLength === undefined && !s.enum && !s.format ? [`${path} ?${p.name}: no maxLength`] : [];
        return [];
      }),
    );
    expect(unbounded).toEqual([]);
  });

  it('answers out-of-range and malformed values with 400 VALIDATION_FAILED, never a 500', async () => {
    const problems: string[] = [];
    for (const { path, params } of reads) {
      for (const p of params) {
        const s = p.schema ?? {};
        const bad =
          s.type === 'integer'
            ? ['1e20', '-1', '1.5', 'abc', '99999999999999999999999', `${(s.maximum ?? 0) + 1}`, `${(s.minimum ?? 0) - 1}`]
            : s.type === 'string' && s.maxLength !== undefined
              ? ['x'.repeat(s.maxLength + 1)]
              : s.type === 'boolean'
                ? ['maybe']
                : [];
        for (const value of bad) {
          const res = await server.request('GET', `${path}?${p.name}=${encodeURIComponent(value)}`, { cookie });
          if (res.status !== 400 || res.body?.error?.code !== 'VALIDATION_FAILED')
            problems.push(`${path}?${p.name}=${value.slice(0, 30)}: ${res.status} ${res.text.slice(0, 120)}`);
        }
      }
    }
    expect(problems).toEqual([]);
    const audit = await server.request('GET', '/api/admin/audit?before=1e20', { cookie });
    expect(audit.status).toBe(400);
    expect(audit.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('refuses unknown query parameters on admin list routes', async () => {
    for (const { path } of reads.filter((r) => r.path.startsWith('/api/admin/'))) {
      const res = await server.request('GET', `${path}?sneaky=1`, { cookie });
      expect(res.status, path).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });
});
