/** Debian's Chromium: no test tool downloads a browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launch options for every Chromium test: headless, as root, and without the background traffic
 * (updates, sync, QUIC) that this machine's closed network refuses.
 */
export const CHROMIUM_LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
