import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { buildAdminUi } from '../admin-ui/harness.ts';
import { CHROMIUM, CHROMIUM_LAUNCH } from '../support/chromium.ts';
import { seedOfrep } from './seed.ts';

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
const SHOTS = fileURLToPath(new URL('../../output/screenshots/', import.meta.url));

/** The flag page tells where browsers evaluate a flag, and why: what the admin API computes. */
describe.skipIf(skip)('admin UI: where browsers evaluate a flag', () => {
  let server: TestServer;
  let browser: Browser;
  const dist = mkdtempSync(join(tmpdir(), 'sb-admin-ui-ofrep-'));

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    buildAdminUi(dist);
    [server, browser] = await Promise.all([startTestServer({ env: { ADMIN_UI_DIR: dist } }), chromium.launch({ ...CHROMIUM_LAUNCH })]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  it('shows "evaluated on the server" with the reason, and "in the browser" for a plain flag', async () => {
    const s = await seedOfrep(server, ADMIN);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const [name, value] = s.cookie.split('=');
    await context.addCookies([{ name: name as string, value: value as string, url: server.url }]);
    const page = await context.newPage();
    await page.goto(`${server.url}/flags/bool-segment?env=production`);
    const note = page.getByText('evaluated on the server');
    await note.first().waitFor({ state: 'visible', timeout: 10_000 });
    await expect
      .poll(() => page.textContent('.status-card'))
      .toContain('segment beta-users (used in rule beta) compares the sensitive attribute userId');
    await page.screenshot({ path: join(SHOTS, 'ofrep-flag-evaluated-on-server.png') });
    await page.goto(`${server.url}/flags/bool-plan?env=production`);
    await page.getByText('evaluated in the browser').first().waitFor({ state: 'visible', timeout: 10_000 });
    await expect.poll(() => page.textContent('.status-card')).toContain('Browsers receive its rules and evaluate it themselves.');
    await context.close();
  }, 60_000);
});
