/// <reference lib="dom" />
import { createClient } from '@switchboard/sdk-browser';

/**
 * The page of the browser tests. The user's email and id come from the URL's fragment, which
 * browsers never send anywhere, so a copy of them in the captured traffic can only come from the
 * SDK. Two clients with different contexts, as two widgets of one app would have: they must share
 * one stream.
 */
const config = (await (await fetch('/config.json')).json()) as { url: string; clientKey: string; flag?: string };
const FLAG = config.flag ?? 'new-checkout';
const SECOND = 'beta-dashboard';
const params = new URLSearchParams(location.hash.slice(1));
const email = params.get('email') ?? '';
const options = { url: config.url, clientKey: config.clientKey };
const user = createClient({ ...options, context: { userId: params.get('userId') ?? undefined, properties: { email } } });
const guest = createClient({
  ...options,
  context: { userId: params.get('guestId') ?? undefined, properties: { email: 'guest@example.net' } },
});

const text = (id: string, value: string) => {
  (document.getElementById(id) as HTMLElement).textContent = value;
};
function show(): void {
  const status = user.status();
  text('flag', status.ready ? (user.isEnabled(FLAG) ? 'on' : 'off') : 'loading');
  text('guest', guest.status().ready ? String(guest.isEnabled(FLAG)) : 'loading');
  text('beta', status.ready ? String(user.isEnabled(SECOND)) : 'loading');
  text('guestBeta', guest.status().ready ? String(guest.isEnabled(SECOND)) : 'loading');
  text('status', `${status.stale ? 'stale' : 'live'} ${status.error?.message ?? ''}`);
}
for (const c of [user, guest]) for (const e of ['ready', 'change', 'stale', 'error'] as const) c.on(e, show);
show();
