import { retryPolicyFor } from '@switchboard/core/protocol-rules';
import type { Delivery } from './delivery.ts';
import { endpoint } from './endpoint.ts';

/**
 * One snapshot request with `If-None-Match` (delivery.ts), loaded the first time the stream fails
 * or when there is no stream: most pages never need it. After it, the next round: the stream at
 * once (the server is back), the stream or the snapshot again after core's backoff, or nothing
 * (a refused key).
 */
export async function poll(d: Delivery): Promise<void> {
  const { o, on, kit } = d;
  const { SwitchboardError } = kit;
  let retryAfterMs = 0;
  try {
    const revision = on.revision();
    const res = await o.fetch(endpoint(o, 'client/snapshot'), revision === null ? {} : { headers: { 'if-none-match': `"${revision}"` } });
    if (d.stopped) return;
    if (res.ok || res.status === 304) {
      if (res.status !== 304) on.snapshot(await res.json().catch(() => undefined));
      if (d.pollOnly) {
        on.health(null);
        d.timer = o.timers.set(() => poll(d), o.pollInterval);
      } else if (!d.retried) {
        // The server is back: live updates now, not after a backoff grown during the outage.
        d.retried = true;
        d.attempt = 0;
        d.stream();
      } else d.timer = o.timers.set(d.stream, d.backoff());
      return;
    }
    const status = res.status;
    if (retryPolicyFor(status) === 'fatal') {
      d.stop();
      on.fatal(new SwitchboardError('HTTP_STATUS', `Client key or URL refused (HTTP ${status})`, { status, fatal: true }));
      return;
    }
    retryAfterMs = 1000 * (Number(res.headers.get('retry-after')) || 0);
    throw new SwitchboardError('HTTP_STATUS', `HTTP ${status}`, { status });
  } catch (e) {
    if (d.stopped) return;
    // fetch rejects with a TypeError; what is thrown above is a SwitchboardError.
    const error = e instanceof SwitchboardError ? e : new SwitchboardError('NETWORK', String(e), { cause: e });
    error.retryInMs = Math.max(retryAfterMs, d.backoff());
    on.health(error);
    d.timer = o.timers.set(() => poll(d), error.retryInMs);
  }
}
