import { DISABLED_VARIANT, type EvaluationResult, SdkReason } from '@switchboard/core';

/** Why an evaluation came out as it did: core's reasons, plus one for a client that holds no data yet (both SDKs: core's `SdkReason`). */
export const Reason = SdkReason;
export type Reason = SdkReason;

/** One flag for one context: core's result, whose reason may also be `NOT_READY`. */
export interface Evaluation extends Omit<EvaluationResult, 'reason'> {
  reason: Reason;
}

export const NOT_READY: Evaluation = Object.freeze({
  enabled: false,
  variant: DISABLED_VARIANT,
  reason: Reason.NotReady,
  ruleId: null,
});
