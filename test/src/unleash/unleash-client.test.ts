import { once } from 'node:events';
import { type Condition, type FlagConfig, Operator } from '@switchboard/core';
import { createClient, type SwitchboardClient } from '@switchboard/sdk-node';
import { Unleash, type Context as UnleashContext } from 'unleash-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleContexts, sampleFlags, segments } from '../../../core/test/unleash-arbitraries.ts';
import { createDatabase } from '../support/databases.ts';
import { adminClient, type ServerProcess, startServerProcess } from '../support/server-process.ts';

const { DATABASE_URL } = process.env;
if (!DATABASE_URL) console.warn('\n*** DATABASE_URL is not set: the unleash-client tests are SKIPPED. .ci/run sets it. ***\n');

type Admin = Awaited<ReturnType<typeof adminClient>>;

/** Every operator core knows: the generated flags must cover each one. */
const ALL_OPERATORS = Object.values(Operator);
const APP_NAME = 'checkout-service';

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A payload as a comparable text, whether an SDK hands it over raw ({ type, value }) or parsed. */
function payloadText(p: unknown): string | undefined {
  if (p === undefined || p === null) return undefined;
  if (typeof p === 'object' && 'type' in p && 'value' in p && typeof p.value === 'string') {
    const { type, value } = p as { type: string; value: string };
    return JSON.stringify(type === 'json' ? JSON.parse(value) : type === 'number' ? Number(value) : value);
  }
  return JSON.stringify(p);
}

async function putFlag(admin: Admin, flag: FlagConfig): Promise<void> {
  const created = await admin('POST', '/flags', { key: flag.key });
  if (created.status !== 201 && created.status !== 200)
    throw new Error(`create ${flag.key}: ${created.status} ${JSON.stringify(created.body)}`);
  const current = await admin('GET', `/flags/${flag.key}/environments/production`);
  const { key: _, ...config } = flag;
  const res = await admin('PATCH', `/flags/${flag.key}/environments/production`, config, { 'if-match': `"${current.body.version}"` });
  if (res.status !== 200) throw new Error(`configure ${flag.key}: ${res.status} ${JSON.stringify(res.body)}`);
}

function conditionsOf(flags: readonly FlagConfig[]): Condition[] {
  return [...flags.flatMap((f) => (f.rules ?? []).flatMap((r) => r.conditions ?? [])), ...segments.flatMap((s) => s.conditions)];
}

describe.skipIf(!DATABASE_URL)('the real unleash-client against /unleash/api', () => {
  let drop: () => Promise<void>;
  let server: ServerProcess;
  let admin: Admin;
  let serverKey: string;
  let sdk: SwitchboardClient;
  let unleash: Unleash;
  // Seed chosen so that the sample covers everything the first test checks.
  const flags = sampleFlags(45, 1);
  const contexts = sampleContexts(10_000, 1515);
  const extra: Unleash[] = [];

  /** An Unleash SDK as an application configures it: the URL, an app name, the key. */
  async function startUnleash(options: Partial<ConstructorParameters<typeof Unleash>[0]> = {}, key = serverKey): Promise<Unleash> {
    const u = new Unleash({
      url: `${server.url}/unleash/api/`,
      appName: APP_NAME,
      customHeaders: { Authorization: key },
      skipInstanceCountWarning: true,
      ...options,
    });
    u.on('error', () => {});
    return u;
  }

  beforeAll(async () => {
    const db = await createDatabase(DATABASE_URL as string, 'sb_unleash');
    drop = db.drop;
    server = await startServerProcess({ DATABASE_URL: db.url, USAGE_FLUSH_MS: '200', DELIVERY_CHECK_MS: '500' });
    admin = await adminClient(server.url);
    // Rules compare emails and ids with every operator here; none of them is marked sensitive.
    const attributes = (await admin('GET', '/attributes')).body.attributes as Array<{ name: string; sensitive: boolean; version: number }>;
    for (const a of attributes.filter((x) => x.sensitive)) {
      await admin('PUT', `/attributes/${a.name}`, { sensitive: false }, { 'if-match': `"${a.version}"` });
    }
    for (const s of segments) {
      const res = await admin('POST', '/segments', s);
      if (res.status !== 201 && res.status !== 200) throw new Error(`segment ${s.key}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    for (const f of flags) await putFlag(admin, f);
    serverKey = (await admin('POST', '/keys', { name: 'unleash-sdks', environment: 'production', kind: 'server' })).body.secret;
    sdk = createClient({ url: server.url, sdkKey: serverKey, metrics: false });
    expect(await sdk.ready({ timeoutMs: 20_000 })).toBe(true);
    unleash = await startUnleash();
    await once(unleash, 'synchronized');
  }, 180_000);

  afterAll(async () => {
    unleash?.destroy();
    for (const u of extra) u.destroy();
    await sdk?.close();
    await server?.kill();
    await drop?.();
  });

  it('the generated flags cover every operator, segment, stickiness, variant kind and dependency kind', () => {
    expect(new Set(conditionsOf(flags).map((c) => c.operator))).toEqual(new Set(ALL_OPERATORS));
    const rules = flags.flatMap((f) => f.rules ?? []);
    expect(new Set(rules.flatMap((r) => r.segments ?? []))).toEqual(new Set(segments.map((s) => s.key)));
    expect(new Set(rules.map((r) => r.rollout?.stickiness).filter(Boolean))).toEqual(new Set(['default', 'userId', 'sessionId', 'tenant']));
    expect(rules.some((r) => r.rollout?.groupId !== undefined)).toBe(true);
    expect(rules.some((r) => (r.variants ?? []).some((v) => v.overrides))).toBe(true);
    expect(flags.some((f) => (f.variants ?? []).length > 0 && f.variantStickiness === 'tenant')).toBe(true);
    expect(rules.some((r) => (r.variants ?? []).some((v) => v.payload?.type === 'json'))).toBe(true);
    const deps = flags.flatMap((f) => f.dependencies ?? []);
    expect(deps.some((d) => d.enabled === false)).toBe(true);
    expect(deps.some((d) => (d.variants ?? []).length > 0)).toBe(true);
    expect(deps.some((d) => d.enabled === undefined && d.variants === undefined)).toBe(true);
    expect(conditionsOf(flags).some((c) => c.inverted)).toBe(true);
    expect(conditionsOf(flags).some((c) => c.caseInsensitive)).toBe(true);
  });

  it('isEnabled and getVariant equal sdk-node for every flag and 10,000 contexts with ASCII ids', () => {
    let mismatches = 0;
    const examples: string[] = [];
    let on = 0;
    let variants = 0;
    for (const ctx of contexts) {
      for (const f of flags) {
        const ours = sdk.variant(f.key, ctx);
        const oursOn = sdk.isEnabled(f.key, ctx);
        const theirsOn = unleash.isEnabled(f.key, ctx as UnleashContext);
        const theirs = unleash.getVariant(f.key, ctx as UnleashContext);
        if (oursOn) on++;
        if (ours.enabled) variants++;
        const same =
          oursOn === theirsOn &&
          ours.name === theirs.name &&
          ours.enabled === theirs.enabled &&
          payloadText(ours.payload) === payloadText(theirs.payload);
        if (!same) {
          mismatches++;
          if (examples.length < 5) {
            examples.push(
              `${f.key} ${JSON.stringify(ctx)}: ours ${oursOn} ${JSON.stringify(ours)} theirs ${theirsOn} ${JSON.stringify(theirs)}`,
            );
          }
        }
      }
    }
    expect(examples).toEqual([]);
    expect(mismatches).toBe(0);
    // Not a vacuous agreement: both answers vary.
    const pairs = contexts.length * flags.length;
    expect(on).toBeGreaterThan(pairs * 0.1);
    expect(on).toBeLessThan(pairs * 0.9);
    expect(variants).toBeGreaterThan(pairs * 0.05);
  });

  it('a flag change reaches the Unleash SDK on its next poll; unchanged polls are 304s', async () => {
    const polling = await startUnleash({ refreshInterval: 300, disableMetrics: true });
    extra.push(polling);
    await once(polling, 'synchronized');
    let unchanged = 0;
    polling.on('unchanged', () => {
      unchanged++;
    });
    await waitUntil(() => unchanged >= 2, 5000, 'two 304 polls');
    const key = 'flag-0';
    const before = polling.isEnabled(key, { userId: 'u' });
    const current = await admin('GET', `/flags/${key}/environments/production`);
    const patched = await admin(
      'PATCH',
      `/flags/${key}/environments/production`,
      { enabled: !before, rules: [] },
      { 'if-match': `"${current.body.version}"` },
    );
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const changedAt = Date.now();
    await waitUntil(() => polling.isEnabled(key, { userId: 'u' }) !== before, 5000, 'the change to reach the Unleash SDK');
    // A poll every 300 ms: the change lands within a poll or two, not after a cache expiry.
    expect(Date.now() - changedAt).toBeLessThan(2000);
  });

  it("the Unleash SDK's metrics show as usage of the flag", async () => {
    const reporting = await startUnleash({ metricsInterval: 200, refreshInterval: 60_000 });
    extra.push(reporting);
    await once(reporting, 'synchronized');
    const key = flags[flags.length - 1]?.key as string;
    expect((await admin('GET', `/flags/${key}`)).body.environments.production.lastEvaluatedAt).toBeNull();
    for (const ctx of contexts.slice(0, 50)) reporting.isEnabled(key, ctx as UnleashContext);
    await waitUntil(
      async () => (await admin('GET', `/flags/${key}`)).body.environments.production.lastEvaluatedAt !== null,
      10_000,
      'usage from Unleash metrics',
    );
    const lastEvaluatedAt = (await admin('GET', `/flags/${key}`)).body.environments.production.lastEvaluatedAt as string;
    expect(Date.parse(lastEvaluatedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a bad key is refused with 401 in the shape Unleash SDKs expect, and the SDK stops polling', async () => {
    const res = await fetch(`${server.url}/unleash/api/client/features`, {
      headers: { authorization: 'sbs_wrong', 'unleash-appname': APP_NAME },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      name: 'InvalidTokenError',
      message: expect.any(String),
      details: [{ message: expect.any(String) }],
    });
    const refused = await startUnleash({ disableMetrics: true }, 'sbs_wrong');
    extra.push(refused);
    const [error] = (await once(refused, 'error')) as [Error];
    expect(error.message).toContain('responded 401 which means your API key is not allowed to connect');
  });
});
