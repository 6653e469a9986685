import { OFREPProvider } from '@openfeature/ofrep-provider';
import { type EvaluationContext, type EvaluationDetails, type FlagValue, type JsonValue, OpenFeature } from '@openfeature/server-sdk';
import { type Context, fromOfrepContext, type OfrepContext } from '@switchboard/core';
import { createClient, type SwitchboardClient } from '@switchboard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { expectedDetails, randomContext, TYPED_DEFAULTS } from './expectations.ts';
import { FLAGS, type OfrepSeed, type SeedFlag, seedOfrep } from './seed.ts';

if (!DATABASE_URL) console.warn('\n*** DATABASE_URL is not set: the OFREP provider tests are SKIPPED. ***\n');

const CONTEXTS = 10_000;
const KEYS = Object.keys(FLAGS) as SeedFlag[];

/**
 * OpenFeature's own OFREP server provider (`@openfeature/ofrep-provider`, written by nobody here)
 * against a running server: every answer equals what sdk-node evaluates locally for that context.
 */
describe.skipIf(!DATABASE_URL)('OFREP with the OpenFeature Node provider', () => {
  let server: TestServer;
  let s: OfrepSeed;
  let local: SwitchboardClient;

  const providerFor = async (domain: string, headers: Array<[string, string]>) => {
    await OpenFeature.setProviderAndWait(domain, new OFREPProvider({ baseUrl: server.url, headers }));
    return OpenFeature.getClient(domain);
  };

  const resolve = (client: ReturnType<typeof OpenFeature.getClient>, key: SeedFlag | string, ofrepContext: OfrepContext) => {
    const context = ofrepContext as EvaluationContext;
    const type = (FLAGS as Record<string, { type: string }>)[key]?.type ?? 'boolean';
    switch (type) {
      case 'string':
        return client.getStringDetails(key, TYPED_DEFAULTS.string, context);
      case 'number':
        return client.getNumberDetails(key, TYPED_DEFAULTS.number, context);
      case 'object':
        return client.getObjectDetails(key, TYPED_DEFAULTS.object as JsonValue, context);
      default:
        return client.getBooleanDetails(key, TYPED_DEFAULTS.boolean, context);
    }
  };

  beforeAll(async () => {
    // Limits high enough for 10,000 evaluations from one address in a few seconds.
    server = await startTestServer({ env: { OFREP_ADDRESS_RATE: '1000000', USAGE_FLUSH_MS: '60000' } });
    s = await seedOfrep(server, ADMIN);
    local = createClient({ url: server.url, sdkKey: s.serverKey, metrics: false, logger: { warn() {}, error() {} } as never });
    expect(await local.ready({ timeoutMs: 10_000 })).toBe(true);
  });
  afterAll(async () => {
    await OpenFeature.close();
    await local?.close();
    await server?.close();
  });

  it(`gives the values and variants of local evaluation for ${CONTEXTS} random contexts (boolean, string, number, object)`, async () => {
    const client = await providerFor('server-key', [['Authorization', `Bearer ${s.serverKey}`]]);
    let seed = 1;
    const random = () => {
      // mulberry32: the same contexts on every run.
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const seen = new Map<string, Set<string>>();
    const BATCH = 50;
    for (let start = 0; start < CONTEXTS; start += BATCH) {
      const jobs: Array<Promise<void>> = [];
      for (let i = start; i < Math.min(CONTEXTS, start + BATCH); i++) {
        const key = KEYS[i % KEYS.length] as SeedFlag;
        const context = randomContext(random);
        const expected = expectedDetails(FLAGS[key].type, local.evaluate(key, fromOfrepContext(context) as Context));
        jobs.push(
          (resolve(client, key, context) as Promise<EvaluationDetails<FlagValue>>).then((details) => {
            const label = `${key} ${JSON.stringify(context)}`;
            expect(details.value, label).toEqual(expected.value);
            expect(details.errorCode, label).toBe(expected.errorCode);
            if (expected.errorCode === undefined) {
              expect(details.variant, label).toBe(expected.variant);
              expect(details.flagMetadata, label).toEqual(expected.metadata);
            }
            const outcomes = seen.get(key) ?? new Set();
            outcomes.add(`${expected.variant}:${JSON.stringify(expected.value)}`);
            seen.set(key, outcomes);
          }),
        );
      }
      await Promise.all(jobs);
    }
    // The contexts reach every branch: each flag gave more than one answer (bool-off excepted).
    for (const key of KEYS) if (key !== 'bool-off') expect(seen.get(key)?.size, key).toBeGreaterThan(1);
  }, 120_000);

  it('gives FLAG_NOT_FOUND for a missing flag, and for a hidden one with a client key', async () => {
    const client = await providerFor('client-key', [['X-API-Key', s.clientKey]]);
    const missing = await client.getBooleanDetails('no-such-flag', true, { targetingKey: 'u-1' });
    expect(missing).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND', reason: 'ERROR' });
    const hidden = await client.getBooleanDetails('server-only', true, { targetingKey: 'u-1', plan: 'pro' });
    expect(hidden).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });
    const visible = await client.getBooleanDetails('child-of-hidden', false, { targetingKey: 'u-1', plan: 'pro' });
    expect(visible).toMatchObject({ value: true, reason: 'STATIC', variant: 'disabled' });
    expect(visible.errorCode).toBeUndefined();
  });

  it('refuses a bad key: the provider reports the 401 and the caller gets its default', async () => {
    const client = await providerFor('bad-key', [['Authorization', 'Bearer sbs_not-a-key']]);
    const details = await client.getBooleanDetails('bool-plan', true, { targetingKey: 'u-1', plan: 'pro' });
    expect(details).toMatchObject({ value: true, reason: 'ERROR' });
    expect(details.errorCode).toBeDefined();
    const raw = await fetch(`${server.url}/ofrep/v1/evaluate/flags/bool-plan`, {
      method: 'POST',
      headers: { authorization: 'Bearer sbs_not-a-key', 'content-type': 'application/json' },
      body: '{"context":{}}',
    });
    expect(raw.status).toBe(401);
  });

  it('gives a type mismatch, not a wrong value, when a flag is asked for as another type', async () => {
    const client = await providerFor('server-key', [['Authorization', `Bearer ${s.serverKey}`]]);
    const details = await client.getStringDetails('bool-plan', 'fallback', { targetingKey: 'u-1', plan: 'pro' });
    expect(details).toMatchObject({ value: 'fallback', errorCode: 'TYPE_MISMATCH' });
  });
});
