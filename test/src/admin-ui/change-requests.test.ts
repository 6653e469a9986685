import { existsSync } from 'node:fs';
import { createClient, type SwitchboardClient } from '@switchboard/sdk-node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DATABASE_URL, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { expectAccessible, shot, startUiSuite, type UiSuite } from './harness.ts';

/**
 * Issue 17 in Chromium, against the real server: in production (protected, 1 approval) an editor
 * proposes a 25% rollout from the flag page, a second editor approves it on the request view, the
 * first applies it, and a Node SDK's stream receives it; during a freeze window (added on the
 * Environments page) the flag page explains why Save is refused, and an admin's override with a
 * justification goes through and is audited. Ramps planned on the flag page, the flag list's switches
 * and history's Revert become requests there too; an admin's per-environment role (Users page) makes
 * an editor a viewer in production.
 */

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
const FLAG = 'new-checkout';
const ALICE = { email: 'alice@example.test', name: 'Alice', password: 'alice-password-1' };
const BOB = { email: 'bob@example.test', name: 'Bob', password: 'bob-password-12' };

describe.skipIf(skip)('admin UI: change requests and freeze windows', () => {
  let ui: UiSuite;
  let server: TestServer;
  let cookie = '';
  let sdk: SwitchboardClient;
  let pageErrors: string[] = [];
  const sdkChanges: string[][] = [];
  const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 10_000, interval: 100 });
  const admin: UiSuite['admin'] = (...args) => ui.admin(...args);
  const percentage = async (env = 'production') => (await admin('GET', `/flags/${FLAG}/environments/${env}`)).rules[0].rollout.percentage;
  /** The share of 4,000 users the SDK serves the flag to, in percent. */
  const served = () => {
    let on = 0;
    for (let i = 0; i < 4000; i++) if (sdk.isEnabled(FLAG, { userId: `user-${i}` })) on++;
    return on / 40;
  };

  const pageAs = (who: { email: string; password: string }) =>
    ui.newPage({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce', timezoneId: 'Europe/Berlin', as: who });
  const settings = async (env: string, body: Record<string, unknown>) => {
    const { environments } = (await admin('GET', '/environments')) as { environments: Array<{ key: string; version: number }> };
    const version = environments.find((e) => e.key === env)?.version;
    return admin('PATCH', `/environments/${env}/settings`, { ...body, version });
  };
  const editRollout = async (page: Page, env: string, to: string) => {
    await page.goto(`${server.url}/flags/${FLAG}?env=${env}`);
    const field = page.getByRole('region', { name: 'Rule 1' }).getByLabel('Rollout percentage');
    await field.fill(to);
    await field.blur();
  };

  beforeAll(async () => {
    ui = await startUiSuite({ name: 'cr', env: { DELIVERY_CHECK_MS: '300', HEARTBEAT_MS: '200' } });
    ({ server, cookie, pageErrors } = ui);
    for (const u of [ALICE, BOB]) await admin('POST', '/users', { ...u, role: 'editor' });
    await admin('POST', '/flags', { key: FLAG, name: 'New checkout' });
    for (const env of ['production', 'staging']) {
      await admin(
        'PATCH',
        `/flags/${FLAG}/environments/${env}`,
        { enabled: true, rules: [{ id: 'main', description: 'Everyone', rollout: { percentage: 10, stickiness: 'userId' } }] },
        { 'if-match': '"1"' },
      );
    }
    await settings('production', { protected: true, requiredApprovals: 1, allowSelfApply: true });
    await settings('staging', { protected: true, requiredApprovals: 0 });
    const key = (await admin('POST', '/keys', { name: 'checkout-service', environment: 'production', kind: 'server' })).secret as string;
    sdk = createClient({ url: server.url, sdkKey: key, metrics: false, backoff: { initialMs: 50, maxMs: 200 } });
    ui.onClose(() => sdk.close());
    sdk.on('change', (e) => sdkChanges.push(e.flags));
    expect(await sdk.ready({ timeoutMs: 10_000 })).toBe(true);
  }, 180_000);

  afterAll(() => ui?.close());

  it('an editor proposes a 25% rollout in production, a second editor approves, the first applies, and the SDK stream receives it', async () => {
    expect(served()).toBeGreaterThan(7);
    expect(served()).toBeLessThan(13);
    const alice = await pageAs(ALICE);
    await editRollout(alice, 'production', '25');
    await alice.getByRole('button', { name: 'Propose change to Production' }).click();
    const propose = alice.getByRole('dialog', { name: 'Propose a change to Production' });
    // The exact diff, not only the switch.
    await poll(() => propose.textContent()).toMatch(/Rule 1 rollout.*10% by userId.*25% by userId/);
    await poll(() => propose.textContent()).toMatch(/No ramp or scheduled change will act on this flag here/);
    await propose.getByLabel('Title').fill('Roll the new checkout out to 25%');
    await propose.getByLabel('Reason').fill('Error rate flat at 10% for a week.');
    await expectAccessible(alice, 'the propose-change dialog');
    await shot(alice, 'change-request-propose', false);
    await propose.getByRole('button', { name: 'Propose change' }).click();

    const list = async () =>
      (await admin('GET', '/change-requests', undefined)).items as Array<{ id: string; state: string; title: string }>;
    await poll(async () => (await list()).length).toBe(1);
    const id = (await list())[0]?.id ?? '';
    // Nothing changed yet, and the flag page says a request is open.
    expect(await percentage()).toBe(10);
    await poll(() => alice.getByText('1 open change request for new-checkout in Production').count()).toBe(1);
    await shot(alice, 'change-request-banner');

    await alice.goto(`${server.url}/change-requests/${id}`);
    await alice.getByRole('heading', { name: /Roll the new checkout out to 25%/, level: 1 }).waitFor();
    expect(await alice.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await alice.getByRole('button', { name: 'Apply to Production' }).isDisabled()).toBe(true);

    const bob = await pageAs(BOB);
    await bob.goto(`${server.url}/change-requests?tab=to-review`);
    await bob.getByRole('link', { name: 'Roll the new checkout out to 25%' }).waitFor();
    await expectAccessible(bob, 'the change-requests page');
    await shot(bob, 'change-requests-to-review');
    await bob.getByRole('link', { name: 'Roll the new checkout out to 25%' }).click();
    await poll(() => bob.getByRole('region', { name: 'What it would change' }).textContent()).toMatch(
      /Rule 1 rollout.*10% by userId.*25% by userId/,
    );
    await bob.getByLabel('Comment').fill('Looks good; watch the error rate.');
    await expectAccessible(bob, 'the change-request view');
    await shot(bob, 'change-request-review');
    await bob.getByRole('button', { name: 'Approve' }).click();
    await poll(async () => (await admin('GET', `/change-requests/${id}`)).state).toBe('approved');
    await poll(() => bob.getByRole('region', { name: 'Discussion' }).textContent()).toMatch(
      /Bob approved.*Looks good; watch the error rate\./,
    );
    expect(await percentage()).toBe(10);

    await alice.reload();
    await alice.getByRole('button', { name: 'Apply to Production' }).click();
    const confirm = alice.getByRole('dialog', { name: /Apply “Roll the new checkout out to 25%” to Production\?/ });
    await poll(() => confirm.textContent()).toMatch(/Rule 1 rollout/);
    await confirm.getByRole('button', { name: 'Apply to Production' }).click();
    await poll(async () => (await admin('GET', `/change-requests/${id}`)).state).toBe('applied');
    await poll(() => alice.getByText('Applied to Production').count()).toBeGreaterThan(0);
    await shot(alice, 'change-request-applied');
    expect(await percentage()).toBe(25);

    // The SDK's stream got the patch: it now serves about a quarter of users.
    await poll(() => sdkChanges.some((flags) => flags.includes(FLAG))).toBe(true);
    await poll(() => served()).toBeGreaterThan(21);
    expect(served()).toBeLessThan(29);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('shows a request whose flag moved as a conflict with both diffs, and its author rebases it', async () => {
    const as = async (who: { email: string; password: string }) => {
      const c = await server.login(who.email, who.password);
      return async (method: string, path: string, body?: unknown) => {
        const res = await server.request(method, `/api/admin${path}`, { cookie: c, body });
        if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
        return res.body;
      };
    };
    const [asAlice, asBob] = [await as(ALICE), await as(BOB)];
    const now = await admin('GET', `/flags/${FLAG}/environments/production`);
    const main = { id: 'main', description: 'Everyone', rollout: { percentage: 25, stickiness: 'userId' } };
    const beta = { id: 'beta', description: 'Beta testers', conditions: [{ attribute: 'plan', operator: 'IN', values: ['beta'] }] };
    const propose = (title: string, rules: unknown[]) =>
      asAlice('POST', '/change-requests', {
        environment: 'production',
        title,
        change: { kind: 'flag-config', flagKey: FLAG, baseVersion: now.version, config: { rules } },
      });
    const first = await propose('Half of everyone', [{ ...main, rollout: { percentage: 50, stickiness: 'userId' } }]);
    const second = await propose('Beta testers first', [beta, main]);
    for (const cr of [first, second]) await asBob('POST', `/change-requests/${cr.id}/reviews`, { decision: 'approve' });
    const approved = await asAlice('GET', `/change-requests/${first.id}`);
    await asAlice('POST', `/change-requests/${first.id}/apply`, { version: approved.version });
    expect(await percentage()).toBe(50);

    const alice = await pageAs(ALICE);
    await alice.goto(`${server.url}/change-requests/${second.id}`);
    const conflict = alice.getByRole('region', { name: `${FLAG} changed in Production since this was proposed` });
    await poll(() => conflict.textContent()).toMatch(
      /Their change.*Rule 1 rollout.*25% by userId.*50% by userId.*This request’s change.*Rule 1 added/,
    );
    expect(await alice.getByRole('button', { name: 'Apply to Production' }).isDisabled()).toBe(true);
    await expectAccessible(alice, 'a change request in conflict');
    await shot(alice, 'change-request-conflict');
    await conflict.getByRole('button', { name: /Rebase onto version/ }).click();
    // Rebased: their 50% stays, the request's new rule comes on top of it; approvals start again.
    await poll(async () => (await admin('GET', `/change-requests/${second.id}`)).conflict).toBe(false);
    const rebased = await admin('GET', `/change-requests/${second.id}`);
    expect(rebased.change.config.rules.map((r: { id: string }) => r.id)).toEqual(['main', 'beta']);
    expect(rebased.change.config.rules[0].rollout.percentage).toBe(50);
    expect(rebased.approvals).toBe(0);
    await poll(() => alice.getByRole('region', { name: 'What it would change' }).textContent()).toMatch(/Rule 2 added.*Beta testers/);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('a viewer who is an editor in staging edits there and reads production only', async () => {
    const carol = { email: 'carol@example.test', name: 'Carol', password: 'carol-password-1' };
    const created = await admin('POST', '/users', { ...carol, role: 'viewer' });
    await admin('PATCH', `/users/${created.id}`, {
      environmentRoles: { staging: 'editor', production: 'viewer' },
      version: created.version,
    });
    const page = await pageAs(carol);
    await page.goto(`${server.url}/flags/${FLAG}?env=staging`);
    await poll(() => page.getByRole('region', { name: 'Rule 1' }).getByLabel('Rollout percentage').isEditable()).toBe(true);
    await page.goto(`${server.url}/flags/${FLAG}?env=production`);
    await page.getByText('Viewers in production cannot change flags').first().waitFor();
    expect(await page.getByRole('region', { name: 'Rule 1' }).getByLabel('Rollout percentage').isEditable()).toBe(false);
  }, 60_000);

  const asUser = async (who: { email: string; password: string }) => {
    const c = await server.login(who.email, who.password);
    return (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      server.request(method, `/api/admin${path}`, { cookie: c, body, headers });
  };

  it('a ramp started on the flag page in production becomes a request; approved and applied, it starts the ramp', async () => {
    const before = await percentage();
    const alice = await pageAs(ALICE);
    await alice.goto(`${server.url}/flags/${FLAG}?env=production`);
    const planned = alice.getByRole('region', { name: 'Planned changes in Production' });
    await planned.getByText('Ramp up a rule in Production').click();
    // A plan starts above the rule's percentage now (50% after the tests above, 10% alone).
    await planned.getByLabel('Preset').selectOption({ label: 'Quick: 50% → 100%' });
    await planned.getByLabel('Step 1 percentage (%)').fill('75');
    await planned.getByRole('button', { name: 'Create ramp' }).click();
    const propose = alice.getByRole('dialog', { name: 'Propose a change to Production' });
    await poll(() => propose.textContent()).toMatch(/Ramp on rule main.*75% → 100%/);
    expect(await propose.getByLabel('Title').inputValue()).toBe(`Ramp up ${FLAG} in Production`);
    await expectAccessible(alice, 'the propose dialog of a ramp');
    await shot(alice, 'change-request-propose-ramp', false);
    await propose.getByRole('button', { name: 'Propose change' }).click();
    await propose.waitFor({ state: 'detached' });

    const requests = (await admin('GET', `/change-requests?flag=${FLAG}&state=open`)).items as Array<{
      id: string;
      title: string;
      change: { kind: string; ruleId?: string; steps?: Array<{ percentage: number }> };
    }>;
    const cr = requests.find((r) => r.title === `Ramp up ${FLAG} in Production`);
    expect(cr?.change).toMatchObject({ kind: 'ramp-start', ruleId: 'main' });
    expect(cr?.change.steps?.map((s) => s.percentage)).toEqual([75, 100]);
    // Nothing ramps yet.
    expect((await admin('GET', `/ramps?flag=${FLAG}&environment=production&state=running`)).ramps).toHaveLength(0);
    expect(await percentage()).toBe(before);

    const asBob = await asUser(BOB);
    expect((await asBob('POST', `/change-requests/${cr?.id}/reviews`, { decision: 'approve' })).status).toBe(200);
    await alice.goto(`${server.url}/change-requests/${cr?.id}`);
    await alice.getByRole('button', { name: 'Apply to Production' }).click();
    await alice
      .getByRole('dialog', { name: /Apply “Ramp up new-checkout in Production” to Production\?/ })
      .getByRole('button', { name: 'Apply to Production' })
      .click();
    await poll(async () => (await admin('GET', `/change-requests/${cr?.id}`)).state).toBe('applied');
    const running = (await admin('GET', `/ramps?flag=${FLAG}&environment=production&state=running`)).ramps;
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({ ruleId: 'main', currentStep: 0 });
    await poll(() => percentage()).toBe(75);
    // Paused (the brake needs no request) so later tests meet no step of it.
    expect((await asBob('POST', `/ramps/${running[0].id}/pause`, {})).status).toBe(200);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('a switch on the flag list in production proposes a request instead of turning the flag off', async () => {
    const alice = await pageAs(ALICE);
    const toggle = alice.getByRole('switch', { name: `${FLAG} in Production` });
    await poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    await toggle.click();
    const propose = alice.getByRole('dialog', { name: 'Propose a change to Production' });
    await poll(() => propose.textContent()).toMatch(/Status.*On.*Off/);
    expect(await propose.getByLabel('Title').inputValue()).toBe(`Turn off ${FLAG} in Production`);
    await expectAccessible(alice, 'the flag list proposing a switch');
    await shot(alice, 'change-request-propose-switch', false);
    await propose.getByRole('button', { name: 'Propose change' }).click();
    await propose.waitFor({ state: 'detached' });
    const items = (await admin('GET', `/change-requests?flag=${FLAG}&state=open`)).items as Array<{
      title: string;
      change: { kind: string; config?: Record<string, unknown> };
    }>;
    const cr = items.find((r) => r.title === `Turn off ${FLAG} in Production`);
    expect(cr?.change).toMatchObject({ kind: 'flag-config', flagKey: FLAG, config: { enabled: false } });
    expect((await admin('GET', `/flags/${FLAG}/environments/production`)).enabled).toBe(true);
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('Revert in history proposes a request with the diff where production needs approvals', async () => {
    const alice = await pageAs(ALICE);
    const before = await admin('GET', `/flags/${FLAG}/environments/production`);
    await alice.goto(`${server.url}/flags/${FLAG}/history?env=production`);
    await alice.getByRole('button', { name: 'Revert production to version 2' }).click();
    const propose = alice.getByRole('dialog', { name: 'Propose a change to Production' });
    await poll(() => propose.textContent()).toMatch(
      new RegExp(`Rule 1 rollout.*${before.rules[0].rollout.percentage}% by userId.*10% by userId`),
    );
    expect(await propose.getByLabel('Title').inputValue()).toBe(`Revert ${FLAG} to version 2`);
    await expectAccessible(alice, 'history proposing a revert');
    await shot(alice, 'change-request-propose-revert', false);
    await propose.getByRole('button', { name: 'Propose change' }).click();
    await propose.waitFor({ state: 'detached' });
    const items = (await admin('GET', `/change-requests?flag=${FLAG}&state=open`)).items as Array<{
      title: string;
      change: { kind: string; baseVersion: number; config: { rules: Array<{ rollout: { percentage: number } }> } };
    }>;
    const cr = items.find((r) => r.title === `Revert ${FLAG} to version 2`);
    expect(cr?.change).toMatchObject({ kind: 'flag-config', baseVersion: before.version });
    expect(cr?.change.config.rules[0]?.rollout.percentage).toBe(10);
    expect((await admin('GET', `/flags/${FLAG}/environments/production`)).version).toBe(before.version);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it("an admin sets a user's production role to viewer on the Users page; that user then cannot save in production", async () => {
    const dave = { email: 'dave@example.test', name: 'Dave', password: 'dave-password-12' };
    const created = await admin('POST', '/users', { ...dave, role: 'editor' });
    const adminPage = await pageAs(ADMIN);
    await adminPage.goto(`${server.url}/users`);
    await adminPage.getByRole('button', { name: `Environment roles of ${dave.email}` }).click();
    const dialog = adminPage.getByRole('dialog', { name: `Environment roles of ${dave.email}` });
    await dialog.getByLabel('Role in Production').selectOption('viewer');
    await expectAccessible(adminPage, 'the environment roles dialog');
    await shot(adminPage, 'users-environment-roles', false);
    await dialog.getByRole('button', { name: 'Save roles' }).click();
    await poll(async () => (await admin('GET', '/users')).users.find((u: { id: string }) => u.id === created.id)?.environmentRoles).toEqual(
      {
        production: 'viewer',
      },
    );
    await poll(() => adminPage.getByRole('row', { name: new RegExp(dave.email) }).textContent()).toMatch(/viewer in Production/);
    await expectAccessible(adminPage, 'the users page with environment roles');
    await shot(adminPage, 'users-page-environment-roles');
    // A token's roles per environment are listed with it.
    await admin('POST', '/tokens', { name: 'deploy-bot', role: 'editor', environmentRoles: { production: 'viewer' } });
    await adminPage.goto(`${server.url}/tokens`);
    await poll(() => adminPage.getByRole('row', { name: /deploy-bot/ }).textContent()).toMatch(/editor.*viewer in Production/);
    await expectAccessible(adminPage, 'the tokens page with environment roles');

    const page = await pageAs(dave);
    await page.goto(`${server.url}/flags/${FLAG}?env=production`);
    await page.getByText('Viewers in production cannot change flags').first().waitFor();
    expect(await page.getByRole('region', { name: 'Rule 1' }).getByLabel('Rollout percentage').isEditable()).toBe(false);
    // And the server agrees: neither a direct write nor a proposal.
    const asDave = await asUser(dave);
    const now = await admin('GET', `/flags/${FLAG}/environments/production`);
    expect(
      (await asDave('PATCH', `/flags/${FLAG}/environments/production`, { enabled: false }, { 'if-match': `"${now.version}"` })).status,
    ).toBe(403);
    const proposed = await asDave('POST', '/change-requests', {
      environment: 'production',
      title: 'Off',
      change: { kind: 'flag-config', flagKey: FLAG, baseVersion: now.version, config: { enabled: false } },
    });
    expect(proposed.status).toBe(403);
    // Staging keeps the global role.
    await page.goto(`${server.url}/flags/${FLAG}?env=staging`);
    await poll(() => page.getByRole('region', { name: 'Rule 1' }).getByLabel('Rollout percentage').isEditable()).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('during a freeze the flag page explains why Save is refused; an admin overrides with a justification that is audited', async () => {
    const adminPage = await pageAs(ADMIN);
    await adminPage.goto(`${server.url}/environments`);
    const staging = adminPage.getByRole('region', { name: 'Protection of Staging' });
    const start = new Date(Date.now() - 60_000);
    const end = new Date(Date.now() + 3 * 3600_000);
    // datetime-local takes the browser's local time (Europe/Berlin here).
    const local = (d: Date) => {
      const s = d.toLocaleString('sv-SE', { timeZone: 'Europe/Berlin' }).replace(' ', 'T');
      return s.slice(0, 16);
    };
    await staging.getByText('Add a freeze window to Staging').click();
    await staging.getByLabel('Starts').fill(local(start));
    await staging.getByLabel('Ends').fill(local(end));
    await staging.getByLabel('Freeze reason').fill('Release candidate soak');
    await staging.getByRole('button', { name: 'Add freeze window' }).click();
    await poll(async () => (await admin('GET', '/environments/staging/freeze-windows')).items.length).toBe(1);
    await poll(() => staging.textContent()).toMatch(/in force now.*Release candidate soak/);
    await expectAccessible(adminPage, 'the environments page with freeze windows');
    await shot(adminPage, 'freeze-windows');

    const alice = await pageAs(ALICE);
    await editRollout(alice, 'staging', '30');
    await alice.getByRole('button', { name: 'Save changes to Staging' }).click();
    const confirm = alice.getByRole('dialog', { name: 'Save changes to new-checkout in Staging?' });
    await poll(() => confirm.textContent()).toMatch(/Rule 1 rollout.*10% by userId.*30% by userId/);
    await confirm.getByRole('button', { name: 'Save to Staging' }).click();
    const notice = alice.getByRole('alert').filter({ hasText: 'Not saved: Staging is frozen until' });
    await notice.waitFor();
    await poll(() => notice.textContent()).toMatch(/“Release candidate soak”/);
    await poll(() => notice.textContent()).toMatch(/An admin can override the freeze/);
    expect(await notice.getByLabel('Justification for the override').count()).toBe(0);
    await expectAccessible(alice, 'the flag page with a refused save');
    await shot(alice, 'freeze-refused');
    expect(await percentage('staging')).toBe(10);

    await editRollout(adminPage, 'staging', '30');
    await adminPage.getByRole('button', { name: 'Save changes to Staging' }).click();
    await adminPage
      .getByRole('dialog', { name: 'Save changes to new-checkout in Staging?' })
      .getByRole('button', { name: 'Save to Staging' })
      .click();
    const adminNotice = adminPage.getByRole('alert').filter({ hasText: 'Not saved: Staging is frozen until' });
    await adminNotice.getByLabel('Justification for the override').fill('short');
    await adminNotice.getByRole('button', { name: 'Override the freeze and save' }).click();
    await adminNotice.getByText('At least 10 characters (5 so far)').waitFor();
    await adminNotice.getByLabel('Justification for the override').fill('Hotfix for incident 4711, agreed with QA');
    await shot(adminPage, 'freeze-override');
    await adminNotice.getByRole('button', { name: 'Override the freeze and save' }).click();
    await poll(() => percentage('staging')).toBe(30);
    const audit = await server.request('GET', '/api/admin/audit?limit=20', { cookie });
    expect(audit.text).toContain('Hotfix for incident 4711, agreed with QA');
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
