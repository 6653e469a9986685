import type { BrowserBootstrap, CompileOptions, EvaluationContext, SdkReason, SnapshotPayload } from '@switchboard/core';

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

/** A flag result the page was served, the first time and each time its answer (on/off, variant) changes. */
export interface Exposure {
  flag: string;
  enabled: boolean;
  /** The variant name; `disabled` when the flag is off or has no variants. */
  variant: string;
  reason: SdkReason;
  ruleId: string | null;
  /** The page's context, static defaults included. */
  context: EvaluationContext;
  at: Date;
}

interface CommonOptions {
  context?: EvaluationContext;
  /**
   * What the page already carries: a client view (`GET /api/client/snapshot`), or a `BrowserBootstrap`
   * (the view plus the server's answers for its server-evaluated flags and one context).
   */
  bootstrap?: SnapshotPayload | BrowserBootstrap | null;
  /** Merged under the page's context (the page's own fields win; `properties` key by key), as Unleash SDKs do. */
  appName?: string;
  environment?: string;
  staticContext?: EvaluationContext;
  /** Hears each flag result the page is served, once per flag and answer (for experiment tooling). */
  onExposure?: (exposure: Exposure) => void;
  /** Where the last good client view is kept between page loads; `null` keeps nothing. Default: localStorage. */
  storage?: StorageLike | null;
  fetch?: typeof fetch;
  /** `null` polls the snapshot instead of streaming. Default: the global EventSource, when there is one. */
  EventSource?: EventSourceConstructor | null;
  timers?: Timers;
  /** In [0, 1): random stickiness and backoff jitter. */
  random?: () => number;
  /** Milliseconds since the epoch: DATE conditions on `currentTime`, usage intervals. */
  now?: () => number;
  /** How often to poll when streaming is impossible. Default 30 s. */
  pollInterval?: number;
  /** How often to send usage counts (and tracked events); 0 sends none. Default 60 s. */
  metricsInterval?: number;
  /**
   * Operator plug-ins to use at once, e.g. `allOperators` from `@switchboard/core/operators`. Any
   * plug-in not given here (REGEX, SEMVER_*, IN_CIDR) is imported on demand the first time a view
   * uses it, and the view is used once it has arrived.
   */
  operators?: CompileOptions;
}

export interface OnlineOptions extends CommonOptions {
  /** The Switchboard server, e.g. `https://flags.example.com`. */
  url: string;
  /** A client key (`sbc_...`): it reads the client view of one environment and is safe to ship in a page. */
  clientKey: string;
  offline?: false;
}

/** No network at all (no fetch, no EventSource, no storage): the bootstrap is all the client serves. */
export interface OfflineOptions extends CommonOptions {
  offline: true;
  url?: string;
  clientKey?: string;
}

export type ClientOptions = OnlineOptions | OfflineOptions;

/** Options with every platform part filled in. */
export interface Resolved
  extends Required<
    Omit<CommonOptions, 'context' | 'bootstrap' | 'operators' | 'appName' | 'environment' | 'staticContext' | 'onExposure'>
  > {
  url: string;
  clientKey: string;
  offline?: boolean;
  operators?: CompileOptions;
  onExposure?: (exposure: Exposure) => void;
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
    // Unbound, the browser's fetch throws "Illegal invocation".
    fetch: (input, init) => fetch(input, init),
    timers: { set: (f, ms) => setTimeout(f, ms), clear: (h) => clearTimeout(h as number) },
    random: Math.random,
    now: Date.now,
    pollInterval: 30_000,
    metricsInterval: 60_000,
    ...(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ClientOptions),
    ...(o.offline && { storage: null, metricsInterval: 0 }),
    url: (o.url ?? '').replace(/\/+$/, ''),
    clientKey: o.clientKey ?? '',
  };
}
