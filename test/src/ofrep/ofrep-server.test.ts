import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { FLAGS, type OfrepSeed, seedOfrep } from './seed.ts';

if (!DATABASE_URL) console.warn('\n*** DATABASE_URL is not set: the OFREP server tests are SKIPPED. ***\n');

const VISIBLE = Object.entries(FLAGS)
  .filter(([, f]) => f.visible)
  .map(([k]) => k)
  .sort();

describe.skipIf(!DATABASE_URL)('OFREP on the server', () => {
  let server: TestServer;
  let s: OfrepSeed;
  const ofrep = (path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
    server.request('POST', `/ofrep/v1/evaluate/flags${path}`, {
      ...(body === undefined ? {} : typeof body === 'string' ? { raw: body } : { body }),
      headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers },
    });

  beforeAll(async () => {
    server = await startTestServer({ env: { DELIVERY_CHECK_MS: '300' } });
    s = await seedOfrep(server, ADMIN);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('evaluates one flag: value, variant, OpenFeature reason and our metadata', async () => {
    const pro = await ofrep('/bool-plan', s.serverKey, { context: { targetingKey: 'u-1', plan: 'pro' } });
    expect(pro.status).toBe(200);
    expect(pro.body).toEqual({
      key: 'bool-plan',
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'disabled',
      metadata: { enabled: true, reason: 'RULE_MATCH', ruleId: 'pro' },
    });
    const staff = await ofrep('/bool-email', s.serverKey, { context: { email: 'kim@acme.io' } });
    expect(staff.body).toMatchObject({ value: true, metadata: { ruleId: 'staff' } });
    const other = await ofrep('/bool-email', s.serverKey, { context: { email: 'kim@example.org' } });
    expect(other.body).toEqual({
      key: 'bool-email',
      value: false,
      reason: 'DEFAULT',
      variant: 'disabled',
      metadata: { enabled: false, reason: 'NO_RULE_MATCH' },
    });
    const off = await ofrep('/bool-off', s.serverKey, {});
    expect(off.body).toMatchObject({ value: false, reason: 'DISABLED', metadata: { enabled: false, reason: 'OFF' } });
    // Payloads parsed by type.
    const split = await ofrep('/number-variant', s.serverKey, { context: { targetingKey: 'u-7' } });
    expect(split.body).toMatchObject({ reason: 'SPLIT', metadata: { enabled: true, reason: 'ON', payloadType: 'number' } });
    expect([10, 99.5]).toContain(split.body.value);
    const wide = await ofrep('/object-variant', s.serverKey, { context: { targetingKey: 'u-100', age: 40 } });
    expect(wide.body).toMatchObject({
      value: { layout: 'wide', columns: 4, tags: ['a', 'b'] },
      variant: 'wide',
      metadata: { payloadType: 'json', ruleId: 'age' },
    });
    const de = await ofrep('/string-variant', s.serverKey, { context: { targetingKey: 'u-3', country: 'de' } });
    expect(['Red', 'Green', 'Blue']).toContain(de.body.value);
    // No body at all is an empty context.
    expect((await ofrep('/bool-off', s.serverKey)).status).toBe(200);
  });

  it('maps targetingKey to userId: the same bucket as userId itself', async () => {
    for (let i = 0; i < 30; i++) {
      const a = await ofrep('/bool-plan', s.serverKey, { context: { targetingKey: `user-${i}` } });
      const b = await ofrep('/bool-plan', s.serverKey, { context: { userId: `user-${i}` } });
      expect(a.body.value).toBe(b.body.value);
    }
    // userId wins over targetingKey when both are given.
    const both = await ofrep('/bool-segment', s.serverKey, { context: { targetingKey: 'u-100', userId: 'u-999' } });
    expect(both.body.value).toBe(false);
    expect((await ofrep('/bool-segment', s.serverKey, { context: { targetingKey: 'u-100' } })).body.value).toBe(true);
  });

  it('answers 404 FLAG_NOT_FOUND for a missing flag, and for a hidden one to a client key', async () => {
    const missing = await ofrep('/no-such-flag', s.serverKey, { context: {} });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ key: 'no-such-flag', errorCode: 'FLAG_NOT_FOUND' });
    const hidden = await ofrep('/server-only', s.clientKey, { context: { plan: 'pro' } });
    expect(hidden.status).toBe(404);
    expect(hidden.body).toMatchObject({ key: 'server-only', errorCode: 'FLAG_NOT_FOUND' });
    expect((await ofrep('/server-only', s.serverKey, { context: { plan: 'pro' } })).body.value).toBe(true);
  });

  it('takes keys as Bearer or X-API-Key; 401 without or with a bad one', async () => {
    expect((await ofrep('/bool-off', undefined, {}, { 'x-api-key': s.clientKey })).status).toBe(200);
    const none = await ofrep('/bool-off', undefined, {});
    expect(none.status).toBe(401);
    expect(none.body.errorDetails).toMatch(/X-API-Key/);
    expect((await ofrep('/bool-off', 'sbs_not-a-key', {})).status).toBe(401);
    expect((await ofrep('', undefined, {}, { 'x-api-key': 'nope' })).status).toBe(401);
    const config = await server.request('GET', '/ofrep/v1/configuration', { headers: { 'x-api-key': 'nope' } });
    expect(config.status).toBe(401);
  });

  it('gives client keys only client-visible flags in bulk, server keys all of them', async () => {
    const client = await ofrep('', s.clientKey, { context: { targetingKey: 'u-100', plan: 'pro' } });
    expect(client.status).toBe(200);
    expect(client.body.flags.map((f: { key: string }) => f.key).sort()).toEqual(VISIBLE);
    // The client-visible child of a hidden parent is evaluated with the parent, without naming it.
    expect(client.body.flags.find((f: { key: string }) => f.key === 'child-of-hidden')).toMatchObject({ value: true });
    expect(client.text).not.toContain('server-only');
    const server_ = await ofrep('', s.serverKey, { context: { targetingKey: 'u-100' } });
    expect(server_.body.flags.map((f: { key: string }) => f.key).sort()).toEqual(Object.keys(FLAGS).sort());
  });

  it('evaluates only the keys of `flags` (the browser SDK extension); unknown or hidden keys are absent', async () => {
    const res = await ofrep('', s.clientKey, {
      context: { email: 'a@acme.io' },
      flags: ['bool-email', 'child-of-email', 'server-only', 'nope', 'bool-email'],
    });
    expect(res.status).toBe(200);
    expect(res.body.flags.map((f: { key: string }) => f.key)).toEqual(['bool-email', 'child-of-email']);
    expect(res.body.flags.every((f: { value: unknown }) => f.value === true)).toBe(true);
    const serverRes = await ofrep('', s.serverKey, { flags: ['server-only'], context: { plan: 'team' } });
    expect(serverRes.body.flags).toEqual([expect.objectContaining({ key: 'server-only', value: true })]);
  });

  it('answers bulk requests with an ETag and 304 to If-None-Match until an answer changes', async () => {
    const body = { context: { targetingKey: 'u-200', email: 'x@acme.io' } };
    const first = await ofrep('', s.clientKey, body);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await ofrep('', s.clientKey, body, { 'if-none-match': etag as string });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    // Another context, another answer: no 304.
    const other = await ofrep('', s.clientKey, { context: { email: 'x@example.org' } }, { 'if-none-match': etag as string });
    expect(other.status).toBe(200);
    // A change to a flag this context sees gives a new ETag.
    await s.patch('bool-email', { enabled: false });
    let changed = await ofrep('', s.clientKey, body, { 'if-none-match': etag as string });
    for (let i = 0; i < 50 && changed.status === 304; i++) {
      await new Promise((r) => setTimeout(r, 50));
      changed = await ofrep('', s.clientKey, body, { 'if-none-match': etag as string });
    }
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.body.flags.find((f: { key: string }) => f.key === 'bool-email')).toMatchObject({ value: false, reason: 'DISABLED' });
    await s.patch('bool-email', { enabled: true });
  });

  it('answers bad bodies with the spec errors, never a 500', async () => {
    const cases: Array<[string, unknown, Record<string, string>, number, string]> = [
      ['/bool-plan', '{"context": {', {}, 400, 'PARSE_ERROR'],
      ['', '{"context": {', {}, 400, 'PARSE_ERROR'],
      ['/bool-plan', 'context=1', { 'content-type': 'application/x-www-form-urlencoded' }, 400, 'PARSE_ERROR'],
      ['', 'hello', { 'content-type': 'text/plain' }, 400, 'PARSE_ERROR'],
      ['/bool-plan', '[1,2]', {}, 400, 'PARSE_ERROR'],
      ['', '"text"', {}, 400, 'PARSE_ERROR'],
      ['/bool-plan', { context: [1, 2] }, {}, 400, 'INVALID_CONTEXT'],
      ['', { context: 'me' }, {}, 400, 'INVALID_CONTEXT'],
      ['', { context: null }, {}, 400, 'INVALID_CONTEXT'],
      ['/bool-plan', { context: { targetingKey: 42 } }, {}, 400, 'INVALID_CONTEXT'],
      ['', { context: { userId: { id: 1 } } }, {}, 400, 'INVALID_CONTEXT'],
      ['', { context: {}, flags: 'bool-plan' }, {}, 400, 'PARSE_ERROR'],
      ['', { context: {}, flags: [1] }, {}, 400, 'PARSE_ERROR'],
    ];
    for (const [path, body, headers, status, code] of cases) {
      const res = await ofrep(path, s.serverKey, body, headers);
      expect(res.status, `${path} ${JSON.stringify(body)}: ${res.text}`).toBe(status);
      expect(res.body.errorCode).toBe(code);
      expect(typeof res.body.errorDetails).toBe('string');
      if (path === '') expect(res.body.key).toBeUndefined();
      else expect(res.body.key).toBe('bool-plan');
    }
    // Nested values are no error: OFREP's flat context has no place for them, so they are ignored.
    const nested = await ofrep('/bool-plan', s.serverKey, { context: { plan: 'pro', address: { city: 'Berlin' }, list: [1] } });
    expect(nested.body).toMatchObject({ value: true, metadata: { ruleId: 'pro' } });
    // Body too large: 413, in OFREP's shape.
    const huge = await ofrep('', s.serverKey, { context: { blob: 'x'.repeat(server.config.bodyLimit) } });
    expect(huge.status).toBe(413);
    expect(huge.body.errorCode).toBe('PARSE_ERROR');
  });

  it('serves the configuration extension with an ETag', async () => {
    const res = await server.request('GET', '/ofrep/v1/configuration', { headers: { authorization: `Bearer ${s.clientKey}` } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'switchboard',
      capabilities: { cacheInvalidation: { polling: { enabled: true } }, flagEvaluation: { supportedTypes: expect.any(Array) } },
    });
    const again = await server.request('GET', '/ofrep/v1/configuration', {
      headers: { authorization: `Bearer ${s.clientKey}`, 'if-none-match': res.headers.get('etag') as string },
    });
    expect(again.status).toBe(304);
  });

  it('describes the OFREP routes in the API description', async () => {
    const doc = (await server.request('GET', '/docs/json')).body as { paths: Record<string, Record<string, any>> };
    expect(Object.keys(doc.paths['/ofrep/v1/evaluate/flags/{key}'] ?? {})).toEqual(['post']);
    expect(Object.keys(doc.paths['/ofrep/v1/evaluate/flags'] ?? {})).toEqual(['post']);
    expect(Object.keys(doc.paths['/ofrep/v1/configuration'] ?? {})).toEqual(['get']);
    const bulk = doc.paths['/ofrep/v1/evaluate/flags']?.post;
    expect(Object.keys(bulk.responses).sort()).toEqual(['200', '304', '400', '401', '403', '429', '500', '503']);
    expect(JSON.stringify(bulk.requestBody)).toContain('flags');
  });

  it('carries the same security headers as the other SDK answers', async () => {
    const snapshot = await server.request('GET', '/api/client/snapshot', { token: s.clientKey });
    const answer = await ofrep('', s.clientKey, { context: {} });
    const names = [
      'content-security-policy',
      'x-content-type-options',
      'x-frame-options',
      'referrer-policy',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
      'origin-agent-cluster',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
    ];
    for (const name of names) {
      expect(snapshot.headers.get(name), name).not.toBeNull();
      expect(answer.headers.get(name), name).toBe(snapshot.headers.get(name));
    }
    expect(answer.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });

  it('answers browser preflights on OFREP paths (X-API-Key allowed, ETag readable)', async () => {
    const res = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key,content-type,if-none-match',
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/x-api-key/);
    const post = await ofrep('', s.clientKey, { context: {} }, { origin: 'https://shop.example' });
    expect(post.headers.get('access-control-allow-origin')).toBe('*');
    expect(post.headers.get('access-control-expose-headers')).toMatch(/etag/);
  });
});

describe.skipIf(!DATABASE_URL)('OFREP limits', () => {
  let server: TestServer;
  let s: OfrepSeed;
  afterAll(async () => {
    await server?.close();
  });

  it('limits requests per key and per address: 429 with Retry-After', async () => {
    server = await startTestServer({ env: { OFREP_KEY_RATE: '20', OFREP_ADDRESS_RATE: '60' } });
    s = await seedOfrep(server, ADMIN);
    const post = (key: string) =>
      fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: '{"context":{}}',
      });
    // Key lookups cached first, then each burst starts at the beginning of a one-second window; a
    // burst that did not finish within its window (a slow machine) is tried again.
    await Promise.all([post(s.serverKey), post(s.clientKey)]);
    const burst = async () => {
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
      const window = Math.floor(Date.now() / 1000);
      const byKey = await Promise.all(Array.from({ length: 30 }, () => post(s.serverKey)));
      const byAddress = await Promise.all(Array.from({ length: 40 }, () => post(s.clientKey)));
      return { byKey, byAddress, sameWindow: Math.floor(Date.now() / 1000) === window };
    };
    let result = await burst();
    for (let i = 0; i < 3 && !result.sameWindow; i++) result = await burst();
    expect(result.sameWindow).toBe(true);
    const { byKey, byAddress } = result;
    expect(byKey.filter((r) => r.status === 200)).toHaveLength(20);
    const limited = byKey.find((r) => r.status === 429);
    expect(limited?.headers.get('retry-after')).toBe('1');
    expect(await limited?.json()).toMatchObject({ error: { code: 'RATE_LIMITED', details: { limit: 'key' } } });
    // The other key has an allowance of its own, but the address runs out (60 per second from 127.0.0.1).
    const addressLimited = byAddress.filter((r) => r.status === 429);
    expect(addressLimited.length).toBeGreaterThan(0);
    const bodies = await Promise.all(addressLimited.map((r) => r.json()));
    expect(bodies.some((b) => b.error.details.limit === 'address')).toBe(true);
    // The next second: allowed again.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    expect((await post(s.serverKey)).status).toBe(200);
  });
});
