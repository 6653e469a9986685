import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { expectAccessible, logIn, startUiSuite, type UiSuite } from './harness.ts';

/**
 * The smaller points of the second UI round, in Chromium: a length counter on descriptions, a
 * rollout summary that never rounds 0.001% to 0%, focus kept on the page after saving, toasts clear
 * of the save bar, and the first screen loading its page as a chunk of its own.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);

describe.skipIf(skip)('admin UI: smaller points', () => {
  let ui: UiSuite;
  let server: TestServer;
  let page: Page;
  const scripts: string[] = [];
  const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 100 });

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'small' });
    ({ server } = ui);
    // Logged in after the listener is on, so that the first screen's scripts are counted too.
    page = await ui.newPage({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', as: false });
    page.on('request', (r) => {
      if (r.resourceType() === 'script') scripts.push(new URL(r.url()).pathname);
    });
    await logIn(page, server.url);
  }, 120_000);

  afterAll(() => ui?.close());

  it('loads pages as chunks: the playground’s code only when it is opened', async () => {
    expect(scripts.some((s) => /\/assets\/flags-[\w-]+\.js$/.test(s))).toBe(true);
    expect(scripts.some((s) => /playground/.test(s))).toBe(false);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Playground' }).click();
    await page.getByRole('heading', { name: 'Playground', level: 1 }).waitFor();
    expect(scripts.some((s) => /\/assets\/playground-[\w-]+\.js$/.test(s))).toBe(true);
  });

  it('counts a description’s characters against its limit', async () => {
    await page.goto(`${server.url}/flags/new`);
    await page.getByLabel('Name', { exact: true }).fill('Tiny rollout');
    const description = page.getByLabel('Description');
    await description.fill('Ten chars.');
    await poll(() => page.getByText('10 of 2,000 characters').count()).toBe(1);
    await description.fill('x'.repeat(2003));
    await poll(() => page.getByText('2,003 of 2,000 characters: 3 too many').count()).toBe(1);
    await description.fill('A rollout to very few users');
    await expectAccessible(page, 'new flag form');
    await page.getByRole('button', { name: 'Create flag' }).click();
    await page.getByRole('heading', { name: 'Tiny rollout', level: 1 }).waitFor();
  });

  it('shows 0.001% as typed, and after saving leaves focus on the flag’s status with the toast clear of the page’s bottom', async () => {
    await page.goto(`${server.url}/flags/tiny-rollout?env=development`);
    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.getByRole('region', { name: 'Rule 1' });
    await rule.getByLabel('Attribute').fill('country');
    await rule.getByLabel('Values').fill('DE');
    await rule.getByLabel('Rollout percentage').fill('0.001');
    await poll(() => rule.getByText(/of the users who match get the flag/).textContent()).toMatch(/^0\.001%/);
    await rule.getByLabel('Rollout percentage').fill('0.01');
    await poll(() => rule.getByText(/of the users who match get the flag/).textContent()).toMatch(/^0\.01%/);
    const saveButton = page.getByRole('button', { name: 'Save changes to Development' });
    await saveButton.click();
    await page.getByText(/Version 2, changed/).waitFor();
    await poll(() => page.evaluate(() => document.activeElement?.id)).toBe('status-title');
    const toast = page.locator('.toast').first();
    await toast.waitFor();
    const box = await toast.boundingBox();
    // Top right, under the header: nowhere near where the save bar sits at the bottom.
    expect(box?.y ?? 1000).toBeLessThan(200);
  });

  it('gives a boolean flag variants on its own page, and copies them to every environment', async () => {
    await page.getByRole('button', { name: 'Add variants' }).click();
    await page.getByRole('group', { name: 'Variant 1 of the flag' }).waitFor();
    await page.getByRole('button', { name: 'Save changes to Development' }).click();
    await page.getByText(/Version 3, changed/).waitFor();
    await page.getByRole('button', { name: 'Use these variants in every environment' }).click();
    const dialog = page.getByRole('dialog', { name: 'Use these variants in every environment?' });
    await poll(() => dialog.textContent()).toMatch('control 50%, treatment 50%');
    await expectAccessible(page, 'copy variants dialog');
    await dialog.getByRole('button', { name: 'Copy to 2 environments' }).click();
    await poll(() => page.getByRole('dialog').count()).toBe(0);
    const cookie = await server.login();
    for (const env of ['staging', 'production']) {
      const there = await server.request('GET', `/api/admin/flags/tiny-rollout/environments/${env}`, { cookie });
      expect(there.body.variants).toEqual([
        { name: 'control', weight: 500 },
        { name: 'treatment', weight: 500 },
      ]);
      expect(there.body.version).toBe(2);
    }
  });
});
