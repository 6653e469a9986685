import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type SwitchboardClient } from '@switchboard/sdk-node';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DATABASE_URL, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { SHOTS, startUiSuite, type UiSuite } from './harness.ts';

/**
 * The admin UI in real headless Chromium against a real server (fresh Postgres database), as a
 * product manager would use it: every locator goes by role or label, which also proves that the
 * controls are labelled. Screenshots of each main screen land in test/output/screenshots/.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
if (skip) {
  console.warn(
    `\n*** The admin UI browser tests are SKIPPED: ${!DATABASE_URL ? 'DATABASE_URL is not set' : `${CHROMIUM} is missing`}. .ci/run sets DATABASE_URL. ***\n`,
  );
}

const FLAG = 'new-checkout';
const VIEWER = { email: 'viewer@example.test', password: 'viewer-password-1' };

/** Waits (up to 10 s) for what `read` returns to pass the assertion that follows. */
const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 100 });
const shown = (l: Locator) => l.first().waitFor({ state: 'visible' });
const hidden = (l: Locator) => l.first().waitFor({ state: 'hidden' });
const text = (l: Locator) => poll(() => l.first().textContent());
const count = (l: Locator) => poll(() => l.count());
/** The accessible description: the text of the elements aria-describedby names. */
const description = (l: Locator) =>
  poll(() =>
    l.evaluate((el) =>
      (el.getAttribute('aria-describedby') ?? '')
        .split(/\s+/)
        .map((id) => (id ? (document.getElementById(id)?.textContent ?? '') : ''))
        .join(' ')
        .trim(),
    ),
  );

/** Share of 2000 users that the client puts in, for one context shape. */
function shareEnabled(client: SwitchboardClient, properties: Record<string, string>): number {
  let on = 0;
  for (let i = 0; i < 2000; i++) if (client.isEnabled(FLAG, { userId: `user-${i}`, properties })) on++;
  return on / 2000;
}

describe.skipIf(skip)('admin UI in Chromium against a real server', () => {
  let ui: UiSuite;
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let sdk: SwitchboardClient | undefined;
  let sdkKey = '';
  let pageErrors: string[] = [];

  const shot = async (name: string, p: Page = page, fullPage = true) => {
    // From the top, so the sticky bar is not painted mid-page in the full-page image.
    await p.evaluate(() => window.scrollTo(0, 0));
    await p.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
  };
  /** Resolves with the next `change` event of the SDK client that names the flag. */
  const sdkChange = () =>
    new Promise<void>((resolve) => {
      const listener = (e: { flags: string[] }) => {
        if (e.flags.includes(FLAG)) resolve();
      };
      sdk?.on('change', listener);
    });

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'main', env: { USAGE_FLUSH_MS: '200' } });
    ({ server, browser, pageErrors } = ui);
    // The SDK a test starts sends its last report before the server closes.
    ui.onClose(() => sdk?.close());
    // Logged out: the first test logs in by keyboard.
    page = await ui.newPage({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', as: false });
    context = page.context();
  }, 90_000);

  afterAll(() => ui?.close());

  it('logs in by keyboard and shows who is logged in, with which role', async () => {
    await page.goto(`${server.url}/flags`);
    await shown(page.getByRole('heading', { name: 'Log in' }));
    expect(new URL(page.url()).pathname).toBe('/login');
    await shot('login');
    // The email field has the focus; the rest is Tab, typing and Enter.
    await page.keyboard.type(ADMIN.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong password');
    await page.keyboard.press('Enter');
    await text(page.getByRole('alert')).toMatch('do not match');
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.keyboard.press('Enter');
    await shown(page.getByRole('heading', { name: 'Flags', level: 1 }));
    const banner = page.getByRole('banner');
    await text(banner).toMatch(ADMIN.email);
    await banner.getByText('Role: admin').first().waitFor({ state: 'attached' });
    await shown(banner.getByText('Live'));
  });

  it('creates a boolean flag and a multivariate one whose JSON payload is checked as it is typed', async () => {
    await page.getByRole('button', { name: 'New flag' }).click();
    await page.getByLabel('Name', { exact: true }).fill('New checkout');
    await poll(() => page.getByLabel('Key', { exact: true }).inputValue()).toMatch(FLAG);
    await page.getByLabel('Description').fill('The one-page checkout');
    await page.getByLabel('Tags').fill('checkout, q3');
    await page.getByLabel(/Visible to browser/).check();
    await page.getByRole('button', { name: 'Create flag' }).click();
    await shown(page.getByRole('heading', { name: 'New checkout', level: 1 }));

    await page.getByRole('link', { name: 'Flags', exact: true }).first().click();
    await page.getByRole('button', { name: 'New flag' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Checkout banner');
    await page.getByRole('radio', { name: /Multivariate/ }).check();
    const first = page.getByRole('group', { name: 'Variant 1 of the flag' });
    await first.getByLabel('Payload type').selectOption('json');
    await first.getByLabel('Payload', { exact: true }).fill('{"color": ');
    await shown(first.getByText(/Not valid JSON/));
    await first.getByLabel('Payload', { exact: true }).fill('{"color": "red"}');
    await shown(first.getByText('✓ Valid JSON'));
    await first.getByLabel('Weight (%)').fill('60');
    await shown(page.getByText('must add up to 100%').first());
    await page.getByRole('group', { name: 'Variant 2 of the flag' }).getByLabel('Weight (%)').fill('40');
    await shown(page.getByText('Total 100% ✓'));
    await shot('flag-create');
    await page.getByRole('button', { name: 'Create flag' }).click();
    await shown(page.getByRole('heading', { name: 'Checkout banner', level: 1 }));
    const created = await server.request('GET', '/api/admin/flags/checkout-banner/environments/production', {
      cookie: await server.login(),
    });
    expect(created.body.variants).toEqual([
      { name: 'control', weight: 600, payload: { type: 'json', value: '{"color": "red"}' } },
      { name: 'treatment', weight: 400 },
    ]);
  });

  it('creates an SDK key whose secret is shown once, with a copy button', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Environments & keys' }).click();
    await page.getByLabel('Key name').fill('checkout-service');
    await page.getByLabel('Key environment').selectOption('production');
    await page.getByLabel('Key kind').selectOption('server');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByLabel('Secret');
    await poll(() => secret.inputValue()).toMatch(/^sbs_/);
    sdkKey = await secret.inputValue();
    await shown(page.getByRole('button', { name: 'Copy secret' }));
    await text(page.getByRole('row', { name: /checkout-service/ })).toMatch('production');
    await shot('keys');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await count(page.getByLabel('Secret')).toBe(0);

    sdk = createClient({ url: server.url, sdkKey, metricsIntervalMs: 300, logger: { warn() {}, error() {} } as never });
    expect(await sdk.ready({ timeoutMs: 10_000 })).toBe(true);
    expect(sdk.isEnabled(FLAG, { userId: 'u1', properties: { country: 'DE' } })).toBe(false);
  });

  it('shows the server’s validation error next to the field it concerns', async () => {
    await page.goto(`${server.url}/flags/${FLAG}?env=development`);
    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.getByRole('region', { name: 'Rule 1' });
    await rule.getByLabel('Attribute').fill('email');
    await rule.getByLabel('Operator').selectOption({ label: 'matches the pattern (RE2)' });
    // Lookahead is valid JavaScript but not RE2: only the server knows, and it answers with the field's path.
    await rule.getByLabel('Value', { exact: true }).fill('(?=a)b');
    await page.getByRole('button', { name: 'Save changes to Development' }).click();
    const value = rule.getByLabel('Value', { exact: true });
    await poll(() => value.getAttribute('aria-invalid')).toBe('true');
    await description(value).toMatch(/./);
    await shown(page.getByRole('alert').filter({ hasText: 'Rule 1 › condition 1 › value 1' }));
    await page.getByRole('button', { name: 'Discard' }).click();
    await count(page.getByRole('region', { name: 'Rule 1' })).toBe(0);
  });

  it('adds a rule with a condition and a 12.5% rollout, turns it on in production after a confirmation, and the SDK follows', async () => {
    await page
      .getByRole('navigation', { name: 'Environments' })
      .getByRole('link', { name: /Production/ })
      .click();
    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.getByRole('region', { name: 'Rule 1' });
    await rule.getByLabel('Attribute').fill('country');
    await poll(() => rule.getByLabel('Operator').inputValue()).toBe('IN');
    await rule.getByLabel('Values').fill('DE\nFR');
    await rule.getByLabel('Rollout percentage').fill('12.5');
    await rule.getByLabel('Stickiness').selectOption('userId');
    await page.getByRole('button', { name: 'Save changes to Production' }).click();
    // Production is protected (issue 17): the save is confirmed with its diff.
    const confirmSave = page.getByRole('dialog', { name: `Save changes to ${FLAG} in Production?` });
    await text(confirmSave).toMatch(/Rule 1 added/);
    await confirmSave.getByRole('button', { name: 'Save to Production' }).click();
    await shown(page.getByText(/Version 2, changed/));
    await count(page.getByRole('region', { name: 'Unsaved changes' })).toBe(0);
    await shot('flag-detail-rules');

    const toggle = page.getByRole('switch', { name: `${FLAG} in Production` });
    await poll(() => toggle.getAttribute('aria-checked')).toBe('false');
    await toggle.click();
    const dialog = page.getByRole('dialog', { name: `Turn on ${FLAG} in Production?` });
    await shown(dialog);
    await text(dialog).toMatch('New checkout');
    await page.keyboard.press('Escape');
    await hidden(dialog);
    await poll(() => toggle.getAttribute('aria-checked')).toBe('false');

    await toggle.click();
    await shot('flag-confirm-production');
    const changed = sdkChange();
    await dialog.getByRole('button', { name: 'Turn on in Production' }).click();
    await poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    await changed;
    const client = sdk as SwitchboardClient;
    const share = shareEnabled(client, { country: 'DE' });
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.16);
    expect(shareEnabled(client, { country: 'US' })).toBe(0);
    expect(client.evaluate(FLAG, { userId: 'user-1', properties: { country: 'US' } }).reason).toBe('NO_RULE_MATCH');
  });

  it('shows every change as a readable diff and reverts to an earlier version in one click', async () => {
    await page.getByRole('navigation', { name: 'Flag views' }).getByRole('link', { name: 'History' }).click();
    const enabled = page.getByRole('article', { name: /turned it on in production/ });
    await text(enabled).toMatch('Status');
    await text(enabled).toMatch(/Off.*→.*On/);
    const configured = page.getByRole('article', { name: /changed the targeting in production/ });
    await text(configured).toMatch('Rule 1 added');
    await text(configured).toMatch('country is one of DE, FR → 12.5% by userId');
    await text(configured).toMatch(ADMIN.email);
    // The first version, made with the flag, has no audit entry of its own but can be reverted to as well.
    await shown(page.getByRole('button', { name: 'Revert production to version 1' }));
    await shot('history');

    await page.getByRole('button', { name: 'Revert production to version 2' }).click();
    const dialog = page.getByRole('dialog', { name: `Revert ${FLAG} in Production to version 2?` });
    await text(dialog).toMatch(/On.*→.*Off/);
    const changed = sdkChange();
    await dialog.getByRole('button', { name: 'Revert Production to version 2' }).click();
    await hidden(dialog);
    await text(page.getByRole('article', { name: /reverted in production/ })).toMatch('saved as version 4');
    await changed;
    expect(shareEnabled(sdk as SwitchboardClient, { country: 'DE' })).toBe(0);
    const now = await server.request('GET', `/api/admin/flags/${FLAG}/environments/production`, { cookie: await server.login() });
    expect(now.body).toMatchObject({ enabled: false, version: 4 });
    expect(now.body.rules[0].rollout).toEqual({ percentage: 12.5, stickiness: 'userId' });
  });

  it('refuses to save over another person’s change: it shows both and merges on request', async () => {
    const other = await context.newPage();
    const staging = `${server.url}/flags/${FLAG}?env=staging`;
    await Promise.all([page.goto(staging), other.goto(staging)]);
    for (const [p, attribute, value] of [
      [page, 'plan', 'pro'],
      [other, 'country', 'NL'],
    ] as const) {
      await p.getByRole('button', { name: 'Add rule' }).click();
      const rule = p.getByRole('region', { name: 'Rule 1' });
      await rule.getByLabel('Attribute').fill(attribute);
      await rule.getByLabel('Values').fill(value);
    }
    await page.getByRole('button', { name: 'Save changes to Staging' }).click();
    await shown(page.getByText(/Version 2, changed/));

    // The other page hears of it live, then its save is refused rather than overwriting.
    await shown(other.getByText('This flag changed in Staging while you were editing'));
    await other.getByRole('button', { name: 'Save changes to Staging' }).click();
    const conflict = other.getByRole('alert').filter({ hasText: 'Not saved' });
    await text(conflict).toMatch(`${ADMIN.email} changed this flag in Staging while you were editing`);
    await text(conflict).toMatch('plan is one of pro');
    await text(conflict).toMatch('country is one of NL');
    // The window as the user sees it, with the bar of unsaved changes at its bottom.
    await shot('conflict', other, false);

    await other.getByRole('button', { name: 'Apply my changes to the latest version' }).click();
    await shown(other.getByRole('region', { name: 'Rule 2' }));
    await other.getByRole('button', { name: 'Save changes to Staging' }).click();
    await shown(other.getByText(/Version 3, changed/));
    const saved = await server.request('GET', `/api/admin/flags/${FLAG}/environments/staging`, { cookie: await server.login() });
    expect(saved.body.rules.map((r: any) => r.conditions[0].attribute)).toEqual(['plan', 'country']);
    // And the first page follows without a reload.
    await shown(page.getByRole('region', { name: 'Rule 2' }));
    await other.close();
  });

  it('creates a segment, uses it in a rule and lists the flags that use it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }).click();
    await page.getByRole('button', { name: 'New segment' }).click();
    await page.getByLabel('Key', { exact: true }).fill('beta-testers');
    await page.getByLabel('Name', { exact: true }).fill('Beta testers');
    const condition = page.getByRole('group', { name: 'Condition 1 of the segment' });
    await condition.getByLabel('Attribute').fill('email');
    await condition.getByLabel('Operator').selectOption({ label: 'ends with' });
    await condition.getByLabel('Values').fill('@example.com');
    await condition.getByLabel('Ignore case').check();
    await page.getByRole('button', { name: 'Create segment' }).click();
    await shown(page.getByRole('heading', { name: 'Used by 0 flags' }));

    await page.goto(`${server.url}/flags/checkout-banner?env=development`);
    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.getByRole('region', { name: 'Rule 1' });
    await rule.getByLabel('Add a segment to rule 1').selectOption('beta-testers');
    await rule.getByRole('button', { name: 'Remove condition 1 of rule 1' }).click();
    await page.getByRole('button', { name: 'Save changes to Development' }).click();
    await shown(page.getByText(/Version 3, changed/));

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }).click();
    const row = page.getByRole('row', { name: /Beta testers/ });
    await shown(row.getByRole('link', { name: 'checkout-banner' }));
    await text(row).toMatch('email ends with @example.com (ignoring case)');
    await shot('segments');
  });

  it('adds a viewer, who sees everything and can change nothing', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Token name').fill('release-pipeline');
    await page.getByLabel('Token role').selectOption('editor');
    await page.getByRole('button', { name: 'Create token' }).click();
    await poll(() => page.getByLabel('Secret').inputValue()).toMatch(/^sbt_/);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('button', { name: 'Revoke token release-pipeline' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await text(page.getByRole('row', { name: /release-pipeline/ })).toMatch('revoked');
    await shot('tokens');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('Email').fill(VIEWER.email);
    await page.getByLabel('Name', { exact: true }).fill('Vera Viewer');
    await page.getByLabel('Initial password').fill(VIEWER.password);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add user' }).click();
    await poll(() => page.getByLabel(`Role of ${VIEWER.email}`).inputValue()).toMatch('viewer');
    await shot('users');

    const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const viewer = await viewerContext.newPage();
    await viewer.goto(`${server.url}/flags/${FLAG}?env=production`);
    await viewer.getByLabel('Email').fill(VIEWER.email);
    await viewer.getByLabel('Password').fill(VIEWER.password);
    await viewer.getByRole('button', { name: 'Log in' }).click();
    await viewer.getByRole('banner').getByText('Role: viewer').first().waitFor({ state: 'attached' });
    const toggle = viewer.getByRole('switch', { name: `${FLAG} in Production` });
    await poll(() => toggle.isDisabled()).toBe(true);
    await description(toggle).toMatch('Viewers cannot change flags');
    await poll(() => viewer.getByRole('button', { name: 'Add rule' }).isDisabled()).toBe(true);
    await poll(() => viewer.getByRole('region', { name: 'Rule 1' }).getByLabel('Rollout percentage').isDisabled()).toBe(true);
    await shown(viewer.getByText('Read-only: Viewers cannot change flags.'));
    await shot('flag-detail-viewer', viewer);
    await viewer.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags' }).click();
    await description(viewer.getByRole('button', { name: 'New flag' })).toMatch('Viewers cannot create flags');
    await viewerContext.close();
  });

  it('lists flags with their state per environment, last change and last evaluation, and filters them', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags' }).click();
    const row = page.getByRole('row', { name: /New checkout/ });
    await count(row.getByRole('cell').filter({ hasText: 'Off' })).toBe(3);
    await text(row).toMatch('2 rules');
    // The SDK reported its evaluations; the list shows when (it refreshes on the next activity).
    await poll(async () => {
      await page.reload();
      return page
        .getByRole('row', { name: /New checkout/ })
        .getByRole('cell')
        .last()
        .textContent();
    }).not.toBe('never');
    await shot('flags-list');

    await page.getByLabel('Search').fill('q3');
    await count(page.getByRole('row', { name: /Checkout banner/ })).toBe(0);
    await shown(page.getByRole('row', { name: /New checkout/ }));
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Environment').selectOption('development');
    await page.getByLabel('On or off').selectOption('on');
    await shown(page.getByText('No flags match these filters'));
    await page.getByRole('button', { name: 'Clear the filters' }).click();
    await page.getByRole('button', { name: 'Show flags tagged checkout' }).click();
    await shown(page.getByRole('row', { name: /New checkout/ }));
    await count(page.getByRole('row', { name: /Checkout banner/ })).toBe(0);
    await page.getByLabel('Only stale flags').check();
    await shown(page.getByText('No flags match these filters'));
  });

  it('stays readable in a narrow window, and logs out', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/flags`);
    await shown(page.getByRole('row', { name: /New checkout/ }));
    await shot('flags-list-narrow');
    await page.goto(`${server.url}/flags/${FLAG}?env=production`);
    await shown(page.getByRole('region', { name: 'Rule 1' }));
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await shot('flag-detail-narrow');
    await page.getByRole('button', { name: 'Menu' }).click();
    await shown(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Segments' }));

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Log out' }).click();
    await shown(page.getByRole('heading', { name: 'Log in' }));
    expect(
      (await server.request('GET', '/api/admin/me', { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') }))
        .status,
    ).toBe(401);
    expect(pageErrors).toEqual([]);
  });
});
