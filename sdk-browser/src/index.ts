export type {
  Context,
  EvaluationResult,
  Payload,
  Reason,
  SensitiveSpec,
  SnapshotPayload,
  VariantResult,
} from '@switchboard/core';
export { type Client, type ClientEvents, type ClientStatus, createClient } from './create-client.ts';
export type { ClientOptions, EventSourceConstructor, EventSourceLike, StorageLike, Timers } from './options.ts';
