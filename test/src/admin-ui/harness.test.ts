import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DATABASE_URL } from '../../../server/test/helpers/test-server.ts';
import { CHROMIUM } from '../support/chromium.ts';
import { startUiSuite } from './harness.ts';

const skip = !DATABASE_URL || !existsSync(CHROMIUM);
const builds = () => readdirSync(tmpdir()).filter((name) => name.startsWith('sb-admin-ui-unstartable-'));

describe.skipIf(skip)('startUiSuite', () => {
  it('when the server cannot start, throws why and leaves no build folder behind', async () => {
    // A setting the server refuses: Chromium starts, the server does not.
    await expect(startUiSuite({ name: 'unstartable', env: { USAGE_FLUSH_MS: 'soon' } })).rejects.toThrow(/USAGE_FLUSH_MS/);
    expect(builds()).toEqual([]);
  }, 120_000);

  it('closes a suite once, however often asked, with pages open in several contexts', async () => {
    const ui = await startUiSuite({ name: 'twice' });
    await Promise.all([ui.newPage(), ui.newPage({ as: false })]);
    expect(ui.browser.contexts()).toHaveLength(2);
    await Promise.all([ui.close(), ui.close()]);
    expect(ui.browser.isConnected()).toBe(false);
  }, 120_000);
});
