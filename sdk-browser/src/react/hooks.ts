import { DISABLED_VARIANT, type EvaluationResult, type VariantResult } from '@switchboard/core';
import { useCallback, useEffect, useSyncExternalStore } from 'react';
import type { ClientStatus } from '../create-client.ts';
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
  return useFlagValue(key, (r) => (!r || r.reason === 'ERROR' ? fallback : r.enabled));
}

/** The flag's variant (the `disabled` variant when it is off or unknown); re-renders only when it changes. */
export function useVariant(key: string): VariantResult {
  return useFlagValue(key, (r) => r?.variant ?? DISABLED_VARIANT);
}

/** `{ ready, stale, error }`, re-rendering when one of them changes. */
export function useFlagsStatus(): ClientStatus {
  const client = useFlagsClient();
  const store = flagStore(client);
  const subscribe = useCallback((listener: () => void) => store.subscribe(null, listener), [store]);
  return useSyncExternalStore(subscribe, client.status, client.status);
}
