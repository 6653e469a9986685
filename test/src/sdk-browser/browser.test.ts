import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { bundlePage, launchPage, type PageSite, startPageSite, waitForText } from './page-harness.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';
import { BETA, BETA_USERS, EMAILS, HIDDEN, type Seeded, seed, VISIBLE } from './seed.ts';

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
if (skip) {
  console.warn(
    `\n*** The browser SDK tests in Chromium are SKIPPED: ${!DATABASE_URL ? 'DATABASE_URL is not set' : `${CHROMIUM} is missing`}. ***\n`,
  );
}

const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

/** The users the page is opened for: their own values go to the server (that is how it answers), no one else's anywhere. */
interface PageUser {
  email: string;
  userId: string;
  guestId: string;
}
const MATCHING: PageUser = { email: EMAILS[1], userId: BETA_USERS[0], guestId: 'u-999' };
const OTHER: PageUser = { email: 'intern@acme.io', userId: 'u-300', guestId: 'u-301' };
const fragment = (u: PageUser) => `#email=${encodeURIComponent(u.email)}&userId=${u.userId}&guestId=${u.guestId}`;

/**
 * Issue 14 in a real browser: flags whose rules hold identifying values (segments of user ids, email
 * conditions) are evaluated by the server for the page (OFREP), so neither the traffic nor the
 * storage of the page holds those values, in clear or digested, while the page shows the right
 * answers and follows changes live.
 */
describe.skipIf(skip)('browser SDK in Chromium against a real server', () => {
  let server: TestServer;
  let serverClosed = false;
  let s: Seeded;
  let proxy: RecordingProxy;
  let site: PageSite;
  let browser: Awaited<ReturnType<typeof launchPage>>;
  let page: Page;
  let removeBundle = () => {};
  /** What the page itself sent, as Chromium saw it (URL and body), on top of what the proxy saw. */
  const sentByPage: string[] = [];

  beforeAll(async () => {
    const [started, bundle] = await Promise.all([startTestServer({ env: { DELIVERY_CHECK_MS: '500' } }), bundlePage()]);
    server = started;
    removeBundle = bundle.remove;
    s = await seed(server);
    proxy = await startRecordingProxy(server.url);
    site = await startPageSite(bundle.dir, { url: proxy.url, clientKey: s.clientKey });
    browser = await launchPage();
    page = browser.page;
    page.on('request', (r) => sentByPage.push(`${r.method()} ${r.url()}\n${r.postData() ?? ''}`));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await site?.close();
    if (!serverClosed) await server?.close();
    removeBundle();
  });

  const ofrepRequests = () => proxy.exchanges.filter((e) => e.method === 'POST' && e.url.startsWith('/ofrep/v1/evaluate/flags'));

  it('shows the server-evaluated answers for a matching user, over one shared stream', async () => {
    await page.goto(`${site.url}/${fragment(MATCHING)}`);
    await waitForText(page, 'flag', 'on');
    await waitForText(page, 'guest', 'false');
    await waitForText(page, 'beta', 'true');
    await waitForText(page, 'guestBeta', 'false');
    expect(await page.textContent('#status')).toBe('live ');
    // Two clients, one stream; each asked the server once for its server-evaluated flags.
    expect(proxy.exchanges.filter((e) => e.url.startsWith('/api/client/stream'))).toHaveLength(1);
    expect(ofrepRequests().map((e) => JSON.parse(e.sent).flags.sort())).toEqual([
      [BETA, VISIBLE],
      [BETA, VISIBLE],
    ]);
    // The client view names those flags and nothing of their rules.
    const view = proxy.exchanges.find((e) => e.url.startsWith('/api/client/stream'))?.received ?? '';
    expect(view).toContain(
      `{"key":"${VISIBLE}","enabled":true,"remote":true,"rules":[{"id":"server-evaluated","rollout":{"percentage":0}}]}`,
    );
  });

  it('updates without a reload within a second of a change through the admin API', async () => {
    const started = Date.now();
    await s.toggle(VISIBLE, false);
    await waitForText(page, 'flag', 'off', 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    await s.toggle(VISIBLE, true);
    await waitForText(page, 'flag', 'on', 1000);
  });

  it('updates live when the members of a segment change', async () => {
    await s.betaUsers([...BETA_USERS, MATCHING.guestId]);
    await waitForText(page, 'guestBeta', 'true', 2000);
    expect(await page.textContent('#beta')).toBe('true');
    await s.betaUsers(BETA_USERS);
    await waitForText(page, 'guestBeta', 'false', 2000);
  });

  it('shows the answers for a user who matches nothing', async () => {
    await page.goto(`${site.url}/${fragment(OTHER)}`);
    await page.reload();
    await waitForText(page, 'flag', 'off');
    await waitForText(page, 'beta', 'false');
    await waitForText(page, 'guestBeta', 'false');
  });

  it('shows the cached answers of the same user after a reload while the server is down', async () => {
    await page.goto(`${site.url}/${fragment(MATCHING)}`);
    await page.reload();
    await waitForText(page, 'flag', 'on');
    await server.close();
    serverClosed = true;
    await page.reload();
    await waitForText(page, 'flag', 'on', 3000);
    await waitForText(page, 'beta', 'true', 3000);
    await waitForText(page, 'status', /^stale/, 10_000);
  });

  it('let no identifying value of anyone else, no digest and no hidden flag key cross the network or reach storage', async () => {
    const traffic = proxy.traffic();
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(stored).toContain(VISIBLE);
    // The capture did see the stream, its patches and the server's answers.
    expect(traffic).toContain('event: snapshot');
    expect(traffic.match(/event: patch/g)?.length).toBeGreaterThanOrEqual(4);
    expect(ofrepRequests().length).toBeGreaterThanOrEqual(8);
    const pageSide = [...site.requests, ...sentByPage].join('\n');
    const own = [MATCHING.email, MATCHING.userId, OTHER.email, OTHER.userId, MATCHING.guestId, OTHER.guestId, 'guest@example.net'];
    const others = [...EMAILS, ...BETA_USERS].filter((v) => !own.includes(v));
    expect(others.length).toBeGreaterThanOrEqual(3);
    for (const secret of [...others, ...HIDDEN, 'executives', 'beta-users']) {
      for (const form of [secret, encodeURIComponent(secret), sha256(secret)]) {
        expect(traffic, form).not.toContain(form);
        expect(pageSide, form).not.toContain(form);
        expect(stored, form).not.toContain(form);
      }
    }
    // The page's own values go to the server in its OFREP requests, and nowhere else: not in a
    // URL, not in any answer, not in storage.
    for (const value of own) {
      for (const e of proxy.exchanges) {
        expect(e.url, value).not.toContain(value);
        expect(e.received, value).not.toContain(value);
        if (e.sent.includes(value)) expect(e.url.startsWith('/ofrep/'), `${value} sent to ${e.url}`).toBe(true);
      }
      for (const form of [value, sha256(value)]) expect(stored, form).not.toContain(form);
    }
    // No salted digests and no salt any more.
    expect(traffic).not.toMatch(/"sensitive"|"salt"/);
    expect(browser.console.filter((l) => l.startsWith('pageerror'))).toEqual([]);
  });
});
