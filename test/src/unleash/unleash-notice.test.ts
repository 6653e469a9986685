import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { buildAdminUi } from '../admin-ui/harness.ts';
import { CHROMIUM, CHROMIUM_LAUNCH } from '../support/chromium.ts';

const skip = !DATABASE_URL || !existsSync(CHROMIUM);

describe.skipIf(skip)('the flag page says what Unleash SDKs will see (Chromium)', () => {
  let server: TestServer;
  let browser: Browser;
  const dist = mkdtempSync(join(tmpdir(), 'sb-admin-ui-unleash-'));

  beforeAll(async () => {
    buildAdminUi(dist);
    [server, browser] = await Promise.all([startTestServer({ env: { ADMIN_UI_DIR: dist } }), chromium.launch(CHROMIUM_LAUNCH)]);
    const cookie = await server.login();
    for (const key of ['canary', 'plain']) await server.request('POST', '/api/admin/flags', { cookie, body: { key } });
    const res = await server.request('PATCH', '/api/admin/flags/canary/environments/production', {
      cookie,
      headers: { 'if-match': '"1"' },
      body: { enabled: true, rules: [{ id: 'tiny', rollout: { percentage: 0.5 } }] },
    });
    expect(res.status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('shows the rounded rollout on the flag that has one, and nothing on a flag Unleash SDKs see exactly', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill('admin@example.test');
    await page.getByLabel('Password').fill('correct-horse-battery');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Flags', level: 1 }).waitFor();
    await page.goto(`${server.url}/flags/canary?env=production`);
    const notice = page.getByRole('status').filter({ hasText: 'What Unleash SDKs will see' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain('roll out to 0% instead of 0.5%');
    await page.goto(`${server.url}/flags/plain?env=production`);
    await page.getByRole('heading', { name: 'Rules' }).waitFor();
    // The answer for this flag has come (an empty list) by the time the page is idle.
    await page.waitForLoadState('networkidle');
    expect(await page.getByText('What Unleash SDKs will see').count()).toBe(0);
    await context.close();
  });
});
