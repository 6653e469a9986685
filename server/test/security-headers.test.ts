import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/** Security headers on every kind of answer: the admin API and UI, the API docs, SDK snapshots and streams. */
describe.skipIf(!DATABASE_URL)('security headers', () => {
  let server: TestServer;
  let cookie: string;
  let serverKey: string;

  beforeAll(async () => {
    server = await startTestServer();
    cookie = await server.login();
    serverKey = (await server.request('POST', '/api/admin/keys', { cookie, body: { name: 'k', environment: 'staging', kind: 'server' } }))
      .body.secret;
  });
  afterAll(async () => {
    await server?.close();
  });

  const directives = (csp: string | null) =>
    new Map(
      (csp ?? '')
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([name, ...values]) => [name as string, values]),
    );

  function expectCommon(headers: Headers, what: string) {
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(headers.get('referrer-policy'), what).toBe('no-referrer');
    expect(headers.get('x-frame-options'), what).toBe('DENY');
    const csp = directives(headers.get('content-security-policy'));
    expect(csp.get('frame-ancestors'), what).toEqual(["'none'"]);
    expect(csp.get('default-src'), what).toEqual(["'self'"]);
    // No inline or eval'd script anywhere.
    expect(csp.get('script-src'), what).toEqual(["'self'"]);
    expect(csp.get('object-src'), what).toEqual(["'none'"]);
  }

  it('the admin API and the UI page: strict CSP, nosniff, no framing, no referrer, same-origin resources', async () => {
    for (const path of ['/', '/api/admin/me', '/api/admin/flags', '/api/admin/nope']) {
      const res = await fetch(`${server.url}${path}`, { headers: { cookie } });
      expectCommon(res.headers, path);
      expect(directives(res.headers.get('content-security-policy')).get('style-src'), path).toEqual(["'self'"]);
      expect(res.headers.get('cross-origin-resource-policy'), path).toBe('same-origin');
      // Plain HTTP here (SECURE_COOKIES off): no HSTS promise the server cannot keep.
      expect(res.headers.get('strict-transport-security'), path).toBeNull();
    }
  });

  it('/docs renders under its own CSP (no inline script), still unframeable', async () => {
    const res = await fetch(`${server.url}/docs/`);
    expect(res.status).toBe(200);
    expectCommon(res.headers, '/docs');
    const html = await res.text();
    // Every script of the page is a file, so script-src 'self' lets it run.
    expect(html).toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*\S/);
  });

  it('SDK snapshots and streams keep CORS and are readable from other origins', async () => {
    const snapshot = await fetch(`${server.url}/api/sdk/snapshot`, {
      headers: { authorization: serverKey, origin: 'https://shop.example' },
    });
    expect(snapshot.status).toBe(200);
    expect(snapshot.headers.get('access-control-allow-origin')).toBe('*');
    expect(snapshot.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(snapshot.headers.get('x-content-type-options')).toBe('nosniff');

    const controller = new AbortController();
    const stream = await fetch(`${server.url}/api/sdk/stream`, {
      headers: { authorization: serverKey, origin: 'https://shop.example' },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    expect(stream.headers.get('access-control-allow-origin')).toBe('*');
    expect(stream.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const reader = stream.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toMatch(/event: snapshot|: connected/);
    controller.abort();
  });

  it('HSTS only behind HTTPS (SECURE_COOKIES=true)', async () => {
    const secure = await startTestServer({ env: { SECURE_COOKIES: 'true' } });
    try {
      const res = await fetch(`${secure.url}/api/admin/me`);
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    } finally {
      await secure.close();
    }
  });
});
