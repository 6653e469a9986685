import type { Payload } from '@switchboard/core';

/** Parsed payloads by the payload object: a snapshot's compiled results are built once, so each parses once. */
const parsed = new WeakMap<Payload, unknown>();

/**
 * A variant's payload as the application wants it: `json` parsed, `number` a number, others (`string`,
 * `csv`) the text. Undefined when it does not parse (the server validates payloads, so only a damaged
 * snapshot could). Parsed values are frozen and shared between calls: one caller cannot change
 * another's.
 */
export function parsePayload(payload: Payload | undefined): unknown {
  if (payload === undefined) return undefined;
  if (parsed.has(payload)) return parsed.get(payload);
  let value: unknown;
  switch (payload.type) {
    case 'json':
      try {
        value = deepFreeze(JSON.parse(payload.value));
      } catch {
        value = undefined;
      }
      break;
    case 'number': {
      const text = payload.value.trim();
      const n = Number(text);
      value = text === '' || !Number.isFinite(n) ? undefined : n;
      break;
    }
    default:
      value = payload.value;
  }
  parsed.set(payload, value);
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
