import { RetryPolicy, retryPolicyFor } from '@switchboard/core';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describeError } from './describe-error.ts';
import { EventSizeGuard } from './event-size-guard.ts';
import { parseRetryAfter } from './retry-after.ts';
import { sdkHeaders } from './sdk-headers.ts';
import { SwitchboardError, SwitchboardErrorCode } from './switchboard-error.ts';
import type { Timers } from './timers.ts';

export interface StreamSessionOptions {
  url: string;
  sdkKey: string;
  lastEventId: string | undefined;
  fetch: typeof fetch;
  timers: Timers;
  /** Aborted when the client closes. */
  signal: AbortSignal;
  connectTimeoutMs: number;
  heartbeatTimeoutMs: number;
  maxEventBytes: number;
  /** Acceptable bytes arrived (events, a heartbeat): the server is there. */
  onActivity(): void;
  /** One event; a string return is why it is unacceptable, which ends the session. */
  onEvent(event: EventSourceMessage): string | null;
}

export interface StreamOutcome {
  /** The client closed it: nothing more to do. */
  closed: boolean;
  /** Why it ended; null when the server ended it. */
  error: SwitchboardError | null;
  /** How long the stream was open; null when it never opened. */
  openMs: number | null;
  /** From `Retry-After` on a refusal. */
  retryAfterMs: number | undefined;
  /** From the stream's `retry:` field: how soon the server wants us back. */
  retryMs: number | undefined;
}

/**
 * One SSE connection, from request to end. Never rejects: every way it can end (refused, cut off,
 * silent past the heartbeat timeout, fed something unacceptable, closed by the client) is an outcome
 * for the caller to decide on. Whatever happens, the request is aborted before this returns, so no
 * socket or timer outlives the session.
 */
export async function runStreamSession(o: StreamSessionOptions): Promise<StreamOutcome> {
  const controller = new AbortController();
  const onClose = () => controller.abort();
  o.signal.addEventListener('abort', onClose, { once: true });
  const { timers } = o;
  let failure: SwitchboardError | null = null;
  const fail = (error: SwitchboardError) => {
    failure ??= error;
    controller.abort();
  };
  let openedAt: number | null = null;
  let retryMs: number | undefined;
  let timer: unknown = timers.setTimeout(
    () => fail(new SwitchboardError(SwitchboardErrorCode.Timeout, `stream did not answer within ${o.connectTimeoutMs} ms`)),
    o.connectTimeoutMs,
  );
  const clearTimer = () => {
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = undefined;
  };
  const outcome = (retryAfterMs?: number): StreamOutcome => ({
    closed: o.signal.aborted,
    error: o.signal.aborted ? null : failure,
    openMs: openedAt === null ? null : timers.now() - openedAt,
    retryAfterMs,
    retryMs,
  });

  try {
    if (o.signal.aborted) return outcome();
    const headers = sdkHeaders(o.sdkKey, { accept: 'text/event-stream', 'cache-control': 'no-cache' });
    if (o.lastEventId !== undefined) headers['last-event-id'] = o.lastEventId;
    const res = await o.fetch(o.url, { headers, signal: controller.signal });
    clearTimer();
    if (res.status !== 200) {
      const status = res.status;
      fail(
        new SwitchboardError(SwitchboardErrorCode.HttpStatus, `stream answered HTTP ${status}`, {
          status,
          fatal: retryPolicyFor(status) === RetryPolicy.Fatal,
        }),
      );
      return outcome(parseRetryAfter(res.headers.get('retry-after'), timers.now()));
    }
    const type = res.headers.get('content-type') ?? '';
    if (!/^text\/event-stream/i.test(type) || res.body === null) {
      fail(
        new SwitchboardError(SwitchboardErrorCode.NotEventStream, `stream answered 200 with ${JSON.stringify(type)}, not an event stream`),
      );
      return outcome();
    }

    openedAt = timers.now();
    let lastActivity = openedAt;
    const watch = () => {
      const idle = timers.now() - lastActivity;
      if (idle >= o.heartbeatTimeoutMs) {
        timer = undefined;
        fail(new SwitchboardError(SwitchboardErrorCode.DeadStream, `stream silent for ${idle} ms; replacing it`));
      } else {
        timer = timers.setTimeout(watch, o.heartbeatTimeoutMs - idle);
      }
    };
    timer = timers.setTimeout(watch, o.heartbeatTimeoutMs);

    const guard = new EventSizeGuard(o.maxEventBytes);
    const parser = createParser({
      onEvent(event) {
        if (failure !== null) return;
        const problem = o.onEvent(event);
        if (problem !== null) fail(new SwitchboardError(SwitchboardErrorCode.InvalidData, problem));
      },
      onRetry(ms) {
        retryMs = ms;
      },
    });
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      lastActivity = timers.now();
      if (!guard.accept(value)) {
        fail(new SwitchboardError(SwitchboardErrorCode.TooLarge, `stream event larger than ${o.maxEventBytes} bytes; reconnecting`));
        break;
      }
      parser.feed(decoder.decode(value, { stream: true }));
      if (failure !== null) break;
      // Only bytes that were fine count as word from the server: garbage must not look current.
      o.onActivity();
    }
    return outcome();
  } catch (error) {
    if (failure === null && !o.signal.aborted) {
      const opened = openedAt !== null;
      fail(
        new SwitchboardError(
          SwitchboardErrorCode.Network,
          opened ? `stream cut off: ${describeError(error)}` : `stream request failed: ${describeError(error)}`,
          { cause: error },
        ),
      );
    }
    return outcome();
  } finally {
    clearTimer();
    o.signal.removeEventListener('abort', onClose);
    controller.abort();
  }
}
