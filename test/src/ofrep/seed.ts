/**
 * One production environment for the OFREP suites, made through the admin API: boolean, string,
 * number and object flags, some local for browsers, some remote (sensitive conditions, a segment of
 * user ids, an override on userId, dependencies), one hidden flag, server and client keys.
 */

export interface SeedTarget {
  /** Base URL of a running server. */
  url: string;
}

export interface OfrepSeed {
  cookie: string;
  serverKey: string;
  clientKey: string;
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Sets a flag's configuration in production (current version looked up). */
  patch(flag: string, body: Record<string, unknown>): Promise<void>;
}

export const USER_IDS = ['u-100', 'u-200'] as const;
export const EMAIL_DOMAIN = '@acme.io';

/** Flag key -> the type an OpenFeature client asks for, and how browsers get it. */
export const FLAGS = {
  'bool-plan': { type: 'boolean', visible: true, browser: 'local' },
  'bool-email': { type: 'boolean', visible: true, browser: 'server' },
  'bool-segment': { type: 'boolean', visible: true, browser: 'server' },
  'bool-off': { type: 'boolean', visible: true, browser: 'local' },
  'string-variant': { type: 'string', visible: true, browser: 'local' },
  'number-variant': { type: 'number', visible: true, browser: 'local' },
  'object-variant': { type: 'object', visible: true, browser: 'server' },
  'child-of-email': { type: 'boolean', visible: true, browser: 'server' },
  'child-of-hidden': { type: 'boolean', visible: true, browser: 'server' },
  'server-only': { type: 'boolean', visible: false, browser: 'hidden' },
} as const;
export type SeedFlag = keyof typeof FLAGS;

const CONFIGS: Record<SeedFlag, Record<string, unknown>> = {
  'bool-plan': {
    enabled: true,
    rules: [
      { id: 'pro', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }] },
      { id: 'half', rollout: { percentage: 50 } },
    ],
  },
  'bool-email': {
    enabled: true,
    rules: [{ id: 'staff', conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: [EMAIL_DOMAIN] }] }],
  },
  'bool-segment': { enabled: true, rules: [{ id: 'beta', segments: ['beta-users'] }] },
  'bool-off': {
    enabled: false,
    rules: [{ id: 'never-sent', conditions: [{ attribute: 'email', operator: 'IN', values: ['ceo@acme.io'] }] }],
  },
  'string-variant': {
    enabled: true,
    variants: [
      { name: 'red', weight: 1, payload: { type: 'string', value: 'Red' } },
      { name: 'green', weight: 1, payload: { type: 'string', value: 'Green' } },
      { name: 'blue', weight: 2, payload: { type: 'string', value: 'Blue' } },
    ],
    rules: [
      { id: 'de', conditions: [{ attribute: 'country', operator: 'IN', values: ['de', 'at'] }] },
      { id: 'rest', rollout: { percentage: 30 } },
    ],
  },
  'number-variant': {
    enabled: true,
    variants: [
      { name: 'low', weight: 3, payload: { type: 'number', value: '10' } },
      { name: 'high', weight: 1, payload: { type: 'number', value: '99.5' } },
    ],
    rules: [],
  },
  'object-variant': {
    enabled: true,
    variants: [
      { name: 'compact', weight: 1, payload: { type: 'json', value: '{"layout":"compact","columns":2}' } },
      {
        name: 'wide',
        weight: 1,
        payload: { type: 'json', value: '{"layout":"wide","columns":4,"tags":["a","b"]}' },
        overrides: [{ attribute: 'userId', values: ['u-100'] }],
      },
    ],
    rules: [{ id: 'age', conditions: [{ attribute: 'age', operator: 'NUM_GTE', values: ['30'] }] }],
  },
  'child-of-email': { enabled: true, dependencies: [{ flag: 'bool-email' }], rules: [] },
  'child-of-hidden': { enabled: true, dependencies: [{ flag: 'server-only' }], rules: [] },
  'server-only': {
    enabled: true,
    rules: [{ id: 'pro', conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro', 'team'] }] }],
  },
};

async function login(url: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

export async function seedOfrep(target: SeedTarget, credentials: { email: string; password: string }): Promise<OfrepSeed> {
  const cookie = await login(target.url, credentials.email, credentials.password);
  const admin = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${target.url}/api/admin${path}`, {
      method,
      headers: { cookie, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const ok = async (p: ReturnType<typeof admin>) => {
    const res = await p;
    if (res.status >= 300) throw new Error(`seeding failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  const patch = async (flag: string, body: Record<string, unknown>) => {
    const version = (await ok(admin('GET', `/flags/${flag}/environments/production`))).body.version as number;
    await ok(admin('PATCH', `/flags/${flag}/environments/production`, body, { 'if-match': `"${version}"` }));
  };
  await ok(admin('POST', '/segments', { key: 'beta-users', conditions: [{ attribute: 'userId', operator: 'IN', values: [...USER_IDS] }] }));
  // Parents first: a dependency must name an existing flag.
  const order: SeedFlag[] = [
    'server-only',
    'bool-email',
    ...(Object.keys(FLAGS) as SeedFlag[]).filter((k) => k !== 'server-only' && k !== 'bool-email'),
  ];
  for (const key of order) {
    const kind = FLAGS[key].type === 'boolean' ? 'boolean' : 'multivariate';
    await ok(admin('POST', '/flags', { key, kind, clientVisible: FLAGS[key].visible }));
    await patch(key, CONFIGS[key]);
  }
  const serverKey = (await ok(admin('POST', '/keys', { name: 'ofrep-backend', environment: 'production', kind: 'server' }))).body
    .secret as string;
  const clientKey = (await ok(admin('POST', '/keys', { name: 'ofrep-web', environment: 'production', kind: 'client' }))).body
    .secret as string;
  return { cookie, serverKey, clientKey, admin, patch };
}
