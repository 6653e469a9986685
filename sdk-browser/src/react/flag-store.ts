import type { Client } from '../create-client.ts';

/** Subscriptions per flag key; `null` is the status. */
export interface FlagStore {
  subscribe(key: string | null, listener: () => void): () => void;
}

const stores = new WeakMap<Client, FlagStore>();

/**
 * One set of client listeners per client, fanned out by flag key, so a change to one flag calls
 * only the components that read it (and `useSyncExternalStore` re-renders those whose value moved).
 */
export function flagStore(client: Client): FlagStore {
  let store = stores.get(client);
  if (store) return store;
  const byKey = new Map<string | null, Set<() => void>>();
  const call = (key: string | null) => {
    for (const l of [...(byKey.get(key) ?? [])]) l();
  };
  client.on('change', (keys) => {
    for (const key of keys) call(key);
    call(null);
  });
  // Ready (first values, or back from stale) may move every flag; unchanged ones do not re-render.
  client.on('ready', () => {
    for (const key of [...byKey.keys()]) call(key);
  });
  client.on('stale', () => call(null));
  client.on('error', () => call(null));
  store = {
    subscribe(key, listener) {
      const set = byKey.get(key) ?? new Set();
      byKey.set(key, set.add(listener));
      return () => {
        set.delete(listener);
        if (set.size === 0) byKey.delete(key);
      };
    },
  };
  stores.set(client, store);
  return store;
}
