import {
  ErrorCode,
  type EvaluationContext,
  GeneralError,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  ProviderFatalError,
  type ResolutionDetails,
  StandardResolutionReasons,
  type TrackingEventDetails,
} from '@openfeature/server-sdk';
import type { VariantResult } from '@switchboard/core';
import type { ClientOptions } from '../client-options.ts';
import { type Evaluation, Reason } from '../evaluation.ts';
import { type ChangeEvent, type StaleEvent, SwitchboardClient } from '../switchboard-client.ts';
import type { SwitchboardError } from '../switchboard-error.ts';
import { toSwitchboardContext } from './to-switchboard-context.ts';

export interface SwitchboardProviderOptions {
  /** How long `initialize` waits for the first data before the provider reports an error. Default 10 s. */
  readyTimeoutMs?: number;
}

type Picked<T> = { value: T } | { errorCode: ErrorCode; message: string };

const mismatch = (variant: VariantResult, wanted: string): Picked<never> => ({
  errorCode: ErrorCode.TYPE_MISMATCH,
  message: `variant ${JSON.stringify(variant.name)} has ${variant.payload ? `a ${variant.payload.type} payload` : 'no payload'}, not a ${wanted}`,
});

/**
 * An OpenFeature server provider on a Switchboard client. Booleans are the flag's `enabled`; strings,
 * numbers and objects come from the chosen variant's payload (a string flag without payloads gives
 * the variant's name). Evaluation is the client's, in memory.
 */
export class SwitchboardProvider implements Provider {
  readonly metadata = { name: 'switchboard' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly client: SwitchboardClient;
  private readonly owned: boolean;
  private readonly readyTimeoutMs: number;
  private initializeFailed = false;

  /** Takes a client (which stays the caller's to close) or the options to create one (closed with the provider). */
  constructor(clientOrOptions: SwitchboardClient | ClientOptions, options: SwitchboardProviderOptions = {}) {
    this.owned = !(clientOrOptions instanceof SwitchboardClient);
    this.client = clientOrOptions instanceof SwitchboardClient ? clientOrOptions : new SwitchboardClient(clientOrOptions);
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    this.client
      .on('change', this.onChange)
      .on('stale', this.onStale)
      .on('recovered', this.onRecovered)
      .on('ready', this.onReady)
      .on('error', this.onError);
  }

  private readonly onChange = (e: ChangeEvent) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: e.flags });
  private readonly onStale = (e: StaleEvent) =>
    this.events.emit(ProviderEvents.Stale, { message: `no word from the Switchboard server for ${e.sinceMs} ms` });
  private readonly onRecovered = () => this.events.emit(ProviderEvents.Ready, { message: 'connected to the Switchboard server again' });
  private readonly onReady = () => {
    // OpenFeature announces readiness itself when `initialize` succeeds; only a late start needs telling.
    if (this.initializeFailed) this.events.emit(ProviderEvents.Ready, { message: 'flag data arrived' });
  };
  private readonly onError = (error: SwitchboardError) => {
    // A refused key or bad options end all contact for good: OpenFeature's FATAL, not a passing ERROR.
    if (error.fatal) this.events.emit(ProviderEvents.Error, { message: error.message, errorCode: ErrorCode.PROVIDER_FATAL });
  };

  async initialize(): Promise<void> {
    if (await this.client.ready({ timeoutMs: this.readyTimeoutMs })) return;
    this.initializeFailed = true;
    const fatal = this.client.fatal;
    if (fatal !== null) throw new ProviderFatalError(`Switchboard provider not ready: ${fatal.message}`);
    throw new GeneralError(`Switchboard provider not ready: no flag data within ${this.readyTimeoutMs} ms`);
  }

  /** OpenFeature's `track()`: the client's, with the details' `value` as the event's value. */
  track(trackingEventName: string, context: EvaluationContext, trackingEventDetails?: TrackingEventDetails): void {
    this.client.track(trackingEventName, toSwitchboardContext(context), trackingEventDetails?.value);
  }

  /** Closes the client when the provider created it; a client passed in only loses the provider's listeners. */
  async onClose(): Promise<void> {
    this.client.off('change', this.onChange).off('stale', this.onStale).off('recovered', this.onRecovered);
    this.client.off('ready', this.onReady).off('error', this.onError);
    if (this.owned) await this.client.close();
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, defaultValue, context, (result) => ({ value: result.enabled }), false);
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, defaultValue, context, (result) => {
      const { variant } = result;
      if (variant.payload === undefined) return { value: variant.name };
      if (variant.payload.type === 'string' || variant.payload.type === 'csv') return { value: variant.payload.value };
      return mismatch(variant, 'string');
    });
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, defaultValue, context, (result) => {
      const { variant } = result;
      if (variant.payload?.type !== 'number') return mismatch(variant, 'number');
      const text = variant.payload.value.trim();
      const value = Number(text);
      if (text === '' || !Number.isFinite(value)) {
        return {
          errorCode: ErrorCode.PARSE_ERROR,
          message: `variant ${JSON.stringify(variant.name)}: ${JSON.stringify(text)} is not a number`,
        };
      }
      return { value };
    });
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, defaultValue, context, (result) => {
      const { variant } = result;
      if (variant.payload?.type !== 'json') return mismatch(variant, 'JSON object');
      let value: unknown;
      try {
        value = JSON.parse(variant.payload.value);
      } catch {
        return { errorCode: ErrorCode.PARSE_ERROR, message: `variant ${JSON.stringify(variant.name)}: the json payload does not parse` };
      }
      if (value === null || typeof value !== 'object') return mismatch(variant, 'JSON object');
      return { value: value as T };
    });
  }

  /**
   * The shared path: evaluate, map errors and reasons, then `pick` the typed value. When the flag
   * gives no variant (off, no rule matched), a typed flag resolves to the caller's default.
   */
  private resolve<T>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
    pick: (result: Evaluation) => Picked<T>,
    needsVariant = true,
  ): ResolutionDetails<T> {
    const failed = (errorCode: ErrorCode, errorMessage: string): ResolutionDetails<T> => ({
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode,
      errorMessage,
    });
    try {
      const result = this.client.evaluate(flagKey, toSwitchboardContext(context));
      switch (result.reason) {
        case Reason.NotReady:
          return failed(ErrorCode.PROVIDER_NOT_READY, 'no flag data yet');
        case Reason.NotFound:
          return failed(ErrorCode.FLAG_NOT_FOUND, `flag ${JSON.stringify(flagKey)} does not exist in this environment`);
        case Reason.Error:
          return failed(ErrorCode.GENERAL, result.errorMessage ?? 'the flag could not be evaluated');
      }
      const flagMetadata: Record<string, string | number> = {};
      if (result.ruleId !== null && result.ruleId !== '') flagMetadata.ruleId = result.ruleId;
      const revision = this.client.revision;
      if (revision !== null) flagMetadata.revision = revision;
      const variant = result.variant.enabled ? result.variant.name : undefined;
      if (needsVariant && !(result.enabled && result.variant.enabled)) {
        return { value: defaultValue, reason: reasonOf(result, false), flagMetadata };
      }
      const picked = pick(result);
      if ('errorCode' in picked) return { ...failed(picked.errorCode, picked.message), variant, flagMetadata };
      return { value: picked.value, reason: reasonOf(result, needsVariant), variant, flagMetadata };
    } catch (error) {
      return failed(ErrorCode.GENERAL, error instanceof Error ? error.message : String(error));
    }
  }
}

/** Switchboard's reason in OpenFeature's terms. */
function reasonOf(result: Evaluation, fromVariant: boolean): string {
  switch (result.reason) {
    case Reason.RuleMatch:
      return StandardResolutionReasons.TARGETING_MATCH;
    case Reason.On:
      // On for everyone: a fixed answer, unless a weighted split picked the variant.
      return fromVariant && result.variant.enabled ? StandardResolutionReasons.SPLIT : StandardResolutionReasons.STATIC;
    case Reason.Off:
      return StandardResolutionReasons.DISABLED;
    default:
      return StandardResolutionReasons.DEFAULT;
  }
}
