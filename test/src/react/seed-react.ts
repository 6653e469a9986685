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
      // SDK views follow writes through the bus (Redis in CI), a moment after the admin's answer:
      // wait until the client view shows it, so what a test reads next is the new state.
      const auth = { authorization: `Bearer ${clientKey}` };
      for (const until = Date.now() + 5000; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
        const view = (await server.request('GET', '/api/client/snapshot', { headers: auth })).body as {
          flags: Array<{ key: string; enabled: boolean }>;
        };
        if (view.flags.some((f) => f.key === flag && f.enabled === enabled)) return;
      }
      throw new Error(`the client view did not show ${flag} ${enabled ? 'on' : 'off'} within 5 s`);
    },
  };
}
