import type { AnyFlags, EvaluationResult, FlagKey, PayloadOf, VariantNameOf, VariantResult } from '@switchboard/core';
import { DISABLED_VARIANT } from '@switchboard/core/browser';
import { useCallback, useEffect, useSyncExternalStore } from 'react';
import type { Client, ClientStatus, Variant } from '../create-client.ts';
import { useFlagsClient } from './flag-provider.ts';
import { flagStore } from './flag-store.ts';

/** `pick` of the flag's current result, re-read only when this flag's answer may have changed. */
function useFlagValue<T>(key: string, pick: (r: EvaluationResult | undefined) => T): T {
  const client = useFlagsClient();
  const store = flagStore(client);
  const subscribe = useCallback((listener: () => void) => store.subscribe(key, listener), [store, key]);
  const read = () => pick(client.peek(key));
  const value = useSyncExternalStore(subscribe, read, read);
  // Usage metrics count what was shown: once per value, not once per render.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `value` is the trigger, not an input
  useEffect(() => void client.evaluate(key), [client, key, value]);
  return value;
}

/** Whether the flag is on; re-renders only when that answer changes. */
export function useFlag(key: string, fallback = false): boolean {
  // As the client's isEnabled: FLAG_NOT_FOUND, ERROR and NOT_READY are no answer, the fallback.
  return useFlagValue(key, (r) => (!r || /^(F|E|NOT_)/.test(r.reason) ? fallback : r.enabled));
}

/** A variant with its payload parsed: an object for `json`, a number for `number`, else the text. */
export interface ParsedVariant<P = unknown> {
  name: string;
  enabled: boolean;
  payload?: P;
}

// One parsed object per variant object (results keep their objects while unchanged), so
// `useSyncExternalStore` sees the same value until the variant really changes.
const parsed = new WeakMap<VariantResult, ParsedVariant>();
function parse(v: VariantResult, p = v.payload): ParsedVariant {
  let out = parsed.get(v);
  if (!out) {
    let payload: unknown = p?.value;
    try {
      payload = p?.type === 'json' ? JSON.parse(payload as string) : p?.type === 'number' ? +(payload as string) : payload;
    } catch {}
    out = p ? { ...v, payload } : v;
    parsed.set(v, out);
  }
  return out;
}

/**
 * The flag's variant (the `disabled` variant when it is off or unknown), payload parsed; `P` is the
 * payload's type. Re-renders only when the variant changes.
 */
export function useVariant<P = unknown>(key: string): ParsedVariant<P> {
  return useFlagValue(key, (r) => parse(r?.variant ?? DISABLED_VARIANT)) as ParsedVariant<P>;
}

/** `{ ready, stale, error }`, re-rendering when one of them changes. */
export function useFlagsStatus(): ClientStatus {
  const client = useFlagsClient();
  const store = flagStore(client);
  const subscribe = useCallback((listener: () => void) => store.subscribe(null, listener), [store]);
  return useSyncExternalStore(subscribe, client.status, client.status);
}

/** The hooks typed by a `Flags` map, as `createClient<Flags>()` types the client. */
export interface FlagHooks<F = AnyFlags> {
  /** Whether the flag is on; re-renders only when that answer changes. */
  useFlag(key: FlagKey<F>, fallback?: boolean): boolean;
  /** The flag's variant, its name and parsed payload typed from `Flags`; re-renders only when it changes. */
  useVariant<K extends FlagKey<F>>(key: K): Variant<VariantNameOf<F, K> & string, PayloadOf<F, K>>;
  /** `{ ready, stale, error }`, re-rendering when one of them changes. */
  useFlagsStatus(): ClientStatus;
  /** The client of the nearest FlagProvider, typed. */
  useFlagsClient(): Client<F>;
}

/**
 * The hooks above typed by a `Flags` map (what `switchboard types` generates), so that a misspelled
 * key is a compile error and variant names and payloads are typed. The same functions at run time:
 * make them once, at module level, and import them where `useFlag` would be.
 *
 * ```ts
 * export const { useFlag, useVariant, useFlagsStatus, useFlagsClient } = createFlagHooks<Flags>();
 * ```
 */
export const createFlagHooks = <F = AnyFlags>(): FlagHooks<F> => ({ useFlag, useVariant, useFlagsStatus, useFlagsClient }) as never;
