import type { CompileOptions, Context, SnapshotPayload } from '@switchboard/core';

/** The part of `localStorage` the cache uses. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The part of `EventSource` the stream uses, so tests and other runtimes can pass their own. */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

export type EventSourceConstructor = new (url: string) => EventSourceLike;

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface ClientOptions {
  /** The Switchboard server, e.g. `https://flags.example.com`. */
  url: string;
  /** A client key (`sbc_...`): it reads the client view of one environment and is safe to ship in a page. */
  clientKey: string;
  context?: Context;
  /** A client view the page already carries (what `GET /api/client/snapshot` returned on the server side). */
  bootstrap?: SnapshotPayload | null;
  /** Where the last good client view is kept between page loads; `null` keeps nothing. Default: localStorage. */
  storage?: StorageLike | null;
  fetch?: typeof fetch;
  /** `null` polls the snapshot instead of streaming. Default: the global EventSource, when there is one. */
  EventSource?: EventSourceConstructor | null;
  /** For SHA-256 of sensitive attributes. Default: `crypto.subtle` (secure contexts only). */
  subtle?: Pick<SubtleCrypto, 'digest'> | null;
  timers?: Timers;
  /** In [0, 1): random stickiness and backoff jitter. */
  random?: () => number;
  /** Milliseconds since the epoch: DATE conditions on `currentTime`, usage intervals. */
  now?: () => number;
  /** How often to poll when streaming is impossible. Default 30 s. */
  pollInterval?: number;
  /** How often to send usage counts; 0 sends none. Default 60 s. */
  metricsInterval?: number;
  /**
   * Operator plug-ins to use at once, e.g. `allOperators` from `@switchboard/core/operators`. Any
   * plug-in not given here (REGEX, SEMVER_*, IN_CIDR) is imported on demand the first time a view
   * uses it, and the view is used once it has arrived.
   */
  operators?: CompileOptions;
}

/** Options with every platform part filled in. */
export interface Resolved extends Required<Omit<ClientOptions, 'context' | 'bootstrap' | 'operators'>> {
  bootstrap?: SnapshotPayload | null;
  operators?: CompileOptions;
}

export function resolveOptions(o: ClientOptions): Resolved {
  const g = globalThis as Partial<typeof globalThis>;
  let storage: StorageLike | null = null;
  try {
    // Reading localStorage throws in sandboxed frames and with storage blocked.
    storage = g.localStorage ?? null;
  } catch {}
  return {
    storage,
    EventSource: g.EventSource ?? null,
    subtle: g.crypto?.subtle ?? null,
    // Unbound, the browser's fetch throws "Illegal invocation".
    fetch: (input, init) => fetch(input, init),
    timers: { set: (f, ms) => setTimeout(f, ms), clear: (h) => clearTimeout(h as number) },
    random: Math.random,
    now: Date.now,
    pollInterval: 30_000,
    metricsInterval: 60_000,
    ...(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ClientOptions),
    url: o.url.replace(/\/+$/, ''),
  };
}

/** The address of one of the server's client endpoints, with the client key. */
export const endpoint = (o: Resolved, path: string) => `${o.url}/api/${path}?key=${encodeURIComponent(o.clientKey)}`;
