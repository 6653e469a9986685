import type { Context } from '@switchboard/core';
import { createClient, type SwitchboardClient } from '@switchboard/sdk-node';
import { InMemoryStorageProvider, UnleashClient } from 'unleash-proxy-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleContexts } from '../../../core/test/unleash-arbitraries.ts';
import { createDatabase } from '../support/databases.ts';
import { adminClient, type ServerProcess, startServerProcess } from '../support/server-process.ts';

const { DATABASE_URL } = process.env;
type Admin = Awaited<ReturnType<typeof adminClient>>;

async function configure(admin: Admin, key: string, clientVisible: boolean, config: Record<string, unknown>): Promise<void> {
  await admin('POST', '/flags', { key, clientVisible });
  const current = await admin('GET', `/flags/${key}/environments/production`);
  const res = await admin('PATCH', `/flags/${key}/environments/production`, config, { 'if-match': `"${current.body.version}"` });
  if (res.status !== 200) throw new Error(`configure ${key}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** The page's context as unleash-proxy-client holds it (custom fields under properties). */
function pageContext(ctx: Context) {
  return {
    userId: ctx.userId,
    sessionId: ctx.sessionId ?? 'no-session',
    remoteAddress: ctx.remoteAddress,
    properties: ctx.properties as Record<string, string>,
  };
}

describe.skipIf(!DATABASE_URL)('unleash-proxy-client against /unleash/api/frontend (server-side evaluation, client keys)', () => {
  let drop: () => Promise<void>;
  let server: ServerProcess;
  let admin: Admin;
  let clientKey: string;
  let serverKey: string;
  let sdk: SwitchboardClient;

  beforeAll(async () => {
    const db = await createDatabase(DATABASE_URL as string, 'sb_unleash_front');
    drop = db.drop;
    server = await startServerProcess({ DATABASE_URL: db.url, DELIVERY_CHECK_MS: '500', USAGE_FLUSH_MS: '200' });
    admin = await adminClient(server.url);
    await configure(admin, 'new-nav', true, {
      enabled: true,
      rules: [
        {
          id: 'nordics',
          conditions: [{ attribute: 'country', operator: 'IN', values: ['se', 'no'] }],
          variants: [
            { name: 'blue', weight: 1, payload: { type: 'string', value: 'b' } },
            { name: 'red', weight: 3 },
          ],
        },
        { id: 'some', rollout: { percentage: 40 } },
      ],
    });
    await configure(admin, 'backend-only', false, { enabled: true });
    clientKey = (await admin('POST', '/keys', { name: 'web', environment: 'production', kind: 'client' })).body.secret;
    serverKey = (await admin('POST', '/keys', { name: 'api', environment: 'production', kind: 'server' })).body.secret;
    sdk = createClient({ url: server.url, sdkKey: serverKey, metrics: false });
    expect(await sdk.ready({ timeoutMs: 20_000 })).toBe(true);
  }, 120_000);

  afterAll(async () => {
    await sdk?.close();
    await server?.kill();
    await drop?.();
  });

  it('gives each page what sdk-node computes for its context, client-visible flags only', async () => {
    const contexts = sampleContexts(40, 77);
    let on = 0;
    for (const ctx of contexts) {
      const page = pageContext(ctx);
      const client = new UnleashClient({
        url: `${server.url}/unleash/api/frontend`,
        clientKey,
        appName: 'web',
        context: page,
        refreshInterval: 0,
        disableMetrics: true,
        storageProvider: new InMemoryStorageProvider(),
      });
      await client.start();
      const expected = sdk.variant('new-nav', { ...page, appName: 'web', environment: 'default' });
      expect(client.isEnabled('new-nav'), JSON.stringify(page)).toBe(
        sdk.isEnabled('new-nav', { ...page, appName: 'web', environment: 'default' }),
      );
      expect(client.getVariant('new-nav').name).toBe(expected.name);
      if (client.isEnabled('new-nav')) on++;
      expect(client.isEnabled('backend-only')).toBe(false);
      expect(client.getAllToggles().map((t) => t.name)).not.toContain('backend-only');
      client.stop();
    }
    expect(on).toBeGreaterThan(0);
    expect(on).toBeLessThan(contexts.length);
  });

  it('refuses server keys and bad keys, answers an unchanged context with 304, and counts its metrics as usage', async () => {
    const url = `${server.url}/unleash/api/frontend?userId=u1&properties%5Bcountry%5D=se`;
    expect((await fetch(url, { headers: { authorization: serverKey } })).status).toBe(403);
    expect((await fetch(url, { headers: { authorization: 'sbc_wrong' } })).status).toBe(401);
    const first = await fetch(url, { headers: { authorization: clientKey } });
    expect(first.status).toBe(200);
    expect((await first.json()).toggles.map((t: { name: string }) => t.name)).toEqual(['new-nav']);
    expect((await fetch(url, { headers: { authorization: clientKey, 'if-none-match': first.headers.get('etag') as string } })).status).toBe(
      304,
    );
    // A page on another origin may call it.
    const preflight = await fetch(`${server.url}/unleash/api/frontend`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization,unleash-appname,unleash-connection-id,unleash-sdk',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');

    const client = new UnleashClient({
      url: `${server.url}/unleash/api/frontend`,
      clientKey,
      appName: 'web',
      context: { userId: 'u1', properties: { country: 'se' } },
      refreshInterval: 0,
      metricsInterval: 1,
      metricsIntervalInitial: 0,
      storageProvider: new InMemoryStorageProvider(),
    });
    await client.start();
    client.isEnabled('new-nav');
    await client.sendMetrics();
    client.stop();
    const deadline = Date.now() + 10_000;
    let last: string | null = null;
    while (last === null && Date.now() < deadline) {
      last = (await admin('GET', '/flags/new-nav')).body.environments.production.lastEvaluatedAt;
      if (last === null) await new Promise((r) => setTimeout(r, 100));
    }
    expect(last).not.toBeNull();
  });
});
