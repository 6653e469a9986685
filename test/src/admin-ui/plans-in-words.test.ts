import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { expectAccessible, shot, startUiSuite, type UiSuite } from './harness.ts';

/**
 * Issue 16, point 3 in Chromium: the audit log and a flag's history tell scheduled changes and
 * ramps in words ("set rule 2 to 25%", "turn it off", the plan and its steps, times in both zones),
 * with no JSON, field names or ISO timestamps on screen.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
const FLAG = 'new-checkout';
const RAW = /[{}"]|percentage|holdSeconds|currentStep|nextStepAt|runAt|previousPercentage|createdBy|\d{4}-\d\d-\d\dT\d\d/;

describe.skipIf(skip)('admin UI: scheduled changes and ramps in words', () => {
  let ui: UiSuite;
  let server: TestServer;
  let page: Page;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'plans' });
    ({ server, pageErrors } = ui);
    const { admin } = ui;
    const staff = { id: 'staff', conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@example.com'] }] };
    await admin('POST', '/flags', { key: FLAG, name: 'New checkout' });
    await admin(
      'PATCH',
      `/flags/${FLAG}/environments/production`,
      { enabled: true, rules: [staff, { id: 'main', rollout: { percentage: 40 } }] },
      { 'if-match': '"1"' },
    );
    const at = '2099-03-01T09:30:00.000Z';
    await admin('POST', `/flags/${FLAG}/environments/production/schedule`, {
      at,
      patch: { rules: [staff, { id: 'main', rollout: { percentage: 25 } }] },
    });
    const off = await admin('POST', `/flags/${FLAG}/environments/production/schedule`, { at, patch: { enabled: false } });
    await admin('DELETE', `/schedules/${off.id}`);
    const ramp = await admin('POST', '/ramps', {
      flag: FLAG,
      environment: 'production',
      ruleId: 'main',
      steps: [
        { percentage: 50, holdSeconds: 3600 },
        { percentage: 100, holdSeconds: 86_400 },
      ],
      guard: { metric: 'error_rate', comparator: 'gt', threshold: 0.02, action: 'pause' },
    });
    await admin('POST', `/ramps/${ramp.id}/start`);
    await admin('POST', `/ramps/${ramp.id}/pause`);
    page = await ui.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Berlin', locale: 'en-US', timeout: 15_000 });
  }, 180_000);

  afterAll(() => ui?.close());

  const entry = (name: RegExp) => page.getByRole('article', { name }).first();

  it('the audit log: schedules and ramps in words, nothing raw', async () => {
    await page.goto(`${server.url}/audit`);
    const timeline = page.getByRole('list', { name: 'Changes, newest first' });
    await timeline.waitFor();
    await expect.poll(() => entry(/scheduled a change/).count()).toBeGreaterThan(0);
    const scheduled = await page.getByRole('article', { name: /scheduled a change/ }).allTextContents();
    expect(scheduled.join('\n')).toContain('set rule 2 to 25%');
    expect(scheduled.join('\n')).toContain('turn it off');
    expect(scheduled.join('\n')).toMatch(/2099-03-01 09:30 UTC/);
    expect(await entry(/cancelled a scheduled change/).textContent()).toMatch(/waiting[\s\S]*?cancelled/);
    expect(await entry(/planned a ramp/).textContent()).toContain('rule main: 50% for 1 hour, then 100% for 1 day');
    expect(await entry(/planned a ramp/).textContent()).toContain('pause if error_rate goes above 0.02');
    expect(await entry(/started a ramp/).textContent()).toMatch(/not started[\s\S]*?step 1 of 2 \(50%\)/);
    expect(await entry(/a ramp step set the rollout/).textContent()).toMatch(/Rule 2 rollout[\s\S]*?40% by userId[\s\S]*?50% by userId/);
    expect(await timeline.textContent()).not.toMatch(RAW);
    // A ramp is named by its flag and rule, not its id.
    expect(await entry(/planned a ramp/).textContent()).toContain(`ramp of ${FLAG}, rule main`);
    await expectAccessible(page, 'audit log with schedules and ramps');
    await shot(page, 'plans-in-words-audit');
  });

  it('the flag’s history: the scheduled change against the config it applies to', async () => {
    await page.goto(`${server.url}/flags/${FLAG}/history?env=production`);
    await expect.poll(() => entry(/scheduled a change/).count()).toBeGreaterThan(0);
    const texts = (await page.getByRole('article', { name: /scheduled a change/ }).allTextContents()).join('\n');
    expect(texts).toContain('set rule 2 to 25%');
    expect(await page.getByRole('list', { name: `Changes to ${FLAG}, newest first` }).textContent()).not.toMatch(RAW);
    await shot(page, 'plans-in-words-history');
    expect(pageErrors).toEqual([]);
  });
});
