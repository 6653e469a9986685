import type { Reason as CoreReason } from './model.ts';

/**
 * The types both SDKs' typed API is built on (`createClient<Flags>()`), and what `switchboard types`
 * generates: an interface mapping each flag key to `boolean` (a flag without variants) or to
 * `{ variant: 'a' | 'b'; payload: T }` (a flag with variants; `payload` is the parsed payload type).
 *
 * ```ts
 * export interface Flags {
 *   'new-checkout': boolean;
 *   banner: { variant: 'blue' | 'green'; payload: { title: string } };
 * }
 * ```
 */
export type FlagValueType = boolean | { variant: string; payload?: unknown };

/** Without a generated map: any key, any variant name, payloads of unknown type. */
export type AnyFlags = Record<string, FlagValueType>;

export type FlagKey<F> = Extract<keyof F, string>;
/** Keys of the flags that have variants. */
export type VariantFlagKey<F> = { [K in FlagKey<F>]: F[K] extends { variant: string } ? K : never }[FlagKey<F>];
export type VariantNameOf<F, K extends keyof F> = F[K] extends { variant: infer V } ? V : string;
export type PayloadOf<F, K extends keyof F> = F[K] extends { payload: infer P } ? P : unknown;

/**
 * The context an application passes: the known fields typed, custom attributes in `properties`, so
 * `{ userID: 'u' }` (a misspelling) is a compile error. A type alias, so it is assignable to core's
 * `Context` (whose index signature lets core read any attribute).
 */
export type EvaluationContext = {
  userId?: string;
  sessionId?: string;
  remoteAddress?: string;
  environment?: string;
  appName?: string;
  /** ISO date; what DATE_* conditions on `currentTime` compare against (now when absent). */
  currentTime?: string | Date;
  properties?: Record<string, string | number | boolean | null | undefined>;
};

/** Why an evaluation came out as it did, in both SDKs: core's reasons plus NOT_READY. */
export const SdkReason = {
  Off: 'OFF',
  On: 'ON',
  RuleMatch: 'RULE_MATCH',
  NoRuleMatch: 'NO_RULE_MATCH',
  DependencyFailed: 'DEPENDENCY_FAILED',
  NotFound: 'FLAG_NOT_FOUND',
  Error: 'ERROR',
  /** Nothing is known yet (no bootstrap, cache or server data): the caller's fallback is returned. */
  NotReady: 'NOT_READY',
} as const satisfies Record<string, CoreReason | 'NOT_READY'>;
export type SdkReason = (typeof SdkReason)[keyof typeof SdkReason];
