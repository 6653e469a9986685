import type { PatchPayload, SnapshotPayload, SwitchboardError } from '@switchboard/core';
import { applyPatch, backoffDelay, HEALTHY_STREAM_MS } from '@switchboard/core/protocol-rules';
import { validateWirePatch, validateWireSnapshot } from '@switchboard/core/wire-validation';
import { endpoint } from './endpoint.ts';
import type { Kit } from './kit.ts';
import type { EventSourceConstructor, EventSourceLike, Resolved } from './options.ts';
import type { Link } from './shared-connection.ts';

export interface DeliveryHandlers {
  /** The revision held, for `If-None-Match`; null when nothing is held. */
  revision(): number | null;
  /** A snapshot or patch: taken when it passes core's wire checks, else rejected whole (the view held is kept). */
  snapshot(value: SnapshotPayload): void;
  patch(value: PatchPayload): void;
  /** Whether live updates flow: null when they do (again), else why not. */
  health(error: SwitchboardError | null): void;
  fatal(error: SwitchboardError): void;
}

/** The state of one delivery, shared with polling.ts. */
export interface Delivery {
  readonly o: Resolved;
  readonly on: DeliveryHandlers;
  readonly kit: Kit;
  stopped?: boolean;
  /** The next round, set only as a round ends (one round at a time), so that `stop` can cancel it. */
  timer?: unknown;
  /** Failed rounds since the last success, for core's backoff. */
  attempt: number;
  /** No stream to be had (no EventSource, or one the page may not open): polling is the delivery. */
  pollOnly: boolean;
  /** A stream was retried at once after a successful poll, and none has stayed up HEALTHY_STREAM_MS since. */
  retried?: boolean;
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
  } catch {}
}

/**
 * Loaded on demand when the first connection of a page opens, with core's wire checks (4 KB) that
 * every network payload passes; what it shares with the entry (SwitchboardError) comes in `kit`.
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
export function startDelivery(o: Resolved, kit: Kit, link: Link): () => void {
  const { SwitchboardError } = kit;
  const { self, notify } = link;
  /** Takes a checked network payload: kept for the next page load, and made the view. */
  const take = (p: SnapshotPayload, remoteChanged?: boolean) => {
    try {
      o.storage?.setItem(link.cacheKey, JSON.stringify(p));
    } catch {
      // Full or blocked storage costs the next page load its head start, nothing more.
    }
    link.use(p, remoteChanged);
  };
  // Every network payload, streamed or polled, passes core's wire checks (in this chunk) first.
  const on: DeliveryHandlers = {
    revision: () => link.held()?.revision ?? null,
    snapshot(p) {
      if (validateWireSnapshot(p)[0]) link.fail('Malformed snapshot');
      // Never an older revision than held, from any source: a replica behind a round-robin balancer
      // must not take the page back. The same revision is taken again (a replica may have been rebuilt).
      else if (p.revision >= (link.held()?.revision ?? 0)) take(p);
    },
    patch(value) {
      if (validateWirePatch(value)[0]) link.fail('Malformed patch');
      else {
        const held = link.held();
        const p = held && applyPatch(held, value);
        // A server-evaluated flag (before or after) the patch names may have changed: its answers are asked again.
        const named = new Set(value.changes.map((c) => (c.op === 'flag' ? c.flag.key : (c as { key: string }).key)));
        if (p)
          take(
            p,
            [...held.flags, ...p.flags].some((f) => f.remote && named.has(f.key)),
          );
      }
    },
    health(error) {
      const stale = error !== null;
      if (self.stale === stale) return;
      self.stale = stale;
      notify(stale ? 'stale' : 'fresh', error);
    },
    fatal(error) {
      self.fatal = error;
      notify('error', error);
    },
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
    attempt: 0,
    pollOnly: !o.EventSource,
    stream,
    stop() {
      d.stopped = true;
      source?.close();
      o.timers.clear(d.timer);
    },
    backoff: () => backoffDelay(d.attempt++, { random: o.random }),
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
      if (o.now() - openedAt >= HEALTHY_STREAM_MS) {
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
