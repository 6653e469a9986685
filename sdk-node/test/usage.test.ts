import type { ServerResponse } from 'node:http';
import type { FlagConfig } from '@switchboard/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, type Exposure, type SwitchboardClient } from '../src/index.ts';
import { FaultServer, openSse, sseEvent, waitUntil } from './support/fault-server.ts';
import { FLAG_OFF, FLAG_ON, memoryLogger, snapshot } from './support/fixtures.ts';

const STREAM = '/api/sdk/stream';
const METRICS = '/api/sdk/metrics';
const SPLIT: FlagConfig = {
  key: 'split',
  enabled: true,
  variants: [
    { name: 'a', weight: 1 },
    { name: 'b', weight: 1 },
  ],
};
const BY_ACCOUNT: FlagConfig = {
  key: 'by-account',
  enabled: true,
  rules: [{ id: 'accounts', rollout: { percentage: 100, stickiness: 'accountId' } }],
};

describe('usage metrics', () => {
  let server: FaultServer;
  const clients: SwitchboardClient[] = [];
  beforeEach(async () => {
    server = await FaultServer.start();
    server.on(STREAM, (_req, res) => {
      openSse(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON, FLAG_OFF, SPLIT]), 1));
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });
  const make = (options: Partial<Parameters<typeof createClient>[0]> = {}) => {
    const c = createClient({ url: server.url, sdkKey: 'sbs_key', metricsIntervalMs: 100, logger: memoryLogger(), ...options });
    clients.push(c);
    return c;
  };

  it('sends counts per flag and variant in the background, batched per interval', async () => {
    server.on(METRICS, (_req, res) => res.writeHead(202).end('{}'));
    const client = make();
    await client.ready({ timeoutMs: 2000 });
    for (let i = 0; i < 10; i++) client.isEnabled('on', {});
    for (let i = 0; i < 4; i++) client.isEnabled('off', {});
    for (let i = 0; i < 20; i++) client.variant('split', { userId: `u${i}` });
    client.isEnabled('ghost', {});
    await waitUntil(() => server.requestsTo(METRICS).length >= 1, 2000, 'a report');
    const report = server.requestsTo(METRICS)[0];
    expect(report?.headers.authorization).toBe('sbs_key');
    expect(report?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(report?.body ?? '{}');
    expect(Date.parse(body.start)).toBeLessThanOrEqual(Date.parse(body.stop));
    expect(body.flags.on).toEqual({ yes: 10, no: 0 });
    expect(body.flags.off).toEqual({ yes: 0, no: 4 });
    expect(body.flags.ghost).toEqual({ yes: 0, no: 1 });
    expect(body.flags.split.yes).toBe(20);
    expect((body.flags.split.variants.a ?? 0) + (body.flags.split.variants.b ?? 0)).toBe(20);
    // Nothing evaluated since: no empty reports.
    await new Promise((r) => setTimeout(r, 250));
    expect(server.requestsTo(METRICS)).toHaveLength(1);
  });

  it('keeps the counts of an interval across a patch and a snapshot, including those of a flag they removed', async () => {
    server.on(METRICS, (_req, res) => res.writeHead(202).end('{}'));
    let stream: ServerResponse | undefined;
    server.on(STREAM, (_req, res) => {
      openSse(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON, FLAG_OFF, SPLIT]), 1));
      stream = res;
    });
    // One interval for the whole test: close() sends it.
    const client = make({ metricsIntervalMs: 60_000 });
    await client.ready({ timeoutMs: 2000 });
    for (let i = 0; i < 3; i++) client.isEnabled('on', {});
    client.isEnabled('off', {});
    client.variant('split', { userId: 'alice' });
    stream?.write(sseEvent('patch', { revision: 2, changes: [{ op: 'flag', flag: { ...FLAG_ON, enabled: false } }] }, 2));
    await waitUntil(() => client.revision === 2, 2000, 'the patch');
    client.isEnabled('on', {});
    client.isEnabled('off', {});
    stream?.write(sseEvent('snapshot', snapshot(3, [FLAG_ON, SPLIT]), 3));
    await waitUntil(() => client.revision === 3, 2000, 'the snapshot');
    client.isEnabled('on', {});
    client.isEnabled('off', {});
    client.variant('split', { userId: 'alice' });
    await client.close();
    const reports = server.requestsTo(METRICS).map((r) => JSON.parse(r.body));
    expect(reports).toHaveLength(1);
    const variant = client.variant('split', { userId: 'alice' }).name;
    expect(reports[0]?.flags).toEqual({
      on: { yes: 4, no: 1 },
      off: { yes: 0, no: 3 },
      split: { yes: 2, no: 0, variants: { [variant]: 2 } },
    });
  });

  it('counts the flags of a bootstrap snapshot', async () => {
    server.on(METRICS, (_req, res) => res.writeHead(202).end('{}'));
    server.on(STREAM, () => {});
    const client = make({ metricsIntervalMs: 60_000, bootstrap: snapshot(1, [FLAG_ON]) });
    client.isEnabled('on', {});
    client.isEnabled('on', {});
    await client.close();
    expect(JSON.parse(server.requestsTo(METRICS)[0]?.body ?? '{}').flags).toEqual({ on: { yes: 2, no: 0 } });
  });

  it('bounds memory: past the distinct-flag limit counts are dropped, not queued', async () => {
    server.on(METRICS, (_req, res) => res.writeHead(202).end('{}'));
    const client = make({ maxMetricsFlags: 3 });
    await client.ready({ timeoutMs: 2000 });
    for (let i = 0; i < 1000; i++) client.isEnabled(`flag-${i}`, {});
    client.isEnabled('x'.repeat(101), {});
    await waitUntil(() => server.requestsTo(METRICS).length >= 1, 2000, 'a report');
    const body = JSON.parse(server.requestsTo(METRICS)[0]?.body ?? '{}');
    expect(Object.keys(body.flags)).toEqual(['flag-0', 'flag-1', 'flag-2']);
  });

  it('keeps a report that failed for a passing reason and sends it with the next one; never blocks evaluation', async () => {
    server.on(METRICS, (_req, res, { n }) => (n === 1 ? res.writeHead(503).end() : res.writeHead(202).end('{}')));
    const client = make();
    await client.ready({ timeoutMs: 2000 });
    for (let i = 0; i < 3; i++) client.isEnabled('on', {});
    await waitUntil(() => server.requestsTo(METRICS).length >= 1, 2000, 'the failed report');
    client.isEnabled('on', {});
    await waitUntil(() => server.requestsTo(METRICS).length >= 2, 2000, 'the next report');
    expect(JSON.parse(server.requestsTo(METRICS)[1]?.body ?? '{}').flags.on).toEqual({ yes: 4, no: 0 });
  });

  it('stops reporting when the key is refused', async () => {
    server.on(METRICS, (_req, res) => res.writeHead(401).end());
    const client = make();
    await client.ready({ timeoutMs: 2000 });
    client.isEnabled('on', {});
    await waitUntil(() => server.requestsTo(METRICS).length >= 1, 2000, 'a report');
    client.isEnabled('on', {});
    await new Promise((r) => setTimeout(r, 300));
    expect(server.requestsTo(METRICS)).toHaveLength(1);
  });
});

describe('exposures', () => {
  const clients: SwitchboardClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  function withClock(options: { windowMs?: number; maxEntries?: number } = {}) {
    let now = 1_000_000;
    const exposures: Exposure[] = [];
    const client = createClient({
      offline: true,
      bootstrap: snapshot(1, [FLAG_ON, SPLIT, BY_ACCOUNT]),
      onExposure: (e) => exposures.push(e),
      exposureWindowMs: options.windowMs,
      maxExposureEntries: options.maxEntries,
      timers: { now: () => now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as never) },
    });
    clients.push(client);
    return { client, exposures, advance: (ms: number) => (now += ms) };
  }

  it('reports each (flag, variant, stickiness id) once per window', () => {
    const { client, exposures, advance } = withClock({ windowMs: 60_000 });
    for (let i = 0; i < 5; i++) client.variant('split', { userId: 'alice' });
    client.variant('split', { userId: 'bob' });
    client.isEnabled('on', { userId: 'alice' });
    expect(exposures.map((e) => [e.flag, e.stickinessId])).toEqual([
      ['split', 'alice'],
      ['split', 'bob'],
      ['on', 'alice'],
    ]);
    expect(exposures[0]).toMatchObject({ enabled: true, reason: 'ON', context: { userId: 'alice' } });
    expect(['a', 'b']).toContain(exposures[0]?.variant);
    advance(59_999);
    client.variant('split', { userId: 'alice' });
    expect(exposures).toHaveLength(3);
    advance(1);
    client.variant('split', { userId: 'alice' });
    expect(exposures).toHaveLength(4);
  });

  it('keys on the rule stickiness attribute when there is one', () => {
    const { client, exposures } = withClock();
    client.isEnabled('by-account', { userId: 'alice', properties: { accountId: 'acme' } });
    client.isEnabled('by-account', { userId: 'bob', properties: { accountId: 'acme' } });
    expect(exposures.map((e) => e.stickinessId)).toEqual(['acme']);
  });

  it('remembers a bounded number of exposures, forgetting the oldest first', () => {
    const { client, exposures } = withClock({ maxEntries: 2 });
    for (const user of ['u1', 'u2', 'u3', 'u3', 'u1']) client.isEnabled('on', { userId: user });
    // u1 was forgotten when u3 came in, so it is reported again; u3 is still remembered.
    expect(exposures.map((e) => e.stickinessId)).toEqual(['u1', 'u2', 'u3', 'u1']);
  });
});

describe('track()', () => {
  let server: FaultServer;
  const clients: SwitchboardClient[] = [];
  beforeEach(async () => {
    server = await FaultServer.start();
    server.on(STREAM, (_req, res) => {
      openSse(res);
      res.write(sseEvent('snapshot', snapshot(1, [FLAG_ON, SPLIT]), 1));
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('sends events attributed to the results served, only when there are some, and keeps them across a failed send', async () => {
    let fail = true;
    server.on(METRICS, (_req, res) => res.writeHead(fail ? 503 : 202).end('{}'));
    const client = createClient({ url: server.url, sdkKey: 'sbs_key', metricsIntervalMs: 100, logger: memoryLogger() });
    clients.push(client);
    await client.ready({ timeoutMs: 2000 });
    client.isEnabled('on', { userId: 'alice' });
    client.track('purchase', { userId: 'alice' }, 5); // the first track(): nothing remembered before it
    const variant = client.variant('split', { userId: 'alice' }).name;
    client.isEnabled('on', { userId: 'alice' });
    client.track('purchase', { userId: 'alice' }, 20);
    client.track('purchase', { userId: 'bob' }, 1);
    await waitUntil(() => server.requestsTo(METRICS).length >= 1, 2000, 'a first report');
    fail = false;
    await waitUntil(() => server.requestsTo(METRICS).length >= 2, 2000, 'a second report');
    const first = JSON.parse(server.requestsTo(METRICS)[0]?.body ?? '{}');
    const second = JSON.parse(server.requestsTo(METRICS)[1]?.body ?? '{}');
    expect(first.metrics).toEqual(second.metrics);
    expect(second.metrics).toEqual([
      { name: 'purchase', flag: 'split', enabled: true, variant, ruleId: null, count: 1, sum: 20 },
      { name: 'purchase', flag: 'on', enabled: true, variant: 'disabled', ruleId: null, count: 1, sum: 20 },
    ]);
    // Once sent, they are gone: later reports carry counts only, without the field.
    client.isEnabled('on', {});
    await waitUntil(() => server.requestsTo(METRICS).length >= 3, 2000, 'a third report');
    expect(JSON.parse(server.requestsTo(METRICS)[2]?.body ?? '{}')).not.toHaveProperty('metrics');
  });
});
