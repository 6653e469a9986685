import { OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/web-sdk';
import type { FlagConfig } from '@switchboard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/index.ts';
import { SwitchboardProvider } from '../src/openfeature/index.ts';
import { fakeFetch, json, settle, snapshot, testOptions } from './helpers/fake-platform.ts';

const flags: FlagConfig[] = [
  { key: 'checkout', enabled: true, rules: [{ id: 'vip', conditions: [{ attribute: 'userId', operator: 'IN', values: ['u-vip'] }] }] },
  { key: 'off', enabled: false },
  { key: 'plain', enabled: true },
  {
    key: 'copy',
    enabled: true,
    variants: [{ name: 'friendly', weight: 1, payload: { type: 'string', value: 'Hello there' } }],
  },
  { key: 'limit', enabled: true, variants: [{ name: 'ten', weight: 1, payload: { type: 'number', value: '10' } }] },
  { key: 'layout', enabled: true, variants: [{ name: 'grid', weight: 1, payload: { type: 'json', value: '{"columns":3}' } }] },
  { key: 'broken-json', enabled: true, variants: [{ name: 'bad', weight: 1, payload: { type: 'json', value: '{' } }] },
  { key: 'bare', enabled: true, variants: [{ name: 'just-a-name', weight: 1 }] },
];

afterEach(async () => {
  await OpenFeature.clearProviders();
  await OpenFeature.clearContexts();
});

describe('OpenFeature web provider', () => {
  it('resolves booleans, strings, numbers and objects with reasons and error codes', async () => {
    const { options, es } = testOptions();
    await OpenFeature.setContext({ targetingKey: 'u-vip' });
    const provider = new SwitchboardProvider(options);
    const ready = OpenFeature.setProviderAndWait(provider);
    await settle();
    await es.latest().snapshot(snapshot(1, flags));
    await ready;
    const of = OpenFeature.getClient();
    expect(of.getBooleanDetails('checkout', false)).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
      flagMetadata: { ruleId: 'vip' },
    });
    expect(of.getBooleanDetails('off', true)).toMatchObject({ value: false, reason: 'DISABLED' });
    expect(of.getBooleanDetails('plain', false)).toMatchObject({ value: true, reason: 'STATIC' });
    expect(of.getBooleanDetails('missing', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(of.getStringDetails('copy', 'x')).toMatchObject({ value: 'Hello there', variant: 'friendly', reason: 'SPLIT' });
    expect(of.getStringValue('bare', 'x')).toBe('just-a-name');
    expect(of.getStringDetails('plain', 'default')).toMatchObject({ value: 'default', reason: 'DEFAULT' });
    expect(of.getStringDetails('off', 'default')).toMatchObject({ value: 'default', reason: 'DISABLED' });
    expect(of.getNumberDetails('limit', 0)).toMatchObject({ value: 10, variant: 'ten' });
    expect(of.getNumberDetails('copy', 1)).toMatchObject({ value: 1, errorCode: 'TYPE_MISMATCH' });
    expect(of.getObjectValue('layout', {})).toEqual({ columns: 3 });
    expect(of.getObjectDetails('broken-json', {})).toMatchObject({ value: {}, errorCode: 'PARSE_ERROR' });
    expect(of.getStringDetails('layout', 'x')).toMatchObject({ value: 'x', errorCode: 'TYPE_MISMATCH' });
  });

  it('maps a context change to setContext (targetingKey as userId) and reports changes, staleness and recovery', async () => {
    const { options, es } = testOptions();
    const provider = new SwitchboardProvider(options);
    await OpenFeature.setContext({ targetingKey: 'u-1' });
    const ready = OpenFeature.setProviderAndWait(provider);
    await settle();
    await es.latest().snapshot(snapshot(1, flags));
    await ready;
    const of = OpenFeature.getClient();
    expect(of.getBooleanValue('checkout', false)).toBe(false);
    await OpenFeature.setContext({ targetingKey: 'u-vip' });
    expect(of.getBooleanValue('checkout', false)).toBe(true);

    const seen: string[] = [];
    const changed: string[][] = [];
    for (const e of [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.Error] as const) of.addHandler(e, () => seen.push(e));
    of.addHandler(ProviderEvents.ConfigurationChanged, (d) => changed.push(d?.flagsChanged ?? []));
    await es.latest().patch({ revision: 2, changes: [{ op: 'flag', flag: { key: 'off', enabled: true } }] });
    es.latest().fail();
    await settle();
    expect(of.providerStatus).toBe(ProviderStatus.STALE);
    es.latest().open();
    await settle();
    expect(of.providerStatus).toBe(ProviderStatus.READY);
    expect(changed).toEqual([['off']]);
    // The SDK runs a Ready handler at once when added to a ready provider: the first one is that.
    expect(seen).toEqual([ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.Ready]);
  });

  it('uses a client you pass, leaves it open on close, and fails fatally on a refused key', async () => {
    const { options, es } = testOptions({ bootstrap: snapshot(1, flags) });
    const client = createClient(options);
    await OpenFeature.setProviderAndWait(new SwitchboardProvider(client));
    expect(OpenFeature.getClient().getBooleanValue('plain', false)).toBe(true);
    await OpenFeature.clearProviders();
    expect(es.latest().readyState).not.toBe(2);
    client.close();

    const refused = testOptions({ fetch: fakeFetch(() => json({}, { status: 403 })).fetch });
    const provider = new SwitchboardProvider(refused.options);
    const set = OpenFeature.setProviderAndWait(provider);
    await settle();
    refused.es.latest().fail(true);
    await expect(set).rejects.toThrow(/403/);
    expect(OpenFeature.getClient().providerStatus).toBe(ProviderStatus.FATAL);
  });

  it('tracks events through the client, and says PROVIDER_NOT_READY for a server-evaluated flag not answered yet', async () => {
    let answer: (r: Response) => void = () => {};
    const http = fakeFetch((url) =>
      url.includes('/ofrep/') ? new Promise<Response>((r) => (answer = r)) : new Response(null, { status: 202 }),
    );
    const { options, timers } = testOptions({
      fetch: http.fetch,
      metricsInterval: 1000,
      bootstrap: snapshot(1, [...flags, { key: 'vip', enabled: true, remote: true }]),
    });
    const provider = new SwitchboardProvider(options);
    void OpenFeature.setProviderAndWait(provider);
    await settle();
    const of = OpenFeature.getClient();
    expect(of.getBooleanDetails('vip', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });
    answer(
      json({ flags: [{ key: 'vip', value: true, variant: 'disabled', metadata: { enabled: true, reason: 'RULE_MATCH', ruleId: 'r' } }] }),
    );
    await settle();
    expect(of.getBooleanDetails('vip', false)).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
    expect(of.getBooleanValue('plain', false)).toBe(true);
    of.track('purchase', { value: 99 });
    await settle();
    await timers.advance(1000);
    const report = http.calls.find((c) => c.url.includes('/api/sdk/metrics'));
    expect(JSON.parse(String(report?.init?.body)).metrics).toEqual(
      expect.arrayContaining([{ name: 'purchase', flag: 'plain', enabled: true, variant: 'disabled', ruleId: null, count: 1, sum: 99 }]),
    );
  });
});
