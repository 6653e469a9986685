import type { TestResponse, TestServer } from '../../../server/test/helpers/test-server.ts';

/** Values that must never reach a browser in clear. */
export const EMAILS = ['ceo@acme.io', 'cfo@acme.io', 'kim.secret@example.org'] as const;
/** Flags browsers must not even learn the names of. */
export const HIDDEN = ['internal-kill-switch', 'pricing-experiment-q4'] as const;
export const VISIBLE = 'new-checkout';

export interface Seeded {
  cookie: string;
  clientKey: string;
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  /** Switches a flag on or off in production through the admin API. */
  toggle(flag: string, enabled: boolean): Promise<void>;
}

/**
 * A sensitive `email` attribute; `new-checkout`, client-visible, on for two executives (through a
 * segment) and one more address, and for anyone on the `beta` plan; two hidden flags that target
 * the same emails; a client key for production.
 */
export async function seed(server: TestServer): Promise<Seeded> {
  const cookie = await server.login();
  const admin = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    server.request(method, `/api/admin${path}`, { body, cookie, headers });
  const ok = async (p: ReturnType<typeof admin>) => {
    const res = await p;
    if (res.status >= 300) throw new Error(`seeding failed: ${res.status} ${res.text}`);
    return res;
  };
  // email is sensitive by default (server migration 0005): nothing to mark.
  await ok(
    admin('POST', '/segments', { key: 'executives', conditions: [{ attribute: 'email', operator: 'IN', values: EMAILS.slice(0, 2) }] }),
  );
  await ok(admin('POST', '/flags', { key: VISIBLE, clientVisible: true }));
  await ok(
    admin(
      'PATCH',
      `/flags/${VISIBLE}/environments/production`,
      {
        enabled: true,
        rules: [
          { id: 'execs', segments: ['executives'] },
          { id: 'kim', conditions: [{ attribute: 'email', operator: 'IN', values: [EMAILS[2]] }] },
          { id: 'beta', conditions: [{ attribute: 'plan', operator: 'IN', values: ['beta'] }] },
        ],
      },
      { 'if-match': '"1"' },
    ),
  );
  for (const key of HIDDEN) {
    await ok(admin('POST', '/flags', { key }));
    await ok(
      admin(
        'PATCH',
        `/flags/${key}/environments/production`,
        { enabled: true, rules: [{ conditions: [{ attribute: 'email', operator: 'IN', values: [...EMAILS] }] }] },
        { 'if-match': '"1"' },
      ),
    );
  }
  const clientKey = (await ok(admin('POST', '/keys', { name: 'web', environment: 'production', kind: 'client' }))).body.secret as string;
  return {
    cookie,
    clientKey,
    admin,
    async toggle(flag, enabled) {
      const version = (await admin('GET', `/flags/${flag}/environments/production`)).body.version as number;
      await ok(admin('PATCH', `/flags/${flag}/environments/production`, { enabled }, { 'if-match': `"${version}"` }));
    },
  };
}
