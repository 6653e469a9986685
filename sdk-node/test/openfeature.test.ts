import type { ServerResponse } from 'node:http';
import { ErrorCode, OpenFeature, ProviderEvents, ProviderStatus, StandardResolutionReasons } from '@openfeature/server-sdk';
import type { FlagConfig } from '@switchboard/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/index.ts';
import { SwitchboardProvider, toSwitchboardContext } from '../src/openfeature/index.ts';
import { FaultServer, openSse, sseEvent, waitUntil } from './support/fault-server.ts';
import { memoryLogger, snapshot } from './support/fixtures.ts';

const FLAGS: FlagConfig[] = [
  { key: 'everyone', enabled: true },
  { key: 'off', enabled: false },
  { key: 'targeted', enabled: true, rules: [{ id: 'vip', conditions: [{ attribute: 'tier', operator: 'IN', values: ['vip'] }] }] },
  {
    key: 'copy',
    enabled: true,
    rules: [
      {
        id: 'de',
        conditions: [{ attribute: 'country', operator: 'IN', values: ['DE'] }],
        variants: [{ name: 'german', weight: 1, payload: { type: 'string', value: 'Hallo' } }],
      },
    ],
  },
  { key: 'named', enabled: true, variants: [{ name: 'treatment', weight: 1 }] },
  { key: 'limit', enabled: true, variants: [{ name: 'high', weight: 1, payload: { type: 'number', value: '250' } }] },
  { key: 'bad-number', enabled: true, variants: [{ name: 'oops', weight: 1, payload: { type: 'number', value: 'lots' } }] },
  {
    key: 'config',
    enabled: true,
    variants: [{ name: 'v2', weight: 1, payload: { type: 'json', value: '{"retries":3,"hosts":["a","b"]}' } }],
  },
  { key: 'bad-json', enabled: true, variants: [{ name: 'v', weight: 1, payload: { type: 'json', value: '{"retries":' } }] },
];

describe('OpenFeature provider', () => {
  const domains: string[] = [];
  let n = 0;
  async function openFeatureClient(provider: SwitchboardProvider) {
    const domain = `switchboard-test-${++n}`;
    domains.push(domain);
    await OpenFeature.setProviderAndWait(domain, provider);
    return OpenFeature.getClient(domain);
  }
  afterEach(async () => {
    await OpenFeature.clearProviders();
  });
  afterAll(async () => {
    await OpenFeature.close();
  });

  it('resolves booleans, strings, numbers and objects with standard reasons and error codes', async () => {
    const provider = new SwitchboardProvider({ offline: true, bootstrap: snapshot(4, FLAGS), logger: memoryLogger() });
    const of = await openFeatureClient(provider);
    const ctx = { targetingKey: 'user-1' };

    expect(await of.getBooleanDetails('everyone', false, ctx)).toMatchObject({ value: true, reason: StandardResolutionReasons.STATIC });
    expect(await of.getBooleanDetails('off', true, ctx)).toMatchObject({ value: false, reason: StandardResolutionReasons.DISABLED });
    expect(await of.getBooleanDetails('targeted', false, { ...ctx, tier: 'vip' })).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.TARGETING_MATCH,
      flagMetadata: { ruleId: 'vip', revision: 4 },
    });
    expect(await of.getBooleanDetails('targeted', true, { ...ctx, tier: 'free' })).toMatchObject({
      value: false,
      reason: StandardResolutionReasons.DEFAULT,
    });
    expect(await of.getBooleanDetails('nope', true, ctx)).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });

    expect(await of.getStringDetails('copy', 'Hello', { ...ctx, country: 'DE' })).toMatchObject({
      value: 'Hallo',
      variant: 'german',
      reason: StandardResolutionReasons.TARGETING_MATCH,
    });
    expect(await of.getStringDetails('copy', 'Hello', { ...ctx, country: 'FR' })).toMatchObject({
      value: 'Hello',
      reason: StandardResolutionReasons.DEFAULT,
    });
    expect(await of.getStringDetails('named', 'control', ctx)).toMatchObject({
      value: 'treatment',
      reason: StandardResolutionReasons.SPLIT,
    });
    expect(await of.getStringDetails('off', 'x', ctx)).toMatchObject({ value: 'x', reason: StandardResolutionReasons.DISABLED });
    expect(await of.getStringDetails('limit', 'x', ctx)).toMatchObject({ value: 'x', errorCode: ErrorCode.TYPE_MISMATCH });

    expect(await of.getNumberDetails('limit', 100, ctx)).toMatchObject({ value: 250, variant: 'high' });
    expect(await of.getNumberDetails('bad-number', 100, ctx)).toMatchObject({ value: 100, errorCode: ErrorCode.PARSE_ERROR });
    expect(await of.getNumberDetails('copy', 7, { ...ctx, country: 'DE' })).toMatchObject({ value: 7, errorCode: ErrorCode.TYPE_MISMATCH });

    expect(await of.getObjectDetails('config', {}, ctx)).toMatchObject({ value: { retries: 3, hosts: ['a', 'b'] }, variant: 'v2' });
    expect(await of.getObjectDetails('bad-json', { retries: 1 }, ctx)).toMatchObject({
      value: { retries: 1 },
      errorCode: ErrorCode.PARSE_ERROR,
    });
    expect(await of.getObjectDetails('named', { a: 1 }, ctx)).toMatchObject({ value: { a: 1 }, errorCode: ErrorCode.TYPE_MISMATCH });
  });

  it('maps the targeting key to userId, so rollouts stick as in the SDK', async () => {
    const client = createClient({
      offline: true,
      bootstrap: snapshot(1, [{ key: 'half', enabled: true, rules: [{ id: 'r', rollout: { percentage: 50 } }] }]),
    });
    const of = await openFeatureClient(new SwitchboardProvider(client));
    for (let i = 0; i < 30; i++) {
      const user = `user-${i}`;
      expect(await of.getBooleanValue('half', false, { targetingKey: user })).toBe(client.isEnabled('half', { userId: user }));
    }
    expect(toSwitchboardContext({ targetingKey: 'u', plan: 'pro', at: new Date(0), nested: { a: 1 }, properties: { team: 'x' } })).toEqual({
      userId: 'u',
      plan: 'pro',
      at: '1970-01-01T00:00:00.000Z',
      properties: { team: 'x' },
    });
    await client.close();
  });

  it('reports PROVIDER_NOT_READY and an initialization error when no data comes, then Ready when it does', async () => {
    const server = await FaultServer.start();
    let streamUp = false;
    const streams: ServerResponse[] = [];
    server.on('/api/sdk/stream', (_req, res) => {
      if (!streamUp) return void res.writeHead(503).end();
      openSse(res);
      streams.push(res);
      res.write(sseEvent('snapshot', snapshot(2, FLAGS), 2));
    });
    server.on('/api/sdk/snapshot', (_req, res) => res.writeHead(503).end());
    const provider = new SwitchboardProvider(
      { url: server.url, sdkKey: 'sbs_k', backoff: { initialMs: 20, maxMs: 50 }, metrics: false, logger: memoryLogger() },
      { readyTimeoutMs: 100 },
    );
    expect(await provider.resolveBooleanEvaluation('everyone', false, {})).toMatchObject({
      value: false,
      errorCode: ErrorCode.PROVIDER_NOT_READY,
    });
    const domain = 'switchboard-late';
    const events: string[] = [];
    OpenFeature.getClient(domain).addHandler(ProviderEvents.Ready, () => events.push('ready'));
    OpenFeature.getClient(domain).addHandler(ProviderEvents.Error, () => events.push('error'));
    await expect(OpenFeature.setProviderAndWait(domain, provider)).rejects.toThrow(/not ready/);
    expect(OpenFeature.getClient(domain).providerStatus).toBe(ProviderStatus.ERROR);
    streamUp = true;
    await waitUntil(() => events.includes('ready'), 3000, 'Ready');
    expect(events).toEqual(['error', 'ready']);
    expect(await OpenFeature.getClient(domain).getBooleanValue('everyone', false)).toBe(true);
    await OpenFeature.clearProviders();
    // The provider created the client, so closing the provider closed it.
    for (const res of streams) res.destroy();
    await waitUntil(() => server.openRequestSockets() === 0, 2000, 'the stream closed');
    await server.close();
  });

  it('goes FATAL (ProviderFatalError) on a refused key, at initialization or later', async () => {
    const server = await FaultServer.start();
    server.on('/api/sdk/stream', (_req, res) => res.writeHead(401).end());
    const provider = new SwitchboardProvider(
      { url: server.url, sdkKey: 'sbs_revoked', metrics: false, logger: memoryLogger() },
      { readyTimeoutMs: 2000 },
    );
    const domain = 'switchboard-refused';
    await expect(OpenFeature.setProviderAndWait(domain, provider)).rejects.toMatchObject({ code: ErrorCode.PROVIDER_FATAL });
    const client = OpenFeature.getClient(domain);
    expect(client.providerStatus).toBe(ProviderStatus.FATAL);
    expect(await client.getBooleanDetails('everyone', true)).toMatchObject({ value: true, errorCode: ErrorCode.PROVIDER_FATAL });
    await OpenFeature.clearProviders();

    // Refused after it was ready (a key revoked): the Error event carries PROVIDER_FATAL, and the status follows.
    let refuse = false;
    const streams: ServerResponse[] = [];
    server.on('/api/sdk/stream', (_req, res) => {
      if (refuse) return void res.writeHead(403).end();
      openSse(res);
      streams.push(res);
      res.write(sseEvent('snapshot', snapshot(2, FLAGS), 2));
    });
    const later = new SwitchboardProvider({
      url: server.url,
      sdkKey: 'sbs_k',
      backoff: { initialMs: 20, maxMs: 50 },
      metrics: false,
      logger: memoryLogger(),
    });
    const of = await openFeatureClient(later);
    refuse = true;
    for (const res of streams) res.destroy();
    await waitUntil(() => of.providerStatus === ProviderStatus.FATAL, 3000, 'FATAL');
    await OpenFeature.clearProviders();
    await server.close();
  });

  it('maps track() to the client: the event is sent attributed to the results served', async () => {
    const server = await FaultServer.start();
    server.on('/api/sdk/stream', (_req, res) => {
      openSse(res);
      res.write(sseEvent('snapshot', snapshot(2, FLAGS), 2));
    });
    server.on('/api/sdk/metrics', (_req, res) => res.writeHead(202).end('{}'));
    const client = createClient({ url: server.url, sdkKey: 'sbs_k', metricsIntervalMs: 100, logger: memoryLogger() });
    const of = await openFeatureClient(new SwitchboardProvider(client));
    of.track('warm-up', { targetingKey: 'u1' });
    expect(await of.getBooleanValue('everyone', false, { targetingKey: 'u1' })).toBe(true);
    of.track('checkout', { targetingKey: 'u1' }, { value: 30 });
    await waitUntil(() => server.requestsTo('/api/sdk/metrics').some((r) => r.body.includes('"metrics"')), 3000, 'a report with metrics');
    const body = JSON.parse(server.requestsTo('/api/sdk/metrics').find((r) => r.body.includes('"metrics"'))?.body ?? '{}');
    expect(body.metrics).toEqual([
      { name: 'checkout', flag: 'everyone', enabled: true, variant: 'disabled', ruleId: null, count: 1, sum: 30 },
    ]);
    await OpenFeature.clearProviders();
    await client.close();
    await server.close();
  });

  it('emits ConfigurationChanged with the changed flags, and Stale', async () => {
    const server = await FaultServer.start();
    let stream: ServerResponse | undefined;
    server.on('/api/sdk/stream', (_req, res) => {
      openSse(res);
      stream = res;
      res.write(sseEvent('snapshot', snapshot(2, FLAGS), 2));
    });
    const client = createClient({ url: server.url, sdkKey: 'sbs_k', metrics: false, staleAfterMs: 200, logger: memoryLogger() });
    const of = await openFeatureClient(new SwitchboardProvider(client));
    const changed: string[][] = [];
    let stale = 0;
    of.addHandler(ProviderEvents.ConfigurationChanged, (e) => changed.push(e?.flagsChanged ?? []));
    of.addHandler(ProviderEvents.Stale, () => stale++);
    stream?.write(sseEvent('patch', { revision: 3, changes: [{ op: 'flag', flag: { key: 'off', enabled: true } }] }, 3));
    await waitUntil(() => changed.length === 1, 2000, 'ConfigurationChanged');
    expect(changed).toEqual([['off']]);
    expect(await of.getBooleanValue('off', false)).toBe(true);
    // The stream goes quiet (no heartbeats in this server): past staleAfterMs the provider is stale.
    await waitUntil(() => stale === 1, 2000, 'Stale');
    expect(of.providerStatus).toBe(ProviderStatus.STALE);
    await client.close();
    stream?.destroy();
    await server.close();
  });
});
