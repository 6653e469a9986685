import type { FlagConfig, Segment, Snapshot } from './model.ts';

/**
 * The wire protocol between the server and SDKs (DESIGN.md, "Wire protocol"), and the pure rules
 * SDKs follow with it: what a valid payload is, how a patch applies, how long to wait before
 * reconnecting. Both SDKs call these; neither re-implements them.
 */

/** What the client view adds: which attributes browsers must digest, and with which salt. */
export interface SensitiveSpec {
  salt: string;
  attributes: string[];
}

/** The body of a `snapshot` event and of `GET .../snapshot`. */
export interface SnapshotPayload extends Snapshot {
  environment: string;
  revision: number;
  sensitive?: SensitiveSpec;
}

export type PatchChange =
  | { op: 'flag'; flag: FlagConfig }
  | { op: 'flag-removed'; key: string }
  | { op: 'segment'; segment: Segment }
  | { op: 'segment-removed'; key: string };

/** The body of a `patch` event: what one revision changed. */
export interface PatchPayload {
  revision: number;
  changes: PatchChange[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFlag = (v: unknown): v is FlagConfig =>
  isObject(v) && typeof v.key === 'string' && typeof v.enabled === 'boolean' && (v.rules === undefined || Array.isArray(v.rules));
const isSegment = (v: unknown): v is Segment => isObject(v) && typeof v.key === 'string' && Array.isArray(v.conditions);
const isRevision = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A snapshot payload, or null when any part of it is malformed (it is then rejected whole). */
export function parseSnapshot(value: unknown): SnapshotPayload | null {
  if (!isObject(value) || !isRevision(value.revision) || !Array.isArray(value.flags) || !value.flags.every(isFlag)) return null;
  if (value.segments !== undefined && (!Array.isArray(value.segments) || !value.segments.every(isSegment))) return null;
  const s = value.sensitive;
  if (
    s !== undefined &&
    !(isObject(s) && typeof s.salt === 'string' && Array.isArray(s.attributes) && s.attributes.every((a) => typeof a === 'string'))
  ) {
    return null;
  }
  return value as unknown as SnapshotPayload;
}

function isChange(v: unknown): v is PatchChange {
  if (!isObject(v)) return false;
  switch (v.op) {
    case 'flag':
      return isFlag(v.flag);
    case 'segment':
      return isSegment(v.segment);
    case 'flag-removed':
    case 'segment-removed':
      return typeof v.key === 'string';
    default:
      return false;
  }
}

/**
 * Core's wire checks (wire-validation.ts), which SDKs run on every snapshot and patch before taking
 * it, imported on demand: a browser page pays for them once data arrives, not in its entry.
 */
export const loadWireChecks = () => import('./wire-validation.ts');

/** A patch payload, or null when any change in it is malformed. */
export function parsePatch(value: unknown): PatchPayload | null {
  if (!isObject(value) || !isRevision(value.revision) || !Array.isArray(value.changes) || !value.changes.every(isChange)) return null;
  return value as unknown as PatchPayload;
}

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

/** Flag keys whose configuration differs between two snapshots (added, removed or changed). */
export function changedFlagKeys(before: SnapshotPayload | null, after: SnapshotPayload): string[] {
  const old = new Map((before?.flags ?? []).map((f) => [f.key, JSON.stringify(f)]));
  const changed: string[] = [];
  for (const f of after.flags) {
    if (old.get(f.key) !== JSON.stringify(f)) changed.push(f.key);
    old.delete(f.key);
  }
  changed.push(...old.keys());
  // A segment change may alter any flag that uses it.
  if (before && JSON.stringify(before.segments ?? []) !== JSON.stringify(after.segments ?? [])) {
    const keys = new Set(changed);
    const touched = new Set([...(before.segments ?? []), ...(after.segments ?? [])].map((s) => s.key));
    for (const f of after.flags) if (f.rules?.some((r) => r.segments?.some((k) => touched.has(k)))) keys.add(f.key);
    return [...keys];
  }
  return changed;
}

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
