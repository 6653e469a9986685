import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { expectAccessible, shot, startUiSuite, type UiSuite } from './harness.ts';

/**
 * Guarded ramps on the flag page in Chromium: a ramp made with the per-step editor and a metric
 * guard; usage reports with more errors for the new result; the guard rolls it back, and the page
 * shows the metric per group over time with the estimate, interval and decision.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
const FLAG = 'new-search';

describe.skipIf(skip)('admin UI: guarded ramps', () => {
  let ui: UiSuite;
  let server: TestServer;
  let page: Page;
  let serverKey = '';
  let pageErrors: string[] = [];
  const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 15_000, interval: 100 });
  const admin: UiSuite['admin'] = (...args) => ui.admin(...args);
  const report = (treatment: number, control: number) =>
    server.request('POST', '/api/sdk/metrics', {
      token: serverKey,
      body: {
        flags: {},
        metrics: [
          { name: 'errors', flag: FLAG, enabled: true, variant: 'disabled', ruleId: 'main', count: treatment, sum: 0 },
          { name: 'errors', flag: FLAG, enabled: false, variant: 'disabled', ruleId: null, count: control, sum: 0 },
        ],
      },
    });

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'guards', env: { SCHEDULER_INTERVAL_MS: '200', USAGE_FLUSH_MS: '200' } });
    ({ server, pageErrors } = ui);
    await admin('POST', '/flags', { key: FLAG, name: 'New search' });
    await admin(
      'PATCH',
      `/flags/${FLAG}/environments/production`,
      { enabled: true, rules: [{ id: 'main', description: 'Everyone', rollout: { percentage: 40 } }] },
      { 'if-match': '"1"' },
    );
    serverKey = (await admin('POST', '/keys', { name: 'api', environment: 'production', kind: 'server' })).secret;
    page = await ui.newPage({ viewport: { width: 1280, height: 1000 }, reducedMotion: 'reduce', timezoneId: 'UTC' });
  }, 120_000);

  afterAll(() => ui?.close());

  it('makes a ramp with its own steps and a metric guard, and shows the guard roll it back', async () => {
    await page.goto(`${server.url}/flags/${FLAG}?env=production`);
    const planned = page.getByRole('region', { name: 'Planned changes in Production' });
    await planned.getByText('Ramp up a rule in Production').click();
    await planned.getByLabel('Preset').selectOption({ label: 'Quick: 50% → 100%' });
    // Own steps: 50% for 2 hours, then 75% for 30 minutes, then 100%.
    await planned.getByLabel('Step 1 hold', { exact: true }).fill('2');
    await planned.getByLabel('Step 1 hold unit').selectOption('hours');
    await planned.getByRole('button', { name: 'Add step' }).click();
    await planned.getByLabel('Step 2 percentage (%)').fill('75');
    await planned.getByLabel('Step 2 hold', { exact: true }).fill('30');
    await planned.getByLabel('Step 3 percentage (%)').fill('100');
    expect(await planned.getByLabel('Preset').inputValue()).toBe('');
    await planned.getByLabel('Guard', { exact: true }).selectOption('metric');
    await planned.getByLabel('Event').fill('errors');
    await planned.getByLabel('Smallest change that matters (%)').fill('15');
    await planned.getByLabel('On harm').selectOption('rollback');
    await expectAccessible(page, 'ramp form with a metric guard');
    await shot(page, 'guard-ramp-form');
    await planned.getByRole('button', { name: 'Create ramp' }).click();
    // Production is protected (issue 17): the ramp is confirmed first.
    await page
      .getByRole('dialog', { name: `Start a ramp of ${FLAG} in Production?` })
      .getByRole('button', { name: 'Start ramp' })
      .click();
    await poll(async () => (await admin('GET', `/ramps?flag=${FLAG}&state=running`)).ramps.length).toBe(1);
    const ramp = (await admin('GET', `/ramps?flag=${FLAG}&state=running`)).ramps[0];
    expect(ramp).toMatchObject({
      ruleId: 'main',
      steps: [
        { percentage: 50, holdSeconds: 7200 },
        { percentage: 75, holdSeconds: 1800 },
        { percentage: 100, holdSeconds: 0 },
      ],
      guard: { kind: 'metric', metric: 'errors', direction: 'lower_is_better', minEffect: 0.15, action: 'rollback' },
    });
    await poll(() => planned.textContent()).toMatch(
      /Guard: roll back when errors is more frequent with the new result than without it, by more than 15%/,
    );

    // The guard on the page before any event, then after reports with three times the errors.
    const guard = page.getByRole('region', { name: 'Guarded metrics' });
    await poll(() => guard.textContent()).toMatch(/No data yet/);
    expect((await report(30, 10)).status).toBe(202);
    await poll(() => guard.textContent()).toMatch(/No harm detected/);
    expect((await report(270, 90)).status).toBe(202);
    await poll(async () => (await admin('GET', `/ramps/${ramp.id}`)).state).toBe('rolled_back');
    await poll(() => guard.textContent()).toMatch(/Harm detected/);
    const text = (await guard.textContent()) ?? '';
    expect(text).toMatch(
      /With the new result, errors is \+\d+(\.\d+)?% against users without it; 95% interval \+\d+(\.\d+)?% to \+\d+(\.\d+)?%/,
    );
    expect(text).toContain('300 events with it, 100 without');
    expect(await guard.getByRole('img', { name: /^errors per minute, scaled to all traffic/ }).count()).toBe(1);
    expect(await guard.getByRole('img', { name: /^Estimate \+/ }).count()).toBe(1);
    expect(await guard.locator('polyline').count()).toBe(2);
    await expectAccessible(page, 'flag page with a tripped guard');
    await shot(page, 'guard-rolled-back');
    expect(pageErrors).toEqual([]);
  });
});
