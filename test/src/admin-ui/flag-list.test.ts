import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { expectAccessible, seedFlags, shot, startUiSuite, type UiSuite } from './harness.ts';

/**
 * The flags list with 1,200 flags in real Chromium: sorted on the server, every flag reached by
 * scrolling (the list asks for the next page as its end comes into view), a flag switched on from
 * its environment column (production asks first, as on the flag page), and the dependency picker
 * finding a flag far past the first page by searching.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
const N = 1200;
const keyOf = (i: number) => `list-${String(i).padStart(4, '0')}`;

describe.skipIf(skip)('admin UI: a flags list that scales', () => {
  let ui: UiSuite;
  let server: TestServer;
  let page: Page;
  let cookie = '';
  let pageErrors: string[] = [];
  const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 15_000, interval: 100 });
  const rows = () => page.locator('table.flags-table tbody tr');

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'list' });
    ({ server, cookie, pageErrors } = ui);
    // Keys in creation order; names in the reverse order, so sorting by name is visibly not creation.
    await seedFlags(
      (method, path, body) => server.request(method, path, { cookie, body }),
      Array.from({ length: N }, (_, i) => keyOf(i + 1)),
      (_key, i) => ({ name: `List flag ${String(N - i).padStart(4, '0')}`, tags: i % 2 ? ['odd'] : ['even'] }),
    );
    page = await ui.newPage({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', timeout: 15_000 });
  }, 180_000);

  afterAll(() => ui?.close());

  it('shows the first 100 of 1,200, sorted by the server, with no serious accessibility issue', async () => {
    await poll(() => page.getByText(`${N} flags, showing the first 100`).count()).toBe(1);
    await poll(() => rows().count()).toBe(100);
    // Newest change first: the last flag created.
    await poll(() => rows().first().locator('code.key').textContent()).toBe(keyOf(N));
    await expectAccessible(page, 'flags list');

    await page.getByLabel('Sort by').selectOption({ label: 'Name, A to Z' });
    expect(new URL(page.url()).searchParams.get('sort')).toBe('name:asc');
    await poll(() => rows().first().locator('code.key').textContent()).toBe(keyOf(N));
    await poll(() => rows().first().getByRole('link').textContent()).toBe('List flag 0001');
    await page.getByLabel('Sort by').selectOption({ label: 'Created, oldest first' });
    // Created a few at a time, so the oldest is whichever the server committed first.
    const oldest = await server.request('GET', '/api/admin/flags?sort=created&order=asc&limit=1', { cookie });
    await poll(() => rows().first().locator('code.key').textContent()).toBe(oldest.body.flags[0].key);
  });

  it('reaches the 1,200th flag by scrolling, page by page', async () => {
    let pages = 1;
    while ((await rows().count()) < N && pages < 20) {
      const before = await rows().count();
      await page.mouse.wheel(0, 200_000);
      await poll(() => rows().count()).toBeGreaterThan(before);
      pages++;
    }
    expect(pages).toBe(N / 100);
    await poll(() => rows().count()).toBe(N);
    await poll(() => page.getByText(`All ${N} flags shown.`).count()).toBe(1);
    // The same order as the API's own walk (the flags were created a few at a time, so not quite by key).
    const keys = await page.locator('table.flags-table tbody tr code.key').allTextContents();
    const api: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { flags: Array<{ key: string }>; nextCursor: string | null } } = await server.request(
        'GET',
        `/api/admin/flags?sort=created&order=asc&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        { cookie },
      );
      api.push(...res.body.flags.map((f) => f.key));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(keys).toEqual(api);
    expect(new Set(keys).size).toBe(N);
    await expect.poll(() => page.getByRole('row', { name: /List flag 0001/ }).isVisible()).toBe(true);
    await page.getByRole('row', { name: /List flag 0001/ }).scrollIntoViewIfNeeded();
    await shot(page, 'flags-list-1200-end', false);
  });

  it('turns a flag on from the list: production asks first, development does not, and the server has it', async () => {
    const key = keyOf(N);
    const prod = page.getByRole('switch', { name: `${key} in Production` });
    await prod.scrollIntoViewIfNeeded();
    await poll(() => prod.getAttribute('aria-checked')).toBe('false');
    await prod.click();
    const dialog = page.getByRole('dialog', { name: `Turn on ${key} in Production?` });
    await dialog.waitFor();
    await shot(page, 'flags-list-toggle-confirm', false);
    await expectAccessible(page, 'flags list confirmation');
    await dialog.getByRole('button', { name: 'Turn on in Production' }).click();
    await poll(() => prod.getAttribute('aria-checked')).toBe('true');
    // Still where it was: the list kept its 1,200 rows and its place.
    expect(await rows().count()).toBe(N);

    const dev = page.getByRole('switch', { name: `${key} in Development` });
    await dev.click();
    await poll(() => dev.getAttribute('aria-checked')).toBe('true');
    expect(await page.getByRole('dialog').count()).toBe(0);
    await shot(page, 'flags-list-toggled', false);

    for (const [env, version] of [
      ['production', 2],
      ['development', 2],
      ['staging', 1],
    ] as const) {
      const res = await server.request('GET', `/api/admin/flags/${key}/environments/${env}`, { cookie });
      expect(res.body).toMatchObject({ enabled: env !== 'staging', version });
    }

    // The live stream brings a change made elsewhere into the row, without losing the place.
    await server.request('PATCH', `/api/admin/flags/${key}/environments/production`, {
      cookie,
      body: { enabled: false },
      headers: { 'if-match': '"2"' },
    });
    await poll(() => prod.getAttribute('aria-checked')).toBe('false');
    expect(await rows().count()).toBe(N);
  });

  it('finds a dependency’s parent flag by searching the server, past the first page', async () => {
    await page.goto(`${server.url}/flags/${keyOf(5)}?env=staging`);
    await page.getByRole('button', { name: 'Add dependency' }).click();
    const picker = page.getByRole('combobox', { name: 'Dependency 1: parent flag' });
    await picker.fill('list-1199');
    const matches = page.getByRole('listbox', { name: 'Matching flags' });
    await matches.getByRole('option', { name: /List flag 0002/ }).waitFor();
    expect(await matches.getByRole('option').count()).toBe(1);
    await expectAccessible(page, 'flag page with the dependency picker open');
    await shot(page, 'dependency-picker', false);
    await page.keyboard.press('Enter');
    await poll(() => picker.inputValue()).toBe('list-1199');
    await page.getByRole('button', { name: 'Save changes to Staging' }).click();
    await page.getByText(/Version 2, changed/).waitFor();
    const saved = await server.request('GET', `/api/admin/flags/${keyOf(5)}/environments/staging`, { cookie });
    expect(saved.body.dependencies).toEqual([{ flag: 'list-1199' }]);
    expect(pageErrors).toEqual([]);
  });
});
