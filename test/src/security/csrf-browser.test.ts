import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { buildAdminUi } from '../admin-ui/harness.ts';
import { CHROMIUM, CHROMIUM_LAUNCH } from '../support/chromium.ts';

/**
 * The security review's attack, replayed in real Chromium: the admin is logged in (the session
 * cookie is in the browser), and a page on another port of the same host (127.0.0.1, so the same
 * site: SameSite=Lax lets the cookie go along) posts forms at the admin API. Nothing may change.
 * The same action from the admin UI's own origin still works, and the built UI and /docs load under
 * the strict CSP without a single violation.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
if (skip) {
  console.warn(
    `\n*** The CSRF/CSP tests in Chromium are SKIPPED: ${!DATABASE_URL ? 'DATABASE_URL is not set' : `${CHROMIUM} is missing`}. ***\n`,
  );
}

const FLAG = 'csrf-target';

/** The attacker's site: pages whose forms submit themselves to the admin API. */
function attackerPages(api: string): Record<string, string> {
  const action = `${api}/api/admin/flags/${FLAG}/archive`;
  const auto = '<script>document.forms[0].submit()</script>';
  return {
    // The classic JSON-looking body: `{"a":"=..."}` with the text/plain encoding.
    '/plain': `<form method="POST" action="${action}" enctype="text/plain"><input name='{"a":"' value='"}'></form>${auto}`,
    '/urlencoded': `<form method="POST" action="${action}"><input name="reason" value="x"></form>${auto}`,
    // A script may not send JSON across origins without a preflight, which admin paths never grant.
    '/fetch': `<script>fetch(${JSON.stringify(action)}, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: '{}' })
      .then((r) => { document.title = 'sent ' + r.status; }, () => { document.title = 'blocked'; });</script>`,
  };
}

describe.skipIf(skip)('CSRF and CSP in Chromium', () => {
  let server: TestServer;
  let attacker: Server;
  let attackerUrl = '';
  let context: BrowserContext;
  let page: Page;
  const dist = mkdtempSync(join(tmpdir(), 'sb-admin-ui-csrf-'));
  const profile = mkdtempSync(join(tmpdir(), 'sb-chromium-csrf-'));
  const problems: string[] = [];
  const hits: string[] = [];

  const archivedAt = async () => {
    const res = await server.request('POST', '/api/admin/login', { body: ADMIN });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return (await server.request('GET', `/api/admin/flags/${FLAG}`, { cookie })).body.archivedAt as string | null;
  };

  beforeAll(async () => {
    buildAdminUi(dist);
    server = await startTestServer({ env: { ADMIN_UI_DIR: dist } });
    const cookie = await server.login();
    expect((await server.request('POST', '/api/admin/flags', { cookie, body: { key: FLAG } })).status).toBe(201);
    const pages = attackerPages(server.url);
    attacker = createServer((req, res) => {
      hits.push(req.url ?? '');
      const html = pages[req.url ?? ''];
      if (html === undefined) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>prize</title>${html}`);
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    context = await chromium.launchPersistentContext(profile, {
      ...CHROMIUM_LAUNCH,
    });
    context.setDefaultTimeout(10_000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      // The UI's first /me before logging in is a 401 on purpose; only CSP reports count here.
      if (/Content Security Policy/i.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((r) => attacker?.close(r));
    await server?.close();
    rmSync(dist, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });

  it('the built admin UI loads and logs in under the strict CSP, with no violation', async () => {
    await page.goto(`${server.url}/flags`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: FLAG }).first().waitFor();
    const cookies = await context.cookies(server.url);
    expect(cookies.map((c) => c.name)).toContain('sb_session');
    expect(problems).toEqual([]);
  });

  it.each(['/plain', '/urlencoded'])('a form on another port (%s) auto-posting to archive the flag changes nothing', async (path) => {
    const answer = page.waitForResponse((r) => r.url().endsWith(`/flags/${FLAG}/archive`));
    await page.goto(`${attackerUrl}${path}`);
    const res = await answer;
    // The cookie went along (same site), and the server still refused.
    expect(res.request().headers().cookie ?? (await res.request().allHeaders()).cookie).toMatch(/sb_session=/);
    expect([403, 415]).toContain(res.status());
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CROSS_ORIGIN_REQUEST');
    expect(await archivedAt()).toBeNull();
  });

  it('a script on another port cannot send JSON: the preflight is not granted', async () => {
    await page.goto(`${attackerUrl}/fetch`);
    await page.waitForFunction(() => document.title !== 'prize');
    expect(await page.title()).toBe('blocked');
    expect(await archivedAt()).toBeNull();
  });

  it('the same actions through the admin UI on its own origin work: archive, then a body-less delete', async () => {
    problems.length = 0;
    await page.goto(`${server.url}/flags/${FLAG}/settings`);
    await page.getByRole('button', { name: 'Archive flag' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Archive flag' }).click();
    await page.getByText(`Archived ${FLAG}`).first().waitFor();
    expect(await archivedAt()).not.toBeNull();

    // api.del sends no body; the UI still says JSON, which the server requires of cookie writes.
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/flags/${FLAG}`));
    await page.getByRole('button', { name: 'Delete flag' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete flag' }).click();
    const res = await deleted;
    expect(res.status()).toBe(200);
    expect(res.request().headers()['content-type']).toBe('application/json');
    const cookie = await server.login();
    expect((await server.request('GET', `/api/admin/flags/${FLAG}`, { cookie })).status).toBe(404);
    expect(problems).toEqual([]);
  });

  it('/docs (Swagger UI) renders under its CSP', async () => {
    problems.length = 0;
    await page.goto(`${server.url}/docs/`);
    await page.getByText('Switchboard API').first().waitFor();
    await page.locator('.opblock').first().waitFor();
    expect(problems).toEqual([]);
  });

  it('the account page changes your own password with the current one (last: the suite logs in with the old one)', async () => {
    problems.length = 0;
    await page.goto(`${server.url}/account`);
    await page.getByRole('heading', { name: 'Change password' }).waitFor();
    await page.getByLabel('Current password').fill('not-my-password');
    await page.getByLabel('New password').fill('a-brand-new-password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'current password is wrong' }).waitFor();
    await page.getByLabel('Current password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed').waitFor();
    const login = (password: string) => server.request('POST', '/api/admin/login', { body: { email: ADMIN.email, password } });
    expect((await login(ADMIN.password)).status).toBe(401);
    expect((await login('a-brand-new-password')).status).toBe(200);
    expect(problems).toEqual([]);
  });
});
