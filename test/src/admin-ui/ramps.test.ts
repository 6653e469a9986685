import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { expectAccessible, shot, startUiSuite, type UiSuite } from './harness.ts';

/**
 * Planned work on the flag page in Chromium: a ramp planned through the API is started, paused,
 * resumed and aborted from the page (the server follows each time), and a scheduled change is
 * listed with its time in both zones and cancelled.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
const FLAG = 'new-checkout';

describe.skipIf(skip)('admin UI: ramps and schedules on the flag page', () => {
  let ui: UiSuite;
  let server: TestServer;
  let page: Page;
  let rampId = '';
  let pageErrors: string[] = [];
  const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 100 });
  const admin: UiSuite['admin'] = (...args) => ui.admin(...args);

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'ramps', env: { SCHEDULER_INTERVAL_MS: '200' } });
    ({ server, pageErrors } = ui);
    await admin('POST', '/flags', { key: FLAG, name: 'New checkout' });
    await admin(
      'PATCH',
      `/flags/${FLAG}/environments/production`,
      { enabled: true, rules: [{ id: 'main', description: 'Everyone', rollout: { percentage: 10 } }] },
      { 'if-match': '"1"' },
    );
    rampId = (
      await admin('POST', '/ramps', {
        flag: FLAG,
        environment: 'production',
        ruleId: 'main',
        steps: [
          { percentage: 25, holdSeconds: 3600 },
          { percentage: 50, holdSeconds: 3600 },
          { percentage: 100, holdSeconds: 0 },
        ],
      })
    ).id;
    await admin('POST', `/flags/${FLAG}/environments/production/schedule`, { at: '2099-03-01T09:30:00.000Z', patch: { enabled: false } });
    page = await ui.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce', timezoneId: 'Europe/Berlin' });
  }, 120_000);

  afterAll(() => ui?.close());

  const ramp = async () => (await admin('GET', `/ramps/${rampId}`)) as { state: string; currentStep: number };
  const percentage = async () => (await admin('GET', `/flags/${FLAG}/environments/production`)).rules[0].rollout.percentage;

  it('starts, pauses, resumes and aborts a ramp from the flag page', async () => {
    await page.goto(`${server.url}/flags/${FLAG}?env=production`);
    const planned = page.getByRole('region', { name: 'Planned changes in Production' });
    await planned.getByText('Rule 1 (“Everyone”) has a ramp ready to start').waitFor();
    await planned.getByRole('button', { name: 'Start ramp' }).click();
    // Production is protected (issue 17): the start is confirmed first, with what it changes.
    const start = page.getByRole('dialog', { name: 'Start the ramp of Rule 1 (“Everyone”)?' });
    await poll(() => start.textContent()).toMatch(/Production.*is protected/);
    await start.getByRole('button', { name: 'Start ramp' }).click();
    await poll(async () => (await ramp()).state).toBe('running');
    await poll(() => percentage()).toBe(25);
    await poll(() => planned.textContent()).toMatch(/Plan: 25% → 50% → 100%\. Now at step 1 of 3 \(25%\)\. Next: 50% at .*UTC\)/);
    // The rule's own percentage field warns before anyone edits it.
    const field = page.getByRole('region', { name: 'Rule 1' }).getByLabel('Rollout percentage');
    await poll(() =>
      field.evaluate((el) =>
        (el.getAttribute('aria-describedby') ?? '')
          .split(/\s+/)
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' '),
      ),
    ).toMatch('A ramp is moving this percentage');
    await expectAccessible(page, 'flag page with a running ramp');
    await shot(page, 'ramp-running');

    await planned.getByRole('button', { name: 'Pause ramp' }).click();
    await poll(async () => (await ramp()).state).toBe('paused');
    await planned.getByRole('button', { name: 'Resume ramp' }).click();
    await page
      .getByRole('dialog', { name: 'Resume the ramp of Rule 1 (“Everyone”)?' })
      .getByRole('button', { name: 'Resume ramp' })
      .click();
    await poll(async () => (await ramp()).state).toBe('running');

    await planned.getByRole('button', { name: 'Abort ramp' }).click();
    const dialog = page.getByRole('dialog', { name: 'Abort the ramp of Rule 1 (“Everyone”)?' });
    await dialog.getByRole('button', { name: 'Abort ramp' }).click();
    await poll(async () => (await ramp()).state).toBe('aborted');
    await poll(() => percentage()).toBe(10);
    await poll(() => planned.getByText(/being ramped up/).count()).toBe(0);
  });

  it('lists a scheduled change in the viewer’s zone and UTC, cancels it, and history says so in words', async () => {
    const planned = page.getByRole('region', { name: 'Planned changes in Production' });
    await poll(() => planned.textContent()).toMatch(/At .*10:30.*\(2099-03-01 09:30 UTC\): turn it off\./);
    await shot(page, 'schedule-pending');
    await planned.getByRole('button', { name: /^Cancel the change at/ }).click();
    await poll(async () => (await admin('GET', `/schedules?flag=${FLAG}&state=pending`)).schedules.length).toBe(0);
    await poll(() => planned.getByText('Scheduled in Production').count()).toBe(0);

    await page.goto(`${server.url}/audit`);
    await poll(() => page.getByRole('article', { name: /cancelled a scheduled change/ }).count()).toBeGreaterThan(0);
    await poll(() => page.getByRole('article', { name: /aborted a ramp/ }).count()).toBeGreaterThan(0);
    await poll(() => page.getByRole('article', { name: /a ramp step set the rollout|started a ramp/ }).count()).toBeGreaterThan(0);
  });

  it('plans a ramp from a rule with a preset, and schedules a change that is then applied', async () => {
    await page.goto(`${server.url}/flags/${FLAG}?env=production`);
    const planned = page.getByRole('region', { name: 'Planned changes in Production' });
    await planned.getByText('Ramp up a rule in Production').click();
    await planned.getByLabel('Preset').selectOption({ label: 'Quick: 50% → 100%' });
    // Each step has its own hold time.
    await planned.getByLabel('Step 1 hold', { exact: true }).fill('2');
    await planned.getByLabel('Step 1 hold unit').selectOption('hours');
    await planned.getByLabel('Step 2 hold', { exact: true }).fill('2');
    await planned.getByLabel('Step 2 hold unit').selectOption('hours');
    await planned.getByLabel('Guard', { exact: true }).selectOption('threshold');
    await planned.getByLabel('Threshold').fill('0.02');
    await expectAccessible(page, 'flag page with the ramp form open');
    await planned.getByRole('button', { name: 'Create ramp' }).click();
    await page
      .getByRole('dialog', { name: `Start a ramp of ${FLAG} in Production?` })
      .getByRole('button', { name: 'Start ramp' })
      .click();
    await poll(() => percentage()).toBe(50);
    const ramps = (await admin('GET', `/ramps?flag=${FLAG}&state=running`)).ramps;
    expect(ramps).toHaveLength(1);
    expect(ramps[0]).toMatchObject({
      ruleId: 'main',
      steps: [
        { percentage: 50, holdSeconds: 7200 },
        { percentage: 100, holdSeconds: 7200 },
      ],
      guard: { metric: 'error_rate', comparator: 'gt', threshold: 0.02, action: 'pause' },
    });
    await poll(() => planned.textContent()).toMatch(/Now at step 1 of 2 \(50%\)/);

    await planned.getByText('Schedule a change in Production').click();
    await planned.getByLabel('Change', { exact: true }).selectOption({ label: 'Turn it off' });
    // This minute in the viewer's zone (Berlin here): already begun, so it applies at the next pass.
    const now = await page.evaluate(() => new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
    await planned.getByLabel('When (your time zone)').fill(now);
    await poll(() => planned.getByText(/UTC: in the past, so it applies right away/).count()).toBe(1);
    const toggle = page.getByRole('switch', { name: `${FLAG} in Production` });
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    await planned.getByRole('button', { name: 'Schedule change' }).click();
    const confirmSchedule = page.getByRole('dialog', { name: `Schedule a change to ${FLAG} in Production?` });
    // From the state the flag is in now (on), not only where it goes.
    const status = confirmSchedule.getByRole('listitem').filter({ hasText: /UTC: Status/ });
    await poll(() => status.textContent()).toMatch(/UTC: Status\s*from On\s*→\s*to Off$/);
    await confirmSchedule.getByRole('button', { name: 'Schedule change' }).click();
    await poll(async () => (await admin('GET', `/flags/${FLAG}/environments/production`)).enabled).toBe(false);
    // Applied by the scheduler, and the page follows without a reload.
    await poll(() => toggle.getAttribute('aria-checked')).toBe('false');
    await shot(page, 'schedule-applied');

    // Every environment's planned work, on the environments page.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Environments & keys' }).click();
    const list = page.getByRole('region', { name: 'Planned changes' });
    await poll(() => list.textContent()).toMatch(/production: ramp of new-checkout \(running, at 50%, 100% at .* UTC\)\)/);
    await expectAccessible(page, 'environments page');
    expect(pageErrors).toEqual([]);
  });
});
