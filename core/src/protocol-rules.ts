import type { PatchPayload, SnapshotPayload } from './protocol.ts';

/**
 * The rules both SDKs follow with the wire protocol (protocol.ts): how a patch applies, how long to
 * wait before reconnecting, which HTTP statuses are worth a retry. Apart from protocol.ts so that a
 * browser entry, which parses its cache and bootstrap, does not carry them: only its on-demand
 * delivery code uses them (`@switchboard/core/protocol-rules`).
 */

/**
 * A new snapshot with the patch applied, or null when the patch is not newer than what is held
 * (SDKs apply only newer revisions, so a replayed or reordered event changes nothing).
 */
export function applyPatch(snapshot: SnapshotPayload, patch: PatchPayload): SnapshotPayload | null {
  if (patch.revision <= snapshot.revision) return null;
  const flags = new Map(snapshot.flags.map((f) => [f.key, f]));
  const segments = new Map((snapshot.segments ?? []).map((s) => [s.key, s]));
  for (const c of patch.changes) {
    if (c.op === 'flag') flags.set(c.flag.key, c.flag);
    else if (c.op === 'flag-removed') flags.delete(c.key);
    else if (c.op === 'segment') segments.set(c.segment.key, c.segment);
    else segments.delete(c.key);
  }
  const next: SnapshotPayload = { ...snapshot, revision: patch.revision, flags: [...flags.values()] };
  if (snapshot.segments !== undefined || segments.size > 0) next.segments = [...segments.values()];
  return next;
}

/**
 * Core's wire checks (wire-validation.ts), which SDKs run on every snapshot and patch before taking
 * it, imported on demand: a browser page pays for them once data arrives, not in its entry.
 */
export const loadWireChecks = () => import('./wire-validation.ts');

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  random?: () => number;
}

/**
 * Reconnect delay after `attempt` consecutive failures (0-based): exponential from 1 s, capped at
 * 30 s, with full jitter in [delay/2, delay] so a fleet that lost the same server spreads out.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (options.random ?? Math.random)() * (ceiling / 2));
}

/**
 * How long a stream must stay up before the next failure backs off from the start again (what
 * LaunchDarkly's SDKs do). Shorter-lived streams, including those ended on purpose with `retry: 0`,
 * keep the backoff growing, so a server that accepts and drops every stream is not hammered.
 */
export const HEALTHY_STREAM_MS = 60_000;

/** How an SDK should react to an HTTP status from the server. */
export const RetryPolicy = {
  /** Network errors, 5xx, 408, 429: back off and retry. */
  Retry: 'retry',
  /** 401, 403, 404: the key or URL is wrong; retrying would be a storm. Surface the error. */
  Fatal: 'fatal',
} as const;
export type RetryPolicy = (typeof RetryPolicy)[keyof typeof RetryPolicy];

export function retryPolicyFor(status: number): RetryPolicy {
  return status === 401 || status === 403 || status === 404 ? RetryPolicy.Fatal : RetryPolicy.Retry;
}
