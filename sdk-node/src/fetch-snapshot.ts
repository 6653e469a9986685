import { RetryPolicy, retryPolicyFor, type SnapshotPayload } from '@switchboard/core';
import { describeError } from './describe-error.ts';
import { readCappedText } from './read-capped-text.ts';
import { parseRetryAfter } from './retry-after.ts';
import { sdkHeaders } from './sdk-headers.ts';
import { SwitchboardError, SwitchboardErrorCode } from './switchboard-error.ts';
import { TimedRequest } from './timed-request.ts';
import type { Timers } from './timers.ts';
import { checkSnapshot } from './wire-data.ts';

export interface FetchSnapshotOptions {
  url: string;
  sdkKey: string;
  /** The ETag of the snapshot held, for a 304 when nothing changed. */
  etag: string | undefined;
  fetch: typeof fetch;
  timers: Timers;
  signal: AbortSignal;
  timeoutMs: number;
  maxBytes: number;
}

export type SnapshotOutcome =
  | { kind: 'closed' }
  | { kind: 'unchanged' }
  | { kind: 'snapshot'; snapshot: SnapshotPayload; etag: string | undefined }
  | { kind: 'failed'; error: SwitchboardError; retryAfterMs: number | undefined };

/** One `GET /api/sdk/snapshot`. Never rejects: every failure is an outcome. */
export async function fetchSnapshot(o: FetchSnapshotOptions): Promise<SnapshotOutcome> {
  const request = new TimedRequest(o.timers, o.timeoutMs, o.signal);
  const headers = sdkHeaders(o.sdkKey, { accept: 'application/json' });
  if (o.etag !== undefined) headers['if-none-match'] = o.etag;
  const failed = (error: SwitchboardError, retryAfterMs?: number): SnapshotOutcome => ({ kind: 'failed', error, retryAfterMs });
  try {
    const res = await o.fetch(o.url, { headers, signal: request.signal });
    if (res.status === 304) return { kind: 'unchanged' };
    if (res.status !== 200) {
      const status = res.status;
      return failed(
        new SwitchboardError(SwitchboardErrorCode.HttpStatus, `snapshot request answered HTTP ${status}`, {
          status,
          fatal: retryPolicyFor(status) === RetryPolicy.Fatal,
        }),
        parseRetryAfter(res.headers.get('retry-after'), o.timers.now()),
      );
    }
    const declared = Number(res.headers.get('content-length'));
    const text = declared > o.maxBytes ? null : await readCappedText(res.body, o.maxBytes);
    if (text === null) {
      return failed(new SwitchboardError(SwitchboardErrorCode.TooLarge, `snapshot larger than ${o.maxBytes} bytes; ignored`));
    }
    let snapshot: SnapshotPayload | string = 'not JSON';
    try {
      snapshot = checkSnapshot(JSON.parse(text));
    } catch {
      // Not JSON: reported below like any other invalid snapshot.
    }
    if (typeof snapshot === 'string')
      return failed(
        new SwitchboardError(SwitchboardErrorCode.InvalidData, `snapshot response rejected whole, keeping the data held: ${snapshot}`),
      );
    return { kind: 'snapshot', snapshot, etag: res.headers.get('etag') ?? undefined };
  } catch (error) {
    if (o.signal.aborted) return { kind: 'closed' };
    if (request.timedOut) {
      return failed(new SwitchboardError(SwitchboardErrorCode.Timeout, `snapshot request took longer than ${o.timeoutMs} ms`));
    }
    return failed(new SwitchboardError(SwitchboardErrorCode.Network, `snapshot request failed: ${describeError(error)}`, { cause: error }));
  } finally {
    request.finish();
  }
}
