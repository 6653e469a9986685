import {
  type AnyFlags,
  DISABLED_VARIANT,
  type EvaluationContext,
  type EvaluationResult,
  type FlagKey,
  NOT_FOUND,
  type Payload,
  type PayloadOf,
  Reason,
  SwitchboardError,
  SwitchboardErrorCode,
  type VariantNameOf,
} from '@switchboard/core';
import type { Client, ClientEvents, ClientStatus } from './create-client.ts';
import { createEmitter } from './emitter.ts';

/**
 * A flag's value in a test: `true`/`false`, or a variant with its payload as the application reads
 * it (parsed: an object for `json`, a number for `number`). `enabled: false` makes a variant flag off.
 */
export type TestFlagValue = boolean | { variant: string; payload?: unknown; enabled?: boolean };

/** The flags a test client starts with; keys left out are unknown (their fallback is returned). */
export type TestFlags<F = AnyFlags> = { [K in FlagKey<F>]?: F[K] | TestFlagValue };

/** What `variant()` returns, with the payload parsed (contract of the typed API, issue 13). */
export interface TestVariant<F, K extends keyof F> {
  name: VariantNameOf<F, K> | 'disabled';
  enabled: boolean;
  payload?: PayloadOf<F, K>;
}

/** One `track()` call, as recorded. */
export interface TrackedEvent {
  name: string;
  context: EvaluationContext;
  value?: number;
}

/**
 * A client for tests: the same methods and events as `createClient`'s, answering from the values it
 * was given, with no network, no timers and no storage. `set` changes a value and emits `change`, so
 * bound UIs (React hooks) re-render as they would on a live update.
 */
export interface TestClient<F = AnyFlags> extends Omit<Client, 'variant' | 'isEnabled'> {
  isEnabled(flag: FlagKey<F>, fallback?: boolean): boolean;
  variant<K extends FlagKey<F>>(flag: K): TestVariant<F, K>;
  /** The payload of the flag's variant when it is on and its payload is JSON; `fallback` otherwise. */
  jsonValue<T>(flag: FlagKey<F>, fallback: T): T;
  /** Recorded in `tracked`; `track(name, value)` and `track(name, context, value)` both work. */
  track(name: string, contextOrValue?: EvaluationContext | number, value?: number): void;
  /** Changes one flag (`undefined`: the flag becomes unknown) and emits `change` when its answer moved. */
  set<K extends FlagKey<F>>(flag: K, value: F[K] | TestFlagValue | undefined): void;
  /** Changes the status (`{ stale: true }`, `{ error }`), emitting `stale`, `error` or `ready` as the real client would. */
  setStatus(next: Partial<ClientStatus>): void;
  off<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): void;
  /** Every `track()` call so far. */
  readonly tracked: TrackedEvent[];
  /** The context last given (`createTestClient`'s `context` option, `setContext`, `identify`). */
  readonly context: EvaluationContext;
  /** How often each flag was evaluated through `isEnabled`/`variant`/`jsonValue`/`evaluate` (what the real client counts as usage). */
  readonly evaluations: Record<string, number>;
  readonly closed: boolean;
}

export interface TestClientOptions {
  context?: EvaluationContext;
  /** Whether the client starts ready (default true); `setStatus({ ready: true })` makes it ready later. */
  ready?: boolean;
}

/** The payload as the wire carries it (`{ type, value: string }`), for `evaluate()`'s core result. */
function toWirePayload(payload: unknown): Payload | undefined {
  if (payload === undefined) return undefined;
  if (typeof payload === 'string') return { type: 'string', value: payload };
  if (typeof payload === 'number') return { type: 'number', value: String(payload) };
  return { type: 'json', value: JSON.stringify(payload) };
}

function toResult(value: TestFlagValue): EvaluationResult {
  if (typeof value === 'boolean')
    return { enabled: value, variant: DISABLED_VARIANT, reason: value ? Reason.On : Reason.Off, ruleId: null };
  const enabled = value.enabled !== false;
  const payload = toWirePayload(value.payload);
  return {
    enabled,
    variant: enabled ? { name: value.variant, enabled: true, ...(payload && { payload }) } : DISABLED_VARIANT,
    reason: enabled ? Reason.On : Reason.Off,
    ruleId: null,
  };
}

/**
 * A test double of the browser client (`createClient`), typed by the same `Flags` map:
 *
 * ```ts
 * const flags = createTestClient<Flags>({ 'new-checkout': true, banner: { variant: 'b', payload: { title: 'Hi' } } });
 * flags.isEnabled('new-checkout'); // true
 * flags.variant('banner').payload?.title; // 'Hi'
 * flags.set('new-checkout', false); // emits change(['new-checkout'])
 * ```
 */
export function createTestClient<F = AnyFlags>(flags: TestFlags<F> = {}, options: TestClientOptions = {}): TestClient<F> {
  const events = createEmitter<ClientEvents>();
  // No prototype: a flag may be called `constructor`.
  const values: Record<string, TestFlagValue> = Object.create(null);
  const results: Record<string, EvaluationResult> = Object.create(null);
  const evaluations: Record<string, number> = Object.create(null);
  const tracked: TrackedEvent[] = [];
  let context: EvaluationContext = options.context ?? {};
  let status: ClientStatus = { ready: options.ready !== false, stale: false, error: null };
  let closed = false;
  let markReady: () => void = () => {};
  const whenReady = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  if (status.ready) markReady();

  const put = (key: string, value: TestFlagValue | undefined) => {
    if (value === undefined) {
      delete values[key];
      delete results[key];
    } else {
      values[key] = value;
      results[key] = toResult(value);
    }
  };
  for (const [key, value] of Object.entries(flags)) put(key, value as TestFlagValue | undefined);

  /** What the application sees of a flag: nothing before ready, as with the real client. */
  const current = (key: string): EvaluationResult | undefined => (status.ready ? results[key] : undefined);
  const counted = (key: string): EvaluationResult => {
    evaluations[key] = (evaluations[key] ?? 0) + 1;
    return current(key) ?? NOT_FOUND;
  };
  const setContext = async (next: EvaluationContext) => {
    context = next ?? {};
  };

  const client: TestClient<F> = {
    isEnabled(flag, fallback = false) {
      const r = counted(flag);
      return r.reason === Reason.NotFound || r.reason === Reason.Error ? fallback : r.enabled;
    },
    variant<K extends FlagKey<F>>(flag: K) {
      const r = counted(flag);
      const v = values[flag];
      const parsed = r.variant.enabled && typeof v === 'object' ? { ...r.variant, payload: v.payload } : r.variant;
      const { name, enabled, payload } = parsed as { name: string; enabled: boolean; payload?: unknown };
      return (payload === undefined ? { name, enabled } : { name, enabled, payload }) as TestVariant<F, K>;
    },
    jsonValue<T>(flag: FlagKey<F>, fallback: T): T {
      const r = counted(flag);
      const v = values[flag];
      return r.enabled && r.variant.payload?.type === 'json' && typeof v === 'object' ? (v.payload as T) : fallback;
    },
    evaluate: counted,
    peek: current,
    allFlags: () => (status.ready ? { ...results } : {}),
    setContext,
    identify: setContext,
    status: () => status,
    whenReady: () => whenReady,
    on: events.on,
    off(event, listener) {
      // Listeners are a set: adding one already there changes nothing, and its remover removes it.
      events.on(event, listener)();
    },
    track(name, contextOrValue, value) {
      if (typeof contextOrValue === 'number') tracked.push({ name, context, value: contextOrValue });
      else tracked.push({ name, context: contextOrValue ?? context, ...(value !== undefined && { value }) });
    },
    set(flag, value) {
      const before = current(flag);
      put(flag, value as TestFlagValue | undefined);
      const after = current(flag);
      if (!closed && JSON.stringify([before?.enabled, before?.variant]) !== JSON.stringify([after?.enabled, after?.variant]))
        events.emit('change', [flag]);
    },
    setStatus(next) {
      const was = status;
      status = { ...status, ...next };
      if (closed) return;
      if (status.ready && !was.ready) {
        markReady();
        events.emit('ready');
        return;
      }
      if (status.stale && !was.stale)
        events.emit('stale', status.error ?? new SwitchboardError(SwitchboardErrorCode.Network, 'Delivery interrupted'));
      if (status.error && status.error !== was.error) events.emit('error', status.error);
      if (status.ready && ((was.stale && !status.stale) || (was.error && !status.error))) events.emit('ready');
    },
    get tracked() {
      return tracked;
    },
    get context() {
      return context;
    },
    get evaluations() {
      return evaluations;
    },
    get closed() {
      return closed;
    },
    close() {
      closed = true;
      events.clear();
    },
  };
  // Ready from the start, yet listeners added right after creation hear `ready`, as with a bootstrapped client.
  if (status.ready) queueMicrotask(() => !closed && events.emit('ready'));
  return client;
}
