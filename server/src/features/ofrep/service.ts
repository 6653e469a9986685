import {
  type CompiledFlag,
  type CompiledSnapshot,
  type Context,
  type EvaluationResult,
  evaluateCompiled,
  fromOfrepContext,
  murmur3,
  type OfrepContext,
  type OfrepFlagResult,
  type OfrepMetadata,
  Reason,
} from '@switchboard/core';

/**
 * OFREP evaluation on a replica's compiled state (no query per request). Results map as the
 * contract says (core/src/ofrep.ts): `variant` is our variant name (`disabled` when off or without
 * variants), `value` the chosen variant's payload parsed by its type (json -> object, number ->
 * number, else string) or, without a payload, the boolean `enabled`; `metadata` carries what an SDK
 * needs to rebuild Switchboard's own result (enabled, reason, ruleId, payloadType).
 */

export const OfrepErrorCode = {
  ParseError: 'PARSE_ERROR',
  /** Never sent: a context without a sticky id falls back to sessionId, then a random one, as in every SDK. */
  TargetingKeyMissing: 'TARGETING_KEY_MISSING',
  InvalidContext: 'INVALID_CONTEXT',
  General: 'GENERAL',
  FlagNotFound: 'FLAG_NOT_FOUND',
} as const;
export type OfrepErrorCode = (typeof OfrepErrorCode)[keyof typeof OfrepErrorCode];

/** OpenFeature's reason for one of ours. */
export function ofrepReason(result: EvaluationResult): string {
  switch (result.reason) {
    case Reason.RuleMatch:
      return 'TARGETING_MATCH';
    case Reason.On:
      // On for everyone: fixed, unless a weighted split picked the variant.
      return result.variant.enabled ? 'SPLIT' : 'STATIC';
    case Reason.Off:
      return 'DISABLED';
    case Reason.Error:
      return 'ERROR';
    default:
      // NO_RULE_MATCH, DEPENDENCY_FAILED: the flag's default answer (off).
      return 'DEFAULT';
  }
}

/** The payload parsed by its type; a payload that does not parse as its type stays a string. */
function payloadValue(type: string, text: string): unknown {
  if (type === 'json') {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type === 'number') {
    const n = Number(text.trim());
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  return text;
}

/** One flag's OFREP answer (success, or GENERAL for a flag that could not be evaluated). */
export function ofrepResult(key: string, result: EvaluationResult): OfrepFlagResult {
  if (result.reason === Reason.Error) {
    return { key, errorCode: OfrepErrorCode.General, errorDetails: result.errorMessage ?? 'the flag could not be evaluated' };
  }
  const payload = result.variant.payload;
  const metadata: OfrepMetadata = { enabled: result.enabled, reason: result.reason };
  if (result.ruleId !== null && result.ruleId !== '') metadata.ruleId = result.ruleId;
  if (payload) metadata.payloadType = payload.type;
  return {
    key,
    value: payload ? payloadValue(payload.type, payload.value) : result.enabled,
    reason: ofrepReason(result),
    variant: result.variant.name,
    metadata,
  };
}

/** One flag's answer serialized, with two hashes of it for the bulk answer's ETag. */
interface Fragment {
  json: string;
  /** The same as UTF-8, copied into bulk answers as it is. */
  bytes: Buffer;
  h1: number;
  h2: number;
}

/** A flag of one compiled snapshot and the serialized answers it has given so far. */
interface FlagSlot {
  key: string;
  flag: CompiledFlag;
  /** Bounded: core hands out shared, frozen results (one per rule, variant, or off). */
  fragments: Map<EvaluationResult, Fragment>;
}

interface SnapshotSlots {
  byKey: Map<string, FlagSlot>;
  /** Every flag, in the snapshot's order. */
  all: FlagSlot[];
  /** Lists of slots asked for by name, e.g. the client-visible flags (cached by the caller's array). */
  lists: WeakMap<readonly string[], FlagSlot[]>;
}

/**
 * Per compiled snapshot (so per revision): a slot per flag holding its serialized answers, so a
 * bulk answer of hundreds of flags is mostly lookups and string concatenation.
 */
const slotsOf = new WeakMap<CompiledSnapshot, SnapshotSlots>();

function slots(snapshot: CompiledSnapshot): SnapshotSlots {
  let held = slotsOf.get(snapshot);
  if (!held) {
    const byKey = new Map<string, FlagSlot>();
    const all: FlagSlot[] = [];
    for (const [key, flag] of snapshot.flags) {
      const slot = { key, flag, fragments: new Map() };
      byKey.set(key, slot);
      all.push(slot);
    }
    held = { byKey, all, lists: new WeakMap() };
    slotsOf.set(snapshot, held);
  }
  return held;
}

function fragmentOf(slot: FlagSlot, result: EvaluationResult): Fragment {
  let fragment = slot.fragments.get(result);
  if (fragment === undefined) {
    const json = JSON.stringify(ofrepResult(slot.key, result));
    fragment = { json, bytes: Buffer.from(json), h1: murmur3(json, 1), h2: murmur3(json, 2) };
    // Errors are built per evaluation (core's `failure`): keeping them would grow without bound.
    if (result.reason !== Reason.Error) slot.fragments.set(result, fragment);
  }
  return fragment;
}

/** Evaluates one flag; undefined when the snapshot has no such flag. */
export function evaluateOne(
  snapshot: CompiledSnapshot,
  key: string,
  context: Context,
): { result: EvaluationResult; json: string } | undefined {
  const slot = slots(snapshot).byKey.get(key);
  if (slot === undefined) return undefined;
  const result = evaluateCompiled(snapshot, slot.flag, context);
  return { result, json: fragmentOf(slot, result).json };
}

/** Which flags a bulk request evaluates: all, a list held by the caller (cached per array), or names. */
export type BulkKeys = { all: true } | { list: readonly string[] } | { names: Iterable<string> };

/**
 * The bulk answer's body for `keys` (those the snapshot lacks are left out) and its ETag: a hash of
 * the body, folded from the hashes of its parts (computed once per part), so equal answers get equal
 * tags on every replica without hashing tens of kilobytes per request.
 */
export function evaluateBulk(snapshot: CompiledSnapshot, keys: BulkKeys, context: Context): { body: Buffer; etag: string } {
  const held = slots(snapshot);
  let chosen: FlagSlot[];
  if ('all' in keys) chosen = held.all;
  else if ('list' in keys) {
    let cached = held.lists.get(keys.list);
    if (!cached) {
      cached = keys.list.map((k) => held.byKey.get(k)).filter((slot) => slot !== undefined);
      held.lists.set(keys.list, cached);
    }
    chosen = cached;
  } else {
    chosen = [];
    for (const k of keys.names) {
      const slot = held.byKey.get(k);
      if (slot !== undefined) chosen.push(slot);
    }
  }
  // Bytes, not a string: the answer is copied from UTF-8 made once per fragment instead of being
  // encoded again for every request (tens of kilobytes for hundreds of flags).
  const parts: Fragment[] = new Array(chosen.length);
  let length = HEAD.length + TAIL.length + Math.max(0, chosen.length - 1);
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < chosen.length; i++) {
    const slot = chosen[i] as FlagSlot;
    const fragment = fragmentOf(slot, evaluateCompiled(snapshot, slot.flag, context));
    parts[i] = fragment;
    length += fragment.bytes.length;
    a = Math.imul(a ^ fragment.h1, 0x01000193) ^ i;
    b = Math.imul(b ^ fragment.h2, 0x5bd1e995) + i;
  }
  const body = Buffer.allocUnsafe(length);
  let at = HEAD.copy(body, 0);
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) body[at++] = COMMA;
    at += (parts[i] as Fragment).bytes.copy(body, at);
  }
  TAIL.copy(body, at);
  const etag = `"${(a >>> 0).toString(36)}-${(b >>> 0).toString(36)}-${chosen.length.toString(36)}"`;
  return { body, etag };
}

const HEAD = Buffer.from('{"flags":[');
const TAIL = Buffer.from(']}');
const COMMA = 0x2c;

/** Fields of our context that must be strings when an OFREP context carries them. */
const STRING_FIELDS = ['targetingKey', 'userId', 'sessionId', 'remoteAddress', 'environment', 'appName', 'currentTime'] as const;

/**
 * Our context from a request's `context`, or why it is invalid (INVALID_CONTEXT). Absent means
 * empty. Nested values other than the fields above are ignored, as OFREP's flat context has no
 * place for them in our conditions.
 */
export function contextFrom(value: unknown): { context: Context } | { problem: string } {
  if (value === undefined) return { context: {} };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problem: 'context must be a JSON object' };
  const record = value as Record<string, unknown>;
  for (const field of STRING_FIELDS) {
    const v = record[field];
    if (v !== undefined && typeof v !== 'string') return { problem: `context.${field} must be a string` };
  }
  return { context: fromOfrepContext(record as OfrepContext) };
}
