import type { PatchPayload, SnapshotPayload, SwitchboardError } from '@switchboard/core';
import { validateWirePatch, validateWireSnapshot } from '@switchboard/core/wire-validation';
import type { Kit } from './kit.ts';
import type { EventSourceConstructor, EventSourceLike, Resolved } from './options.ts';

export interface DeliveryHandlers {
  /** The revision held, for `If-None-Match`; null when nothing is held. */
  revision(): number | null;
  /** A snapshot or patch that passed core's wire checks. */
  snapshot(value: SnapshotPayload): void;
  patch(value: PatchPayload): void;
  /** One that did not: rejected whole, the view held is kept. */
  malformed(kind: 'snapshot' | 'patch'): void;
  /** Whether live updates flow: null when they do (again), else why not. */
  health(error: SwitchboardError | null): void;
  fatal(error: SwitchboardError): void;
}

/** The state of one delivery, shared with polling.ts. */
export interface Delivery {
  readonly o: Resolved;
  readonly on: DeliveryHandlers;
  readonly kit: Kit;
  stopped: boolean;
  /** The next round, set only as a round ends (one round at a time), so that `stop` can cancel it. */
  timer: unknown;
  /** Failed rounds since the last success, for core's backoff. */
  attempt: number;
  /** No stream to be had (no EventSource, or one the page may not open): polling is the delivery. */
  pollOnly: boolean;
  /** A stream was retried at once after a successful poll, and none has stayed up HEALTHY_STREAM_MS since. */
  retried: boolean;
  stream(): void;
  stop(): void;
  backoff(): number;
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
 * Loaded on demand when the first connection of a page opens, with core's wire checks (4 KB) that
 * every network payload passes; what it uses of core's main entry and of ours comes in `kit`.
 *
 * Keeps one environment's client view current: an EventSource on `/api/client/stream` while it
 * works, the snapshot with `If-None-Match` when it does not (or there is no EventSource), with
 * core's backoff between failed rounds. Returns `stop`.
 *
 * Short drops are left to the EventSource itself, because only its own reconnect sends
 * `Last-Event-ID` (and so gets just the missed patches). A stream refused outright (any HTTP
 * error closes it for good) or failing again and again is replaced by a snapshot request, which
 * also tells a bad key (fatal) from an overloaded server (retry later).
 *
 * A snapshot that arrives proves the server is back, not that live updates flow: the stream is tried
 * again at once with the backoff reset, and health is reported only when it opens (when polling is
 * all there is, a successful poll is health). At most one such immediate retry until a stream stays
 * up HEALTHY_STREAM_MS, so a server that answers snapshots but refuses or drops streams (no stream
 * slot left, `retry: 0`) is not hammered: its streams are retried with the backoff.
 */
export function startDelivery(o: Resolved, kit: Kit, handlers: DeliveryHandlers): () => void {
  const { SwitchboardError, endpoint } = kit;
  // Every network payload, streamed or polled, passes core's wire checks (in this chunk) first.
  const on: DeliveryHandlers = {
    ...handlers,
    snapshot: (v) => (validateWireSnapshot(v)[0] ? handlers.malformed('snapshot') : handlers.snapshot(v)),
    patch: (v) => (validateWirePatch(v)[0] ? handlers.malformed('patch') : handlers.patch(v)),
  };
  let source: EventSourceLike | null = null;
  let errors = 0;
  /** When the stream last opened; Infinity while it is not open. */
  let openedAt = 1 / 0;
  let planned = false;
  const d: Delivery = {
    o,
    on,
    kit,
    stopped: false,
    timer: undefined,
    attempt: 0,
    pollOnly: !o.EventSource,
    retried: false,
    stream,
    stop() {
      d.stopped = true;
      source?.close();
      o.timers.clear(d.timer);
    },
    backoff: () => kit.backoffDelay(d.attempt++, { random: o.random }),
  };

  /** The snapshot request: a fallback, so its code is loaded only when the stream fails (polling.ts). */
  function poll(): void {
    kit.loadPolling().then(
      (m) => m.poll(d),
      (cause) => {
        if (d.stopped) return;
        const error = new SwitchboardError('NETWORK', String(cause), { cause, retryInMs: d.backoff() });
        on.health(error);
        d.timer = o.timers.set(stream, error.retryInMs as number);
      },
    );
  }

  function stream(): void {
    let s: EventSourceLike;
    try {
      // No EventSource, or one that throws (a Content-Security-Policy without the server in connect-src): poll.
      s = new (o.EventSource as EventSourceConstructor)(endpoint(o, 'client/stream'));
    } catch {
      d.pollOnly = true;
      poll();
      return;
    }
    source = s;
    s.addEventListener('open', () => {
      openedAt = o.now();
      on.health(null);
    });
    s.addEventListener('snapshot', (e) => on.snapshot(parse(e.data) as SnapshotPayload));
    s.addEventListener('patch', (e) => on.patch(parse(e.data) as PatchPayload));
    // The server is going away and said when to come back; the EventSource waits that long itself.
    s.addEventListener('reconnect', () => {
      planned = true;
    });
    s.addEventListener('error', () => {
      if (d.stopped) return;
      // Only a stream that stayed up a while starts the count and the backoff afresh.
      if (o.now() - openedAt >= kit.HEALTHY_STREAM_MS) {
        errors = d.attempt = 0;
        d.retried = false;
      }
      openedAt = 1 / 0;
      // A reconnect the server asked for is no trouble, unless it keeps asking soon after opening.
      if (planned && s.readyState !== CLOSED && ++errors < MAX_STREAM_ERRORS) {
        planned = false;
        return;
      }
      on.health(new SwitchboardError('NETWORK', 'Stream interrupted'));
      if (s.readyState === CLOSED || ++errors >= MAX_STREAM_ERRORS) {
        s.close();
        source = null;
        errors = 0;
        poll();
      }
    });
  }

  if (d.pollOnly) poll();
  else stream();
  return d.stop;
}
