import type { EvaluationResult, OfrepFlagResult } from '@switchboard/core';
import { DISABLED_VARIANT, NOT_FOUND } from '@switchboard/core/browser';

/** Answers of the server for the flags it evaluates for browsers, by key. */
export type RemoteResults = Record<string, EvaluationResult>;

/**
 * The answers for `keys`, every one of them present: FLAG_NOT_FOUND for those the server left out
 * or could not evaluate. OFREP's `value` is the parsed payload; `metadata` has the rest of the result.
 */
export function toResults(flags: OfrepFlagResult[], keys: Iterable<string>): RemoteResults {
  // No prototype: a flag may be called `constructor`.
  const out: RemoteResults = Object.create(null);
  for (const key of keys) out[key] = NOT_FOUND;
  for (const { key, metadata: m, variant: name, value } of flags) {
    if (m && key in out) {
      out[key] = {
        enabled: m.enabled,
        variant:
          !name || name === 'disabled'
            ? DISABLED_VARIANT
            : m.payloadType
              ? { name, enabled: true, payload: { type: m.payloadType, value: typeof value === 'string' ? value : JSON.stringify(value) } }
              : { name, enabled: true },
        reason: m.reason,
        ruleId: m.ruleId ?? null,
      };
    }
  }
  return out;
}
