import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { expectAccessible, seedUsage, shot, startUiSuite, type UiSuite } from './harness.ts';

/**
 * Issue 16, point 5 in Chromium: evaluation counts reported by SDKs, per environment on the flags
 * list (last 24 hours and 7 days) and on the flag page split by result, with the hours as bars.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
const HOUR = 3_600_000;

describe.skipIf(skip)('admin UI: evaluation counts', () => {
  let ui: UiSuite;
  let server: TestServer;
  let page: Page;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'usage', env: { USAGE_FLUSH_MS: '200', USAGE_REPORTS_PER_MINUTE: '2000' } });
    ({ server, pageErrors } = ui);
    const { admin, cookie } = ui;
    await admin('POST', '/flags', { key: 'new-checkout', name: 'New checkout' });
    await admin('POST', '/flags', { key: 'unused', name: 'Never evaluated' });
    await admin(
      'PATCH',
      '/flags/new-checkout/environments/production',
      {
        enabled: true,
        variants: [
          { name: 'blue', weight: 500 },
          { name: 'green', weight: 500 },
        ],
      },
      { 'if-match': '"1"' },
    );
    const serverKey = (await admin('POST', '/keys', { name: 'api', environment: 'production', kind: 'server' })).secret as string;
    const now = Date.now();
    await seedUsage((method, path, o) => server.request(method, path, o), {
      cookie,
      serverKey,
      environment: 'production',
      waitFor: 'new-checkout',
      expected7d: 2400 + 600 + 1500 + 300 + 900,
      reports: [
        { at: new Date(now), flags: { 'new-checkout': { yes: 2400, no: 600, variants: { blue: 1500, green: 900 } } } },
        // Two and five days ago: in the 7 days only.
        { at: new Date(now - 50 * HOUR), flags: { 'new-checkout': { yes: 1500, no: 300, variants: { blue: 1500 } } } },
        { at: new Date(now - 120 * HOUR), flags: { 'new-checkout': { yes: 900, no: 0, variants: { green: 900 } } } },
      ],
    });
    page = await ui.newPage({ viewport: { width: 1280, height: 900 }, timeout: 15_000 });
  }, 180_000);

  afterAll(() => ui?.close());

  it('shows each environment’s counts on the list', async () => {
    const row = page.locator('table.flags-table tbody tr', { has: page.locator('code.key', { hasText: /^new-checkout$/ }) });
    const production = row.locator('td[data-label="Production"] .env-evaluations');
    await expect.poll(() => production.getAttribute('title')).toBe('3,000 evaluations in Production in the last 24 hours, 5,700 in 7 days');
    await expect.poll(() => production.locator('[aria-hidden="true"]').textContent()).toBe('3k / 24 h · 5.7k / 7 d');
    expect(await row.locator('td[data-label="Staging"] .env-evaluations').textContent()).toContain('no evaluations');
    const unused = page.locator('table.flags-table tbody tr', { has: page.locator('code.key', { hasText: /^unused$/ }) });
    expect(await unused.locator('td[data-label="Production"] .env-evaluations').textContent()).toContain(
      'No evaluations in Production in 7 days',
    );
    await expectAccessible(page, 'flags list with evaluation counts');
    await shot(page, 'usage-list');
  });

  it('splits them by result on the flag page, with the hours as bars', async () => {
    await page.locator('a.flag-link', { hasText: 'New checkout' }).click();
    await page
      .getByRole('navigation', { name: 'Environments' })
      .getByRole('link', { name: /Production/ })
      .click();
    const panel = page.getByRole('region', { name: 'Evaluations in Production' });
    await panel.waitFor();
    await expect.poll(() => panel.locator('.usage-totals dd').allTextContents()).toEqual(['3,000', '5,700', 'just now']);
    const rows = panel.locator('.usage-table tbody tr');
    await expect
      .poll(async () => (await rows.allInnerTexts()).map((t) => t.split(/\s+/).join(' ')))
      .toEqual(['Variant blue 1,500 3,000 53%', 'Variant green 900 1,800 32%', 'Off 600 900 16%']);
    const chart = panel.getByRole('img');
    expect(await chart.getAttribute('aria-label')).toMatch(
      /^Evaluations in Production per hour over the last 7 days; the busiest hour had 3,000/,
    );
    // One bar per hour with evaluations, "on" and "off" stacked: 2 + 2 + 1 rectangles.
    expect(await chart.locator('rect').count()).toBe(5);
    await expectAccessible(page, 'flag page with evaluation counts');
    await panel.scrollIntoViewIfNeeded();
    await shot(page, 'usage-flag-page');
    expect(pageErrors).toEqual([]);
  });
});
