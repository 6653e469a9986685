import { backoffDelay, type PatchPayload, type SnapshotPayload } from '@switchboard/core';
import type { EventSourceMessage } from 'eventsource-parser';
import { DeliveryMode } from './delivery-mode.ts';
import { fetchSnapshot } from './fetch-snapshot.ts';
import type { SafeLogger } from './logger.ts';
import { runStreamSession } from './stream-session.ts';
import { SwitchboardError, SwitchboardErrorCode } from './switchboard-error.ts';
import type { Timers } from './timers.ts';
import { checkPatch, checkSnapshot } from './wire-data.ts';

/** What became of a patch the stream delivered. */
export const PatchVerdict = {
  Applied: 'applied',
  /** Not newer than what is held: ignored. */
  Old: 'old',
  /** Newer, but not the next revision (or nothing to apply it to): something was missed. */
  Gap: 'gap',
} as const;
export type PatchVerdict = (typeof PatchVerdict)[keyof typeof PatchVerdict];

export interface SynchronizerHandlers {
  /** The server revision held, to resume from (`Last-Event-ID`, `If-None-Match`); null when none. */
  heldRevision(): number | null;
  snapshot(snapshot: SnapshotPayload): void;
  patch(patch: PatchPayload): PatchVerdict;
  /**
   * The server was heard from just now: the data is current. `live` when updates flow as they
   * happen (bytes on a connected stream, or a poll where polling is the delivery itself); a poll
   * that stands in for a broken stream confirms the data but not that updates flow.
   */
  confirmed(live: boolean): void;
  /** A failure, with `retryInMs` set when it will be retried; after a fatal one the synchronizer has stopped. */
  failed(error: SwitchboardError): void;
}

export interface SynchronizerOptions {
  url: string;
  sdkKey: string;
  mode: DeliveryMode;
  fetch: typeof fetch;
  timers: Timers;
  random: () => number;
  log: SafeLogger;
  requestTimeoutMs: number;
  heartbeatTimeoutMs: number;
  maxEventBytes: number;
  pollIntervalMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  backoffResetMs: number;
}

/** Stream failures in a row after which the snapshot is polled while the stream keeps retrying. */
const POLL_AFTER_STREAM_FAILURES = 2;
/** Bounds on the delay a server asks for when it ends a stream on purpose. */
const MIN_RECONNECT_MS = 100;
const MAX_RECONNECT_MS = 60_000;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A failure that says this stream endpoint is not usable as such (a cap, a proxy), not that the server is down. */
function isRefusal(error: SwitchboardError): boolean {
  if (error.code === SwitchboardErrorCode.NotEventStream) return true;
  const status = error.status;
  return status !== undefined && status >= 400 && status < 500 && status !== 408;
}

/**
 * Keeps the client's data current: the stream with reconnects, backoff and resume, and polling of the
 * snapshot when the stream is refused or keeps failing (or as the only mode). Decides on every
 * failure: retry after a jittered exponential delay (at least what `Retry-After` asks), or stop for
 * good on 401, 403 and 404, where retrying would only hammer the server with a key it refuses.
 */
export class Synchronizer {
  private readonly root = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private poller: AbortController | null = null;
  private streamAttempt = 0;
  private resync = false;
  /** The last stream attempt was refused as such (4xx, not an event stream): polling is the delivery. */
  private streamRefused = false;
  /** Ends the stream loop's wait early (a poll found the server back); null while it is not waiting. */
  private wakeStream: (() => void) | null = null;
  /** Not before this time, even when woken: what the server asked for with `Retry-After`. */
  private streamNotBefore = 0;
  private reconnectHint: number | undefined;
  private stopped = false;

  constructor(
    private readonly o: SynchronizerOptions,
    private readonly h: SynchronizerHandlers,
  ) {}

  start(): void {
    this.track(this.o.mode === DeliveryMode.Poll ? this.pollLoop(this.root.signal) : this.streamLoop());
  }

  /** Ends every request and timer; resolves once they are all gone. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.root.abort();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private track(loop: Promise<void>): void {
    const guarded = loop.catch((error) => this.o.log.error('delivery stopped unexpectedly', error));
    this.running.add(guarded);
    void guarded.finally(() => this.running.delete(guarded));
  }

  private async streamLoop(): Promise<void> {
    const signal = this.root.signal;
    while (!signal.aborted) {
      this.reconnectHint = undefined;
      const held = this.resync ? null : this.h.heldRevision();
      this.resync = false;
      const outcome = await runStreamSession({
        url: `${this.o.url}/api/sdk/stream`,
        sdkKey: this.o.sdkKey,
        lastEventId: held === null ? undefined : String(held),
        fetch: this.o.fetch,
        timers: this.o.timers,
        signal,
        connectTimeoutMs: this.o.requestTimeoutMs,
        heartbeatTimeoutMs: this.o.heartbeatTimeoutMs,
        maxEventBytes: this.o.maxEventBytes,
        // Only bytes confirm: a proxy that answers 200 and buffers everything must not look current.
        onActivity: () => {
          this.streamRefused = false;
          this.h.confirmed(true);
          this.stopFallbackPolling();
        },
        onEvent: (event) => this.onStreamEvent(event),
      });
      if (outcome.closed || signal.aborted) return;
      // Only a connection that stayed up a while earns a fresh start: one that flaps keeps backing off.
      const healthy = outcome.openMs !== null && outcome.openMs >= this.o.backoffResetMs;
      if (healthy) this.streamAttempt = 0;
      let error = outcome.error;
      if (error === null) {
        const hint = this.reconnectHint ?? outcome.retryMs;
        if (hint !== undefined) {
          // The server is going away (a deploy, a restart) and said when to come back: not a failure.
          const asked = Math.min(MAX_RECONNECT_MS, Math.max(MIN_RECONNECT_MS, hint));
          if (healthy) {
            this.o.log.info(`stream ended by the server; reconnecting in ${asked} ms`);
            await this.sleep(asked, signal);
            continue;
          }
          // But a stream that ends soon after opening, on purpose or not (`retry: 0` each time), must
          // not bring the client back at once for ever: its delay grows like any failure's.
          const delay = Math.max(asked, this.backoff(this.streamAttempt++));
          this.o.log.info(
            `stream ended by the server; reconnecting in ${delay} ms (${outcome.openMs ?? 0} ms after it opened: backing off)`,
          );
          await this.sleep(delay, signal);
          continue;
        }
        error = new SwitchboardError(SwitchboardErrorCode.Network, 'stream ended by the server without notice');
      }
      if (error.fatal) {
        this.fatal(error);
        return;
      }
      // After bad data, start over from a full snapshot rather than resume into the same data.
      if (error.code === SwitchboardErrorCode.InvalidData) this.resync = true;
      const delay = Math.max(this.backoff(this.streamAttempt++), outcome.retryAfterMs ?? 0);
      error.retryInMs = delay;
      this.streamRefused = isRefusal(error);
      this.streamNotBefore = this.o.timers.now() + (outcome.retryAfterMs ?? 0);
      this.h.failed(error);
      if (this.streamRefused || this.streamAttempt >= POLL_AFTER_STREAM_FAILURES) this.startFallbackPolling();
      await this.sleep(delay, signal, (wake) => {
        this.wakeStream = wake;
      });
      this.wakeStream = null;
    }
  }

  /**
   * A fallback poll got through while the stream waits out its backoff: the server is back, so the
   * stream is tried at once with the backoff reset, rather than after a delay grown during the
   * outage (live updates would lag by up to `backoff.maxMs`). It asks for a full snapshot: a resume
   * from the revision the poll just confirmed would get no event, hence no sign it is live, before
   * the server's next heartbeat.
   */
  private serverIsBack(): void {
    const wake = this.wakeStream;
    if (wake === null || this.streamRefused || this.o.timers.now() < this.streamNotBefore) return;
    this.o.log.info('the server answers again; reconnecting the stream now');
    this.streamAttempt = 0;
    this.resync = true;
    wake();
  }

  private onStreamEvent(event: EventSourceMessage): string | null {
    switch (event.event) {
      case 'snapshot': {
        const snapshot = checkSnapshot(parseJson(event.data));
        if (typeof snapshot === 'string') return `snapshot event rejected whole, keeping the data held: ${snapshot}`;
        this.h.snapshot(snapshot);
        return null;
      }
      case 'patch': {
        const patch = checkPatch(parseJson(event.data));
        if (typeof patch === 'string') return `patch event rejected whole, keeping the data held: ${patch}`;
        if (this.h.patch(patch) === PatchVerdict.Gap) {
          return `patch for revision ${patch.revision} does not follow revision ${this.h.heldRevision() ?? 'none'}; resynchronizing`;
        }
        return null;
      }
      case 'reconnect': {
        const data = parseJson(event.data) as { retryMs?: unknown } | undefined;
        if (typeof data?.retryMs === 'number' && Number.isFinite(data.retryMs)) this.reconnectHint = data.retryMs;
        return null;
      }
      default:
        // A newer server may send events this client does not know: they are not errors.
        this.o.log.debug(`ignoring stream event ${JSON.stringify(event.event ?? 'message')}`);
        return null;
    }
  }

  private async pollLoop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    // The first poll, or the first after failures, is news that the server answers; the ones after
    // it are not, so a stream that keeps failing while polls work is retried on its own backoff.
    let news = true;
    while (!signal.aborted) {
      const held = this.h.heldRevision();
      const outcome = await fetchSnapshot({
        url: `${this.o.url}/api/sdk/snapshot`,
        sdkKey: this.o.sdkKey,
        // The server's ETag is the revision, quoted.
        etag: held === null ? undefined : `"${held}"`,
        fetch: this.o.fetch,
        timers: this.o.timers,
        signal,
        timeoutMs: this.o.requestTimeoutMs,
        maxBytes: this.o.maxEventBytes,
      });
      if (outcome.kind === 'closed' || signal.aborted) return;
      let delay = this.o.pollIntervalMs;
      if (outcome.kind === 'snapshot' || outcome.kind === 'unchanged') {
        failures = 0;
        if (outcome.kind === 'snapshot') this.h.snapshot(outcome.snapshot);
        // Polling is the delivery in poll mode and when the stream is refused; otherwise it stands in.
        this.h.confirmed(this.o.mode === DeliveryMode.Poll || this.streamRefused);
        if (news) this.serverIsBack();
        news = false;
      } else {
        news = true;
        const error = outcome.error;
        if (error.fatal) {
          this.fatal(error);
          return;
        }
        // A failed poll is retried sooner than the interval, but never sooner than the server asks.
        delay = Math.max(Math.min(this.o.pollIntervalMs, this.backoff(failures++)), outcome.retryAfterMs ?? 0);
        error.retryInMs = delay;
        this.h.failed(error);
      }
      await this.sleep(delay, signal);
    }
  }

  private startFallbackPolling(): void {
    if (this.poller !== null || this.root.signal.aborted) return;
    const controller = new AbortController();
    this.poller = controller;
    const onStop = () => controller.abort();
    this.root.signal.addEventListener('abort', onStop, { once: true });
    this.o.log.info('stream unavailable; polling the snapshot until it is back');
    this.track(this.pollLoop(controller.signal).finally(() => this.root.signal.removeEventListener('abort', onStop)));
  }

  private stopFallbackPolling(): void {
    if (this.poller === null) return;
    this.poller.abort();
    this.poller = null;
    this.o.log.info('stream is back; polling stopped');
  }

  private fatal(error: SwitchboardError): void {
    if (this.stopped) return;
    this.stopped = true;
    this.root.abort();
    this.h.failed(error);
  }

  private backoff(attempt: number): number {
    return backoffDelay(attempt, { initialMs: this.o.backoffInitialMs, maxMs: this.o.backoffMaxMs, random: this.o.random });
  }

  /** Waits `ms`, or less when aborted or woken (`onWake` receives the function that wakes it). */
  private sleep(ms: number, signal: AbortSignal, onWake?: (wake: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const done = () => {
        this.o.timers.clearTimeout(handle);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const handle = this.o.timers.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      onWake?.(done);
    });
  }
}
