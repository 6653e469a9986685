/// <reference lib="dom" />
import { createClient } from '@switchboard/sdk-browser';

/**
 * The page of the browser test. The user's email comes from the URL's fragment, which browsers
 * never send anywhere, so any copy of it in the captured traffic is a leak. Two clients with
 * different contexts, as two widgets of one app would have: they must share one stream.
 */
const FLAG = 'new-checkout';
const config = (await (await fetch('/config.json')).json()) as { url: string; clientKey: string };
const email = new URLSearchParams(location.hash.slice(1)).get('email') ?? '';
const user = createClient({ ...config, context: { properties: { email } } });
const guest = createClient({ ...config, context: { properties: { email: 'guest@example.net' } } });

function show(): void {
  const status = user.status();
  const out = document.getElementById('flag') as HTMLElement;
  out.textContent = status.ready ? (user.isEnabled(FLAG) ? 'on' : 'off') : 'loading';
  (document.getElementById('guest') as HTMLElement).textContent = guest.status().ready ? String(guest.isEnabled(FLAG)) : 'loading';
  (document.getElementById('status') as HTMLElement).textContent = `${status.stale ? 'stale' : 'live'} ${status.error?.message ?? ''}`;
}
for (const c of [user, guest]) for (const e of ['ready', 'change', 'stale', 'error'] as const) c.on(e, show);
show();
