import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { expectAccessible, shot, startUiSuite, type UiSuite } from './harness.ts';

/**
 * A segment of 20,000 customer ids in real Chromium: uploaded as CSV (duplicates and blanks dropped
 * with a note, the count shown against the limit before saving), saved, used in a rule, and
 * evaluated for one of its ids in the playground; a list past 50,000 cannot be saved.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
const N = 20_000;
const id = (i: number) => `cus_${String(i).padStart(6, '0')}`;

describe.skipIf(skip)('admin UI: a segment of 20,000 ids', () => {
  let ui: UiSuite;
  let server: TestServer;
  let page: Page;
  let cookie = '';
  let pageErrors: string[] = [];
  const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 15_000, interval: 100 });

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'segments' });
    ({ server, cookie, pageErrors } = ui);
    await server.request('POST', '/api/admin/flags', { cookie, body: { key: 'vip-pricing', name: 'VIP pricing' } });
    page = await ui.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce', timeout: 15_000 });
  }, 120_000);

  afterAll(() => ui?.close());

  it('uploads 20,000 ids as CSV, says what it dropped, and saves them all', async () => {
    await page.goto(`${server.url}/segments/new`);
    await page.getByLabel('Key', { exact: true }).fill('top-customers');
    await page.getByLabel('Name', { exact: true }).fill('Top customers');
    const condition = page.getByRole('group', { name: 'Condition 1 of the segment' });
    await condition.getByLabel('Attribute').fill('userId');
    // Ten ids a row, a header-less CSV, with four repeats and three blank lines among them.
    const rows: string[] = [];
    for (let i = 0; i < N; i += 10) rows.push(Array.from({ length: 10 }, (_, j) => id(i + j)).join(','));
    rows.splice(5, 0, '', `${id(1)},${id(2)}`, '');
    rows.splice(900, 0, `"${id(3)}",${id(4)}`, '');
    await condition.getByLabel('Upload a file with the list for condition 1 of the segment').setInputFiles({
      name: 'customers.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${rows.join('\n')}\n`),
    });
    const note = condition.getByRole('status');
    await poll(() => note.textContent()).toBe('20,000 of at most 50,000 values. Dropped 4 duplicates and 3 blank entries.');
    await expectAccessible(page, 'segment form with 20,000 values');
    await shot(page, 'segment-20000', false);
    await page.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('heading', { name: 'Used by 0 flags' }).waitFor();
    const saved = await server.request('GET', '/api/admin/segments/top-customers', { cookie });
    expect(saved.body.conditions[0].values).toHaveLength(N);
    expect(saved.body.conditions[0].values.slice(0, 3)).toEqual([id(0), id(1), id(2)]);
    expect(new Set(saved.body.conditions[0].values).size).toBe(N);
  });

  it('uses the segment in a rule, and the playground finds one of its ids in it', async () => {
    await page.goto(`${server.url}/flags/vip-pricing?env=production`);
    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.getByRole('region', { name: 'Rule 1' });
    await rule.getByLabel('Add a segment to rule 1').selectOption('top-customers');
    await rule.getByRole('button', { name: 'Remove condition 1 of rule 1' }).click();
    await page.getByRole('button', { name: 'Save changes to Production' }).click();
    // Production is protected (issue 17): the dialog names the segment the rule uses.
    const confirm = page.getByRole('dialog', { name: 'Save changes to vip-pricing in Production?' });
    await confirm.getByText('Segments the rules use').waitFor();
    await confirm.getByRole('button', { name: 'Save to Production' }).click();
    await page.getByText(/Version 2, changed/).waitFor();
    await server.request('PATCH', '/api/admin/flags/vip-pricing/environments/production', {
      cookie,
      body: { enabled: true },
      headers: { 'if-match': '"2"' },
    });
    await page.goto(`${server.url}/playground?env=production&context=${encodeURIComponent(JSON.stringify({ userId: id(19_999) }))}`);
    await poll(() => page.getByRole('row', { name: /VIP pricing/ }).textContent()).toMatch(/On.*A rule matched.*Rule 1/);
    await page.goto(`${server.url}/playground?env=production&context=${encodeURIComponent(JSON.stringify({ userId: 'cus_x' }))}`);
    await poll(() => page.getByRole('row', { name: /VIP pricing/ }).textContent()).toMatch('No rule matched');
  });

  it('will not save more than 50,000 values, and says so before saving', async () => {
    await page.goto(`${server.url}/segments/new`);
    await page.getByLabel('Key', { exact: true }).fill('too-many');
    const condition = page.getByRole('group', { name: 'Condition 1 of the segment' });
    await condition.getByLabel('Attribute').fill('userId');
    // Pasted: typed text is read the same way (one per line, blanks and repeats dropped).
    await condition.getByLabel('Values', { exact: true }).fill(`${id(1)}\n\n${id(2)}\n${id(1)}\n`);
    await poll(() => condition.getByRole('status').textContent()).toBe(
      '2 of at most 50,000 values. Dropped 1 duplicate and 1 blank entry.',
    );
    // (Chromium types 50,000 lines into a field far slower than a person pastes them: uploaded here.)
    await condition.getByLabel('Upload a file with the list for condition 1 of the segment').setInputFiles({
      name: 'too-many.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(Array.from({ length: 50_002 }, (_, i) => id(i)).join('\n')),
    });
    await poll(() => condition.getByRole('status').textContent()).toBe('50,002 of at most 50,000 values: remove 2 to save');
    await poll(() => page.getByRole('button', { name: 'Create segment' }).isDisabled()).toBe(true);
    expect((await server.request('GET', '/api/admin/segments/too-many', { cookie })).status).toBe(404);
    expect(pageErrors).toEqual([]);
  });
});
