import type { FlagConfig, Segment, Snapshot } from './model.ts';

/**
 * The wire protocol between the server and SDKs (DESIGN.md, "Wire protocol"): the payloads and what
 * a well-formed one is. How SDKs act on them (a patch applied, the backoff, the retry policy) is in
 * protocol-rules.ts: a browser page needs this file to take its cache or bootstrap, and the rules
 * only once its delivery code has loaded, so the two must not share a file (bundlers split by file).
 * Both SDKs call these; neither re-implements them.
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

/** A patch payload, or null when any change in it is malformed. */
export function parsePatch(value: unknown): PatchPayload | null {
  if (!isObject(value) || !isRevision(value.revision) || !Array.isArray(value.changes) || !value.changes.every(isChange)) return null;
  return value as unknown as PatchPayload;
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
