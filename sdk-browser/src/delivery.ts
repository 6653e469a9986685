import { backoffDelay, HEALTHY_STREAM_MS, RetryPolicy, retryPolicyFor } from '@switchboard/core';
import { type EventSourceConstructor, type EventSourceLike, endpoint, type Resolved } from './options.ts';

export interface DeliveryHandlers {
  /** The revision held, for `If-None-Match`; null when nothing is held. */
  revision(): number | null;
  snapshot(value: unknown): void;
  patch(value: unknown): void;
  /** Whether delivery works: null when it does (again), else why not. */
  health(error: Error | null): void;
  fatal(error: Error): void;
}

/**
 * Stream errors, with no stream healthy for HEALTHY_STREAM_MS between them, after which the stream
 * counts as broken: one that opens and ends at once (a server sending `retry: 0`, say) is not
 * left to reconnect for ever at the pace it asks, it goes to polling and its backoff.
 */
const MAX_STREAM_ERRORS = 3;
const CLOSED = 2;

function parse(text: unknown): unknown {
  try {
    return JSON.parse(String(text));
  } catch {
    return undefined;
  }
}

/**
 * Keeps one environment's client view current: an EventSource on `/api/client/stream` while it
 * works, the snapshot with `If-None-Match` when it does not (or there is no EventSource), with
 * core's backoff between failed rounds. Returns `stop`.
 *
 * Short drops are left to the EventSource itself, because only its own reconnect sends
 * `Last-Event-ID` (and so gets just the missed patches). A stream refused outright (any HTTP
 * error closes it for good) or failing again and again is replaced by a snapshot request, which
 * also tells a bad key (fatal) from an overloaded server (retry later).
 */
export function startDelivery(o: Resolved, on: DeliveryHandlers): () => void {
  let source: EventSourceLike | null = null;
  /** The next round, set only as a round ends (one round at a time), so that `stop` can cancel it. */
  let timer: unknown;
  let attempt = 0;
  let errors = 0;
  /** When the stream last opened; Infinity while it is not open. */
  let openedAt = 1 / 0;
  let planned = false;
  let stopped = false;

  const backoff = () => backoffDelay(attempt++, { random: o.random });

  function stream(): void {
    let s: EventSourceLike;
    try {
      // No EventSource, or one that throws (a Content-Security-Policy without the server in connect-src): poll.
      s = new (o.EventSource as EventSourceConstructor)(endpoint(o, 'client/stream'));
    } catch {
      return void poll();
    }
    source = s;
    s.addEventListener('open', () => {
      openedAt = o.now();
      on.health(null);
    });
    s.addEventListener('snapshot', (e) => on.snapshot(parse(e.data)));
    s.addEventListener('patch', (e) => on.patch(parse(e.data)));
    // The server is going away and said when to come back; the EventSource waits that long itself.
    s.addEventListener('reconnect', () => {
      planned = true;
    });
    s.addEventListener('error', () => {
      if (stopped) return;
      // Only a stream that stayed up a while starts the count and the backoff afresh.
      if (o.now() - openedAt >= HEALTHY_STREAM_MS) errors = attempt = 0;
      openedAt = 1 / 0;
      // A reconnect the server asked for is no trouble, unless it keeps asking soon after opening.
      if (planned && s.readyState !== CLOSED && ++errors < MAX_STREAM_ERRORS) {
        planned = false;
        return;
      }
      on.health(new Error('Stream interrupted'));
      if (s.readyState === CLOSED || ++errors >= MAX_STREAM_ERRORS) {
        s.close();
        source = null;
        errors = 0;
        void poll();
      }
    });
  }

  async function poll(): Promise<void> {
    let retryAfterMs = 0;
    try {
      const revision = on.revision();
      const res = await o.fetch(endpoint(o, 'client/snapshot'), revision === null ? {} : { headers: { 'if-none-match': `"${revision}"` } });
      if (stopped) return;
      if (res.ok || res.status === 304) {
        if (res.status !== 304) on.snapshot(await res.json().catch(() => undefined));
        on.health(null);
        // Polling is the fallback: the stream gets another chance, later each time it fails again.
        if (o.EventSource) timer = o.timers.set(stream, backoff());
        else timer = o.timers.set(poll, o.pollInterval);
        return;
      }
      if (retryPolicyFor(res.status) === RetryPolicy.Fatal) {
        stop();
        on.fatal(new Error(`Client key or URL refused (HTTP ${res.status})`));
        return;
      }
      retryAfterMs = 1000 * (Number(res.headers.get('retry-after')) || 0);
      throw new Error(`HTTP ${res.status}`);
    } catch (e) {
      if (stopped) return;
      // fetch rejects with a TypeError; everything else thrown above is an Error too.
      on.health(e as Error);
      timer = o.timers.set(poll, Math.max(retryAfterMs, backoff()));
    }
  }

  function stop(): void {
    stopped = true;
    source?.close();
    o.timers.clear(timer);
  }

  stream();
  return stop;
}
