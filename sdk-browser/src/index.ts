export type {
  AnyFlags,
  BrowserBootstrap,
  EvaluationContext,
  EvaluationResult,
  FlagKey,
  FlagValueType,
  Payload,
  PayloadOf,
  Reason,
  SdkReason,
  SnapshotPayload,
  SwitchboardErrorCode,
  VariantFlagKey,
  VariantNameOf,
  VariantResult,
} from '@switchboard/core';
export { SwitchboardError } from '@switchboard/core/browser';
export {
  type Client,
  type ClientEvents,
  type ClientStatus,
  createClient,
  type Evaluation,
  type Variant,
} from './create-client.ts';
export type {
  ClientOptions,
  EventSourceConstructor,
  EventSourceLike,
  Exposure,
  OfflineOptions,
  OnlineOptions,
  StorageLike,
  Timers,
} from './options.ts';
