import {
  ErrorCode,
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  ProviderFatalError,
  ProviderNotReadyError,
  type ResolutionDetails,
  type ResolutionReason,
  StandardResolutionReasons,
  type TrackingEventDetails,
} from '@openfeature/web-sdk';
import { type Client, createClient, type Evaluation } from '../create-client.ts';
import type { ClientOptions } from '../options.ts';
import { toContext } from './to-context.ts';

const REASONS: Record<string, ResolutionReason> = {
  OFF: StandardResolutionReasons.DISABLED,
  ON: StandardResolutionReasons.STATIC,
  RULE_MATCH: StandardResolutionReasons.TARGETING_MATCH,
  NO_RULE_MATCH: StandardResolutionReasons.DEFAULT,
  DEPENDENCY_FAILED: StandardResolutionReasons.DISABLED,
};

type Kind = 'string' | 'number' | 'object';

/**
 * An OpenFeature web provider on a Switchboard browser client. Booleans are "is the flag on";
 * strings, numbers and objects come from the variant's payload (`string`/`csv`, `number`, `json`;
 * a string flag without a payload gives the variant's name). A flag that is off, or on without a
 * variant, gives the default value with the reason why.
 */
export class SwitchboardProvider implements Provider {
  readonly metadata = { name: 'switchboard' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  private client: Client | null = null;
  private offs: Array<() => void> = [];

  /** Takes a client you manage, or the options to create one (closed with the provider). */
  constructor(private readonly source: Client | ClientOptions) {}

  async initialize(context: EvaluationContext = {}): Promise<void> {
    const owned = !('isEnabled' in this.source);
    const client = owned ? createClient({ ...(this.source as ClientOptions), context: toContext(context) }) : (this.source as Client);
    this.client = client;
    let degraded = false;
    this.offs = [
      client.on('change', (flagsChanged) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged })),
      client.on('stale', (e) => {
        degraded = true;
        this.events.emit(ProviderEvents.Stale, { message: e.message });
      }),
      client.on('error', (e) => {
        degraded = true;
        // A refused key: the client gave up for good, the provider is FATAL rather than in ERROR.
        this.events.emit(ProviderEvents.Error, { message: e.message, ...(e.fatal && { errorCode: ErrorCode.PROVIDER_FATAL }) });
      }),
      // The SDK announces the first Ready itself when initialize resolves; this is a recovery.
      client.on('ready', () => {
        if (degraded) this.events.emit(ProviderEvents.Ready);
        degraded = false;
      }),
    ];
    if (!owned && Object.keys(context).length > 0) await client.setContext(toContext(context));
    // Only a refused key rejects `whenReady`: it is FATAL (the provider will not recover by itself).
    await client.whenReady().catch((e: Error) => {
      throw new ProviderFatalError(e.message);
    });
  }

  /** The event goes with the usage report, attributed to the flag results the page was served (`value` is summed). */
  track(trackingEventName: string, _context: EvaluationContext, details?: TrackingEventDetails): void {
    this.client?.track(trackingEventName, details?.value);
  }

  onContextChange(_old: EvaluationContext, next: EvaluationContext): Promise<void> {
    return this.ready().setContext(toContext(next));
  }

  async onClose(): Promise<void> {
    for (const off of this.offs) off();
    if (this.client !== this.source) this.client?.close();
    this.client = null;
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean> {
    const r = this.ready().evaluate(flagKey);
    return (
      this.failed(flagKey, r, defaultValue) ?? {
        value: r.enabled,
        reason: this.reason(r),
        variant: r.variant.name,
        flagMetadata: this.meta(r),
      }
    );
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string> {
    return this.resolveValue(flagKey, defaultValue, 'string');
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number> {
    return this.resolveValue(flagKey, defaultValue, 'number');
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return this.resolveValue(flagKey, defaultValue, 'object');
  }

  private ready(): Client {
    if (!this.client) throw new ProviderNotReadyError('The Switchboard provider is not initialized');
    return this.client;
  }

  private reason(r: Evaluation): ResolutionReason {
    return r.reason === 'ON' && r.variant.enabled
      ? StandardResolutionReasons.SPLIT
      : (REASONS[r.reason] ?? StandardResolutionReasons.UNKNOWN);
  }

  private meta(r: Evaluation): Record<string, string> {
    return r.ruleId ? { ruleId: r.ruleId } : {};
  }

  private failed<T>(flagKey: string, r: Evaluation, value: T): ResolutionDetails<T> | null {
    if (r.reason === 'FLAG_NOT_FOUND') {
      return {
        value,
        reason: StandardResolutionReasons.ERROR,
        errorCode: ErrorCode.FLAG_NOT_FOUND,
        errorMessage: `No flag ${flagKey} in the client view`,
      };
    }
    if (r.reason === 'NOT_READY') {
      return {
        value,
        reason: StandardResolutionReasons.ERROR,
        errorCode: ErrorCode.PROVIDER_NOT_READY,
        errorMessage: `No answer for ${flagKey} yet`,
      };
    }
    if (r.reason === 'ERROR') {
      return { value, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.GENERAL, errorMessage: r.errorMessage };
    }
    return null;
  }

  private resolveValue<T>(flagKey: string, defaultValue: T, kind: Kind): ResolutionDetails<T> {
    const r = this.ready().evaluate(flagKey);
    const failed = this.failed(flagKey, r, defaultValue);
    if (failed) return failed;
    const base = { reason: this.reason(r), flagMetadata: this.meta(r) };
    const variant = r.variant;
    // Off, or on without a variant: there is no value to give but the caller's default.
    if (!r.enabled || !variant.enabled)
      return { ...base, value: defaultValue, reason: r.enabled ? StandardResolutionReasons.DEFAULT : base.reason };
    const payload = variant.payload;
    const mismatch = (errorCode: ErrorCode, errorMessage: string): ResolutionDetails<T> => ({
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode,
      errorMessage: `Flag ${flagKey}, variant ${variant.name}: ${errorMessage}`,
      variant: variant.name,
    });
    if (kind === 'string') {
      if (!payload) return { ...base, value: variant.name as T, variant: variant.name };
      if (payload.type !== 'string' && payload.type !== 'csv')
        return mismatch(ErrorCode.TYPE_MISMATCH, `payload is ${payload.type}, not a string`);
      return { ...base, value: payload.value as T, variant: variant.name };
    }
    if (kind === 'number') {
      const n = payload?.type === 'number' ? Number(payload.value) : Number.NaN;
      if (Number.isNaN(n)) return mismatch(ErrorCode.TYPE_MISMATCH, `payload is ${payload?.type ?? 'missing'}, not a number`);
      return { ...base, value: n as T, variant: variant.name };
    }
    if (payload?.type !== 'json') return mismatch(ErrorCode.TYPE_MISMATCH, `payload is ${payload?.type ?? 'missing'}, not json`);
    try {
      return { ...base, value: JSON.parse(payload.value) as T, variant: variant.name };
    } catch {
      return mismatch(ErrorCode.PARSE_ERROR, 'payload is not valid JSON');
    }
  }
}
