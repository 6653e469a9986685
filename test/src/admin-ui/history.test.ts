import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { expectAccessible, shot, startUiSuite, type UiSuite } from './harness.ts';

/**
 * History by meaning in real Chromium: the revert preview lists exactly what differs (in words),
 * and "undo this change" takes back one version's change on top of the current one, through the
 * normal versioned write, keeping what was changed since.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
const FLAG = 'checkout';

describe.skipIf(skip)('admin UI: history, revert preview and undo', () => {
  let ui: UiSuite;
  let server: TestServer;
  let page: Page;
  let pageErrors: string[] = [];
  const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 100 });
  const admin: UiSuite['admin'] = (...args) => ui.admin(...args);
  const de = { id: 'de', conditions: [{ attribute: 'country', operator: 'IN', values: ['DE'] }] };
  const pro = {
    id: 'pro',
    conditions: [{ attribute: 'plan', operator: 'IN', values: ['pro'] }],
    rollout: { percentage: 50, stickiness: 'userId' },
  };

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'history' });
    ({ server, pageErrors } = ui);
    const path = `/flags/${FLAG}/environments/production`;
    await admin('POST', '/flags', { key: FLAG, name: 'Checkout' });
    await admin('PATCH', path, { rules: [de, pro] }, { 'if-match': '"1"' });
    await admin('PATCH', path, { rules: [de, { ...pro, rollout: { percentage: 25, stickiness: 'accountId' } }] }, { 'if-match': '"2"' });
    await admin('PATCH', path, { enabled: true }, { 'if-match': '"3"' });
    page = await ui.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  }, 120_000);

  afterAll(() => ui?.close());

  it('previews a revert with exactly what differs, in words', async () => {
    await page.goto(`${server.url}/flags/${FLAG}/history?env=production`);
    const revert = page.getByRole('button', { name: 'Revert production to version 2' });
    await revert.waitFor();
    await expectAccessible(page, 'flag history');
    await revert.click();
    const dialog = page.getByRole('dialog', { name: `Revert ${FLAG} in Production to version 2?` });
    await poll(() => dialog.locator('li.change').count()).toBe(2);
    const items = await dialog.locator('li.change').allTextContents();
    expect(items[0]).toMatch(/Status.*On.*→.*Off/);
    expect(items[1]).toMatch(/Rule 2 rollout.*25% by accountId.*→.*50% by userId/);
    expect(items.join(' ')).not.toMatch(/[{}]/);
    await expectAccessible(page, 'revert preview');
    await shot(page, 'revert-preview', false);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  });

  it('undoes the change of one version and keeps the later one', async () => {
    await page.getByRole('button', { name: 'Undo this change of version 3 in production' }).click();
    const dialog = page.getByRole('dialog', { name: 'Undo the change of version 3 in Production?' });
    await dialog.getByText('What changes now (version 4 → after the undo)').waitFor();
    const lists = dialog.locator('ul.changes');
    await poll(() => lists.count()).toBe(2);
    const now = await lists.nth(1).locator('li.change').allTextContents();
    expect(now).toHaveLength(1);
    expect(now[0]).toMatch(/Rule 2 rollout.*25% by accountId.*→.*50% by userId/);
    await expectAccessible(page, 'undo preview');
    await shot(page, 'undo-preview', false);
    await dialog.getByRole('button', { name: 'Undo it in Production' }).click();
    await poll(() => page.getByRole('dialog').count()).toBe(0);
    const saved = await admin('GET', `/flags/${FLAG}/environments/production`);
    expect(saved).toMatchObject({ version: 5, enabled: true });
    expect(saved.rules).toEqual([de, pro]);
    // The undo is a change like any other: in the history, as a new version.
    await poll(() => page.getByText('v5').count()).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });
});
