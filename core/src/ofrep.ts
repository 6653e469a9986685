import type { Context, Reason, SnapshotPayload } from './index.ts';

/**
 * The OpenFeature Remote Evaluation Protocol (OFREP, open-feature/protocol) as Switchboard speaks it:
 * the server answers `POST /ofrep/v1/evaluate/flags[/{key}]`, and browsers use the bulk endpoint for
 * the flags of their client view that are evaluated on the server (`remote: true`, see FlagConfig).
 * Types and the context mapping only: both sides share them, neither re-implements them.
 */

/** What `metadata` of one OFREP result carries, so an SDK can rebuild Switchboard's own result. */
export interface OfrepMetadata {
  /** Whether the flag is on for this context (OFREP's `value` is the payload for variant flags). */
  enabled: boolean;
  /** Switchboard's reason (OFREP's `reason` is the spec's closed set). */
  reason: Reason;
  ruleId?: string;
  /** The variant payload's type (`string`, `number`, `json`, `csv`); the payload itself is `value`. */
  payloadType?: string;
}

/** One flag's answer, as in OFREP's `evaluationSuccess` / `evaluationFailure`. */
export interface OfrepFlagResult {
  key: string;
  value?: unknown;
  reason?: string;
  variant?: string;
  errorCode?: string;
  errorDetails?: string;
  metadata?: OfrepMetadata;
}

export interface OfrepBulkResponse {
  flags: OfrepFlagResult[];
  metadata?: Record<string, unknown>;
}

/** OFREP's flat context: `targetingKey` plus any attributes. */
export type OfrepContext = Record<string, unknown> & { targetingKey?: string };

/** Switchboard context fields that live at the top level, not in `properties`. */
const TOP_LEVEL = ['userId', 'sessionId', 'remoteAddress', 'environment', 'appName', 'currentTime'] as const;

/**
 * OFREP context to ours: `targetingKey` is the sticky id (`userId`) unless `userId` is also given;
 * the known fields stay at the top level, everything else goes into `properties`.
 */
export function fromOfrepContext(input: OfrepContext): Context {
  const context: Context = {};
  const properties: Record<string, string | number | boolean | null> = {};
  for (const [name, value] of Object.entries(input)) {
    if (name === 'targetingKey') continue;
    if ((TOP_LEVEL as readonly string[]).includes(name)) context[name] = value;
    else if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
      properties[name] = value as string | number | boolean | null;
  }
  if (context.userId === undefined && typeof input.targetingKey === 'string' && input.targetingKey !== '')
    context.userId = input.targetingKey;
  if (Object.keys(properties).length > 0) context.properties = properties;
  return context;
}

/** Ours to OFREP's: `userId` becomes `targetingKey` as well, `properties` are flattened. */
export function toOfrepContext(context: Context): OfrepContext {
  const { properties, ...rest } = context;
  const out: OfrepContext = { ...properties };
  for (const [name, value] of Object.entries(rest))
    if (value !== undefined) out[name] = value instanceof Date ? value.toISOString() : value;
  if (typeof context.userId === 'string') out.targetingKey = context.userId;
  return out;
}

/**
 * What a browser client takes as `bootstrap` when the page was rendered on a server: the client view
 * and, for its `remote` flags, the server's answers for `context` (exactly what the bulk endpoint
 * returned). A plain `SnapshotPayload` is still accepted (no remote answers: fetched on start).
 */
export interface BrowserBootstrap {
  snapshot: SnapshotPayload;
  context: Context;
  results: OfrepFlagResult[];
}
