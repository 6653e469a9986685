import type { TestServer } from '../../../server/test/helpers/test-server.ts';

export interface ReactSeed {
  clientKey: string;
  /** Switches a flag on or off in production through the admin API. */
  toggle(flag: string, enabled: boolean): Promise<void>;
}

/**
 * Client-visible flags in production: `new-checkout` on for user `u-beta` only, `banner` on with
 * one variant `b` carrying a JSON payload; a server-only flag the browser must not see; a client key.
 */
export async function seedReact(server: TestServer): Promise<ReactSeed> {
  const cookie = await server.login();
  const admin = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await server.request(method, `/api/admin${path}`, { body, cookie, headers });
    if (res.status >= 300) throw new Error(`seeding failed: ${method} ${path} ${res.status} ${res.text}`);
    return res;
  };
  await admin('POST', '/flags', { key: 'new-checkout', clientVisible: true });
  await admin(
    'PATCH',
    '/flags/new-checkout/environments/production',
    { enabled: true, rules: [{ id: 'beta', conditions: [{ attribute: 'userId', operator: 'IN', values: ['u-beta'] }] }] },
    { 'if-match': '"1"' },
  );
  await admin('POST', '/flags', {
    key: 'banner',
    clientVisible: true,
    variants: [{ name: 'b', weight: 1, payload: { type: 'json', value: '{"title":"Hello"}' } }],
  });
  await admin('PATCH', '/flags/banner/environments/production', { enabled: true }, { 'if-match': '"1"' });
  await admin('POST', '/flags', { key: 'server-only' });
  const clientKey = (await admin('POST', '/keys', { name: 'web', environment: 'production', kind: 'client' })).body.secret as string;
  return {
    clientKey,
    async toggle(flag, enabled) {
      const version = (await server.request('GET', `/api/admin/flags/${flag}/environments/production`, { cookie })).body.version as number;
      await admin('PATCH', `/flags/${flag}/environments/production`, { enabled }, { 'if-match': `"${version}"` });
    },
  };
}
