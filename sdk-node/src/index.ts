export type {
  AnyFlags,
  Context,
  EvaluationContext,
  FlagKey,
  FlagValueType,
  PayloadOf,
  Snapshot,
  SnapshotPayload,
  VariantFlagKey,
  VariantNameOf,
  VariantResult,
} from '@switchboard/core';
export { SdkReason } from '@switchboard/core';
export type { ClientOptions, CommonClientOptions, OfflineClientOptions, OnlineClientOptions } from './client-options.ts';
export { createClient } from './create-client.ts';
export { DeliveryMode } from './delivery-mode.ts';
export { type Evaluation, Reason } from './evaluation.ts';
export type { Exposure } from './exposure-tracker.ts';
export type { FileSystem } from './file-system.ts';
export { DataSource } from './flag-store.ts';
export type { Logger } from './logger.ts';
export {
  type ChangeEvent,
  type ClientEvents,
  type FlagVariant,
  type ReadyOptions,
  type StaleEvent,
  SwitchboardClient,
  type VariantOf,
} from './switchboard-client.ts';
export { SwitchboardError, SwitchboardErrorCode, type SwitchboardErrorDetails } from './switchboard-error.ts';
export type { Timers } from './timers.ts';
