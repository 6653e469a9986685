import { Reason as CoreReason, DISABLED_VARIANT, type EvaluationResult } from '@switchboard/core';

/** Why an evaluation came out as it did: core's reasons, plus one for a client that holds no data yet. */
export const Reason = {
  ...CoreReason,
  /** Nothing is known yet (no bootstrap, cache or server data): the caller's fallback is returned. */
  NotReady: 'NOT_READY',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

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
