import { once } from 'node:events';
import type { FlagConfig } from '@switchboard/core';
import { importUnleash, UnleashDifferenceCode, unleashDifferences } from '@switchboard/core/unleash';
import { createClient, type SwitchboardClient } from '@switchboard/sdk-node';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lowByteHash, utf8Hash } from '../../../core/test/unleash-hashes.ts';
import { createDatabase } from '../support/databases.ts';
import { adminClient, type ServerProcess, startServerProcess } from '../support/server-process.ts';

/*
 * Every known difference between unleash-client and our SDKs, each with the decision README's
 * "Coming from Unleash" records: the test holds both sides to it.
 */

const { DATABASE_URL } = process.env;
const APP_NAME = 'checkout-service';
type Admin = Awaited<ReturnType<typeof adminClient>>;

async function putFlag(admin: Admin, flag: FlagConfig): Promise<void> {
  await admin('POST', '/flags', { key: flag.key });
  const current = await admin('GET', `/flags/${flag.key}/environments/production`);
  const { key: _, ...config } = flag;
  const res = await admin('PATCH', `/flags/${flag.key}/environments/production`, config, { 'if-match': `"${current.body.version}"` });
  if (res.status !== 200) throw new Error(`configure ${flag.key}: ${res.status} ${JSON.stringify(res.body)}`);
}

const FLAGS: FlagConfig[] = [
  { key: 'half', enabled: true, rules: [{ id: 'r', rollout: { percentage: 50, stickiness: 'userId', groupId: 'half' } }] },
  { key: 'empty-age', enabled: true, rules: [{ id: 'r', conditions: [{ attribute: 'age', operator: 'NUM_EQ', values: ['0'] }] }] },
  {
    key: 'this-app',
    enabled: true,
    rules: [
      {
        id: 'r',
        conditions: [
          { attribute: 'appName', operator: 'IN', values: [APP_NAME] },
          { attribute: 'environment', operator: 'IN', values: ['default'] },
        ],
      },
    ],
  },
  {
    key: 'signed-up',
    enabled: true,
    rules: [{ id: 'r', conditions: [{ attribute: 'signup', operator: 'DATE_AFTER', values: ['2025-01-01T00:00:00.000Z'] }] }],
  },
  { key: 'canary', enabled: true, rules: [{ id: 'r', rollout: { percentage: 12.5, stickiness: 'userId', groupId: 'canary' } }] },
  { key: 'canary-12', enabled: true, rules: [{ id: 'r', rollout: { percentage: 12, stickiness: 'userId', groupId: 'canary' } }] },
];

describe.skipIf(!DATABASE_URL)('known differences between unleash-client and our SDKs, one by one', () => {
  let drop: () => Promise<void>;
  let server: ServerProcess;
  let admin: Admin;
  let serverKey: string;
  let sdk: SwitchboardClient;
  let unleash: Unleash;

  beforeAll(async () => {
    const db = await createDatabase(DATABASE_URL as string, 'sb_unleash_diff');
    drop = db.drop;
    server = await startServerProcess({ DATABASE_URL: db.url, DELIVERY_CHECK_MS: '500' });
    admin = await adminClient(server.url);
    for (const f of FLAGS) await putFlag(admin, f);
    serverKey = (await admin('POST', '/keys', { name: 'unleash-sdks', environment: 'production', kind: 'server' })).body.secret;
    sdk = createClient({ url: server.url, sdkKey: serverKey, metrics: false });
    expect(await sdk.ready({ timeoutMs: 20_000 })).toBe(true);
    unleash = new Unleash({
      url: `${server.url}/unleash/api/`,
      appName: APP_NAME,
      customHeaders: { Authorization: serverKey },
      skipInstanceCountWarning: true,
      disableMetrics: true,
    });
    unleash.on('error', () => {});
    await once(unleash, 'synchronized');
  }, 120_000);

  afterAll(async () => {
    unleash?.destroy();
    await sdk?.close();
    await server?.kill();
    await drop?.();
  });

  it('non-ASCII sticky ids: unleash-client hashes the low byte of each UTF-16 unit; we keep UTF-8, as the specification', () => {
    const ids = Array.from({ length: 400 }, (_, i) => [`Åsa-${i}`, `用户-${i}`, `zoë-${i}`, `🙂-${i}`][i % 4] as string);
    let differ = 0;
    for (const userId of ids) {
      const theirs = unleash.isEnabled('half', { userId });
      const ours = sdk.isEnabled('half', { userId });
      // Each side is exactly its hash: Unleash's bucket rule over low bytes, ours over UTF-8.
      expect(theirs, userId).toBe((lowByteHash(`half:${userId}`) % 100) + 1 <= 50);
      expect(ours, userId).toBe(utf8Hash(`half:${userId}`) % 100 < 50);
      if (theirs !== ours) differ++;
    }
    expect(differ).toBeGreaterThan(50);
    // ASCII ids are one byte either way: no difference.
    for (let i = 0; i < 400; i++) expect(unleash.isEnabled('half', { userId: `u-${i}` })).toBe(sdk.isEnabled('half', { userId: `u-${i}` }));
  });

  it('"" in a context: unleash-client reads it as a value (here the number 0); we read it as absent', () => {
    expect(unleash.isEnabled('empty-age', { properties: { age: '' } })).toBe(true);
    expect(sdk.isEnabled('empty-age', { properties: { age: '' } })).toBe(false);
    // With a real value both agree.
    expect(unleash.isEnabled('empty-age', { properties: { age: '0' } })).toBe(true);
    expect(sdk.isEnabled('empty-age', { properties: { age: '0' } })).toBe(true);
  });

  it('appName and environment: unleash-client merges its own under every context; ours do the same from their options', () => {
    expect(unleash.isEnabled('this-app', { userId: 'u' })).toBe(true);
    // What the SDKs' `appName`/`environment` options merge under every call (shared contract 5).
    const configured = { appName: APP_NAME, environment: 'default' };
    expect(sdk.isEnabled('this-app', { ...configured, userId: 'u' })).toBe(true);
    expect(sdk.isEnabled('this-app', { userId: 'u' })).toBe(false);
    // The call's own fields win, in both.
    expect(unleash.isEnabled('this-app', { userId: 'u', appName: 'billing' })).toBe(false);
    expect(sdk.isEnabled('this-app', { ...configured, userId: 'u', appName: 'billing' })).toBe(false);
  });

  it('IPv6 ranges in the remoteAddress strategy: unleash-client matches the exact string; we match the range, and serve it as IN_CIDR', async () => {
    const exported = {
      version: 2,
      features: [
        {
          name: 'office',
          enabled: true,
          strategies: [{ name: 'remoteAddress', parameters: { IPs: '10.0.0.0/8, 2001:db8::/32' }, constraints: [] }],
        },
      ],
    };
    const offline = new Unleash({
      appName: APP_NAME,
      url: 'http://unleash.invalid/api/',
      refreshInterval: 0,
      disableMetrics: true,
      skipInstanceCountWarning: true,
      storageProvider: new InMemStorageProvider(),
      bootstrap: { data: exported.features as never },
    });
    await once(offline, 'synchronized');
    try {
      expect(offline.isEnabled('office', { remoteAddress: '10.1.2.3' })).toBe(true);
      expect(offline.isEnabled('office', { remoteAddress: '2001:db8::7' })).toBe(false);
      expect(offline.isEnabled('office', { remoteAddress: '2001:db8::/32' })).toBe(true);
    } finally {
      offline.destroy();
    }
    expect(importUnleash(exported).warnings).toEqual([
      expect.stringContaining('IPv6 ranges 2001:db8::/32 now match every address in them'),
    ]);
    const imported = await admin('POST', '/import/unleash', { environment: 'production', data: exported });
    expect(imported.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    await waitFor(() => sdk.isEnabled('office', { remoteAddress: '2001:db8::7' }));
    // Served back to Unleash SDKs as an IN_CIDR constraint, which they match as a range.
    const polled = new Unleash({
      url: `${server.url}/unleash/api/`,
      appName: APP_NAME,
      customHeaders: { Authorization: serverKey },
      skipInstanceCountWarning: true,
      disableMetrics: true,
    });
    await once(polled, 'synchronized');
    try {
      expect(polled.isEnabled('office', { remoteAddress: '2001:db8::7' })).toBe(true);
      expect(polled.isEnabled('office', { remoteAddress: '2001:dead::7' })).toBe(false);
    } finally {
      polled.destroy();
    }
  });

  it('DATE operators: unleash-client always compares currentTime; we compare the named attribute, and report the flag', () => {
    const ctx = { userId: 'u', currentTime: '2026-01-01T00:00:00.000Z', properties: { signup: '2024-06-01T00:00:00.000Z' } };
    expect(unleash.isEnabled('signed-up', ctx as never)).toBe(true);
    expect(sdk.isEnabled('signed-up', ctx)).toBe(false);
    const flag = FLAGS.find((f) => f.key === 'signed-up') as FlagConfig;
    expect(unleashDifferences(flag).map((d) => d.code)).toEqual([UnleashDifferenceCode.DateOnAttribute]);
  });

  it('rollouts in hundredths: Unleash SDKs see the whole percent below, and the flag is reported', () => {
    let differ = 0;
    for (let i = 0; i < 5000; i++) {
      const ctx = { userId: `user-${i}` };
      expect(unleash.isEnabled('canary', ctx)).toBe(sdk.isEnabled('canary-12', ctx));
      if (sdk.isEnabled('canary', ctx) !== unleash.isEnabled('canary', ctx)) differ++;
    }
    // Half a percent of 5,000 users, give or take.
    expect(differ).toBeGreaterThan(5);
    expect(differ).toBeLessThan(60);
    const flag = FLAGS.find((f) => f.key === 'canary') as FlagConfig;
    expect(unleashDifferences(flag).map((d) => d.code)).toEqual([UnleashDifferenceCode.FractionalRollout]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
