import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPlayground } from '../../../server/test/helpers/playground-seed.ts';
import { DATABASE_URL } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { expectAccessible, shot, startUiSuite, type UiSuite } from './harness.ts';

/**
 * The playground in real Chromium: a context typed in the form (or as JSON) is evaluated by the
 * server, each flag's row names the rule that decided, and the URL alone reproduces the answer.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);

describe.skipIf(skip)('admin UI: the playground', () => {
  let ui: UiSuite;
  let page: Page;
  let pageErrors: string[] = [];
  const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 100 });

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'playground' });
    ({ pageErrors } = ui);
    const { admin } = ui;
    await admin('PUT', '/attributes/country', { description: 'ISO country code', sensitive: false });
    await admin('PUT', '/attributes/plan', { description: 'Billing plan', sensitive: false });
    await seedPlayground(admin);
    await admin('POST', '/flags', { key: 'dark-mode', name: 'Dark mode' });
    page = await ui.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
  }, 120_000);

  afterAll(() => ui?.close());

  it('evaluates a user in DE on pro and names the rule that decides', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Playground' }).click();
    await page.getByRole('heading', { name: 'Playground', level: 1 }).waitFor();
    await poll(() => page.getByLabel('Environment').inputValue()).toBe('production');
    await page.getByLabel('User ID').fill('user-42');
    await page.getByLabel('Attribute 1 name').fill('country');
    await page.getByLabel('Attribute 1 value').fill('DE');
    await page.getByRole('button', { name: 'Add attribute' }).click();
    await page.getByLabel('Attribute 2 name').fill('plan');
    await page.getByLabel('Attribute 2 value').fill('pro');
    await page.getByRole('button', { name: 'Evaluate' }).click();

    const row = page.getByRole('row', { name: /New checkout/ });
    await poll(() => row.textContent()).toMatch('Rule 2: Germany on Pro');
    expect(await row.textContent()).toMatch('A rule matched');
    expect(await row.getByText('On', { exact: true }).count()).toBe(1);
    const banner = page.getByRole('row', { name: /Banner/ });
    expect(await banner.textContent()).toMatch(/red.*\{"color":"red"\}.*On for everyone/);
    expect(await page.getByRole('row', { name: /Dark mode/ }).textContent()).toMatch('Off in this environment');
    await poll(() => page.getByRole('heading', { name: '2 of 3 flags on in Production' }).count()).toBe(1);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/playground');
    expect(JSON.parse(url.searchParams.get('context') ?? '')).toEqual({ userId: 'user-42', properties: { country: 'DE', plan: 'pro' } });
    await expectAccessible(page, 'playground');
    await shot(page, 'playground');
  });

  it('answers the same from the link alone, and from JSON with a changed plan', async () => {
    const link = page.url();
    const other = await page.context().newPage();
    await other.goto(link);
    await poll(() => other.getByRole('row', { name: /New checkout/ }).textContent()).toMatch('Rule 2: Germany on Pro');
    await other.close();

    await page.getByRole('radio', { name: 'JSON' }).check();
    const json = page.getByLabel('Context (JSON)');
    expect(JSON.parse(await json.inputValue())).toEqual({ userId: 'user-42', properties: { country: 'DE', plan: 'pro' } });
    await json.fill('{"userId": "user-42", "country": "DE", "plan": "free", "email": "ann@example.com"}');
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await poll(() => page.getByRole('row', { name: /New checkout/ }).textContent()).toMatch('Rule 1: Our own people');
    await json.fill('{"userId": "user-42", "country": "DE", "plan": "free"}');
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await poll(() => page.getByRole('row', { name: /New checkout/ }).textContent()).toMatch('No rule matched');
    await json.fill('{"userId": ');
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await poll(() => page.getByText(/Not valid JSON/).count()).toBe(1);
    await expectAccessible(page, 'playground in JSON mode');

    await page.getByLabel('Environment').selectOption('staging');
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await poll(() => page.getByText(/Not valid JSON/).count()).toBe(1);
    await json.fill('{"userId": "user-42"}');
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await poll(() => page.getByRole('heading', { name: '0 of 3 flags on in Staging' }).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
