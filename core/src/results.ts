import type { EvalEnv } from './conditions.ts';
import type { EvaluateOptions } from './evaluate.ts';
import { type Context, DISABLED_VARIANT, ErrorCode, type EvaluationResult, Reason } from './model.ts';

/** Results and inputs both evaluators share; results are frozen because callers get the same object. */
export const OFF_RESULT: EvaluationResult = Object.freeze({ enabled: false, variant: DISABLED_VARIANT, reason: Reason.Off, ruleId: null });
/** A flag on for everyone, without variants: every such flag gives this one object. */
export const ON_RESULT: EvaluationResult = Object.freeze({ enabled: true, variant: DISABLED_VARIANT, reason: Reason.On, ruleId: null });
export const DEPENDENCY_FAILED_RESULT: EvaluationResult = Object.freeze({ ...OFF_RESULT, reason: Reason.DependencyFailed });
export const NO_MATCH: EvaluationResult = Object.freeze({ ...OFF_RESULT, reason: Reason.NoRuleMatch });
export const NOT_FOUND: EvaluationResult = Object.freeze({ ...OFF_RESULT, reason: Reason.NotFound, errorCode: ErrorCode.FlagNotFound });

/** What anything unexpected during an evaluation becomes. */
export function failure(e: unknown): EvaluationResult {
  return { ...OFF_RESULT, reason: Reason.Error, errorCode: ErrorCode.General, errorMessage: e instanceof Error ? e.message : String(e) };
}

const DEFAULT_ENV: EvalEnv = { now: Date.now, random: Math.random };
const EMPTY_CONTEXT: Context = Object.freeze({});

export const contextOf = (context: Context | null | undefined): Context =>
  context != null && typeof context === 'object' ? context : EMPTY_CONTEXT;

export const envOf = (options: EvaluateOptions | undefined): EvalEnv =>
  options === undefined ? DEFAULT_ENV : { now: options.now ?? Date.now, random: options.random ?? Math.random };
