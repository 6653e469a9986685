import {
  type CompiledSnapshot,
  type Context,
  type EvaluationResult,
  evaluateCompiled,
  fromOfrepContext,
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

/**
 * Serialized answers, per compiled snapshot (so per revision), flag and result. Core hands out
 * shared, frozen result objects (one per rule, variant, or off), so a bulk answer of hundreds of
 * flags is mostly string concatenation.
 */
const fragments = new WeakMap<CompiledSnapshot, Map<string, WeakMap<EvaluationResult, string>>>();

function fragmentOf(snapshot: CompiledSnapshot, key: string, result: EvaluationResult): string {
  let byFlag = fragments.get(snapshot);
  if (!byFlag) {
    byFlag = new Map();
    fragments.set(snapshot, byFlag);
  }
  let byResult = byFlag.get(key);
  if (!byResult) {
    byResult = new WeakMap();
    byFlag.set(key, byResult);
  }
  let json = byResult.get(result);
  if (json === undefined) {
    json = JSON.stringify(ofrepResult(key, result));
    byResult.set(result, json);
  }
  return json;
}

/** Evaluates one flag; undefined when the snapshot has no such flag. */
export function evaluateOne(
  snapshot: CompiledSnapshot,
  key: string,
  context: Context,
): { result: EvaluationResult; json: string } | undefined {
  const flag = snapshot.flags.get(key);
  if (flag === undefined) return undefined;
  const result = evaluateCompiled(snapshot, flag, context);
  return { result, json: fragmentOf(snapshot, key, result) };
}

/** The bulk answer's body for `keys` (those the snapshot lacks are left out). */
export function evaluateBulk(snapshot: CompiledSnapshot, keys: Iterable<string>, context: Context): string {
  const parts: string[] = [];
  for (const key of keys) {
    const flag = snapshot.flags.get(key);
    if (flag !== undefined) parts.push(fragmentOf(snapshot, key, evaluateCompiled(snapshot, flag, context)));
  }
  return `{"flags":[${parts.join(',')}]}`;
}

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
