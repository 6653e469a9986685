import { type EvaluationContext, HEALTHY_STREAM_MS, type Snapshot } from '@switchboard/core';
import { DeliveryMode } from './delivery-mode.ts';
import type { Exposure } from './exposure-tracker.ts';
import { type FileSystem, nodeFileSystem } from './file-system.ts';
import { consoleLogger, type Logger, type SafeLogger, safeLogger } from './logger.ts';
import { staticContextOf } from './static-context.ts';
import { systemTimers, type Timers } from './timers.ts';

/** A client that talks to a server: its URL and a server key are required. */
export interface OnlineClientOptions extends CommonClientOptions {
  /** The server's base URL, e.g. `https://flags.example.com`. */
  url: string;
  /** A server key of the environment to evaluate. */
  sdkKey: string;
  offline?: false;
}

/** No network at all: evaluate `bootstrap` or the cache file only (tests, local development). */
export interface OfflineClientOptions extends CommonClientOptions {
  offline: true;
  /** Ignored offline. */
  url?: string;
  /** Ignored offline. */
  sdkKey?: string;
}

/** `url` and `sdkKey` are required unless `offline: true`. */
export type ClientOptions = OnlineClientOptions | OfflineClientOptions;

export interface CommonClientOptions {
  /** `stream` (default): live updates, polling as fallback. `poll`: the snapshot every `pollIntervalMs`. */
  mode?: DeliveryMode;
  /** Merged under every evaluation context as `appName` (what Unleash SDKs do with their `appName`). */
  appName?: string;
  /** Merged under every evaluation context as `environment`. */
  environment?: string;
  /**
   * Merged under every evaluation context: the call's own fields win, `properties` are merged key by
   * key. `appName` and `environment` above win over the same fields here.
   */
  staticContext?: EvaluationContext;
  /** Snapshot polling interval, in poll mode and while the stream is down. Default 30 s. */
  pollIntervalMs?: number;
  /** Time for a request to be answered (stream headers, a snapshot, a metrics report). Default 10 s. */
  requestTimeoutMs?: number;
  /** A stream silent this long (the server sends a heartbeat every 15 s) is replaced. Default 45 s. */
  heartbeatTimeoutMs?: number;
  /** Reconnect backoff: from `initialMs` (1 s) doubling to `maxMs` (30 s), with jitter; reset after a stream stayed up `resetAfterMs` (60 s), or when a fallback poll finds the server back (the stream is then retried at once); a stream that ends sooner, even on purpose, counts as a failure. */
  backoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  /** The largest event or snapshot accepted; a larger one drops the connection. Default 5 MB. */
  maxEventBytes?: number;
  /** Without word from the server this long, the client is stale. Default: 2 poll intervals + the request timeout, at least 60 s. */
  staleAfterMs?: number;
  /** Data served before anything else is known: a snapshot, or the path of a JSON file holding one. */
  bootstrap?: Snapshot | string;
  /** A file to keep the last good snapshot in, read at start when the server cannot be reached. */
  cacheFile?: string;
  /** Send evaluation counts to the server. Default true. */
  metrics?: boolean;
  /** How often evaluation counts are sent. Default 60 s. */
  metricsIntervalMs?: number;
  /** Distinct flags counted per metrics interval (the server's cap is 5000); more are dropped. */
  maxMetricsFlags?: number;
  /** Called once per (flag, variant, stickiness id) per `exposureWindowMs`, for experiment tooling. */
  onExposure?: (exposure: Exposure) => unknown;
  /** Default one hour. */
  exposureWindowMs?: number;
  /** Exposures remembered for deduplication; the oldest are forgotten first. Default 10,000. */
  maxExposureEntries?: number;
  /** How long `close()` waits for the last metrics report. Default 2 s. */
  closeTimeoutMs?: number;
  /** Default: warnings and errors on the console. */
  logger?: Logger;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Default: the system clock and timers. */
  timers?: Timers;
  /** In [0, 1): random stickiness in evaluations and the backoff's jitter. Default `Math.random`. */
  random?: () => number;
  /** For `cacheFile` and a bootstrap file. Default: `node:fs/promises`. */
  fileSystem?: FileSystem;
}

export interface ResolvedOptions {
  url: string | null;
  sdkKey: string | null;
  /** Why the client cannot reach a server, when it cannot (no URL, say). */
  configurationError: string | null;
  mode: DeliveryMode;
  offline: boolean;
  pollIntervalMs: number;
  requestTimeoutMs: number;
  heartbeatTimeoutMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  backoffResetMs: number;
  maxEventBytes: number;
  staleAfterMs: number;
  bootstrap: Snapshot | string | undefined;
  cacheFile: string | undefined;
  metrics: boolean;
  metricsIntervalMs: number;
  maxMetricsFlags: number;
  onExposure: ((exposure: Exposure) => unknown) | undefined;
  exposureWindowMs: number;
  maxExposureEntries: number;
  closeTimeoutMs: number;
  log: SafeLogger;
  fetch: typeof fetch;
  timers: Timers;
  random: (() => number) | undefined;
  fileSystem: FileSystem;
  /** The context defaults merged under every evaluation's; null when there are none. */
  staticContext: Readonly<EvaluationContext> | null;
}

/**
 * Options with their defaults. Never throws: a bad value is reported and replaced by its default,
 * and a client that cannot reach a server (no URL or key) still serves its bootstrap or cache.
 */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  // Typed callers cannot pass nothing, untyped ones can: the client still starts (and says why it cannot connect).
  const o: CommonClientOptions & { url?: unknown; sdkKey?: unknown; offline?: unknown } = options ?? {};
  const log = safeLogger(o.logger ?? consoleLogger);
  const duration = (name: string, value: number | undefined, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      log.warn(`option ${name} must be a number >= ${min}; using ${fallback}`);
      return fallback;
    }
    return value;
  };

  const offline = o.offline === true;
  let configurationError: string | null = null;
  let url: string | null = null;
  if (!offline) {
    if (typeof o.url !== 'string' || !/^https?:\/\/[^/]/i.test(o.url)) {
      configurationError = `option url must be an http(s) URL, got ${JSON.stringify(o.url)}`;
    } else if (typeof o.sdkKey !== 'string' || o.sdkKey.trim() === '') {
      configurationError = 'option sdkKey is required';
    } else {
      url = o.url.replace(/\/+$/, '');
    }
  }
  let mode: DeliveryMode = DeliveryMode.Stream;
  if (o.mode !== undefined) {
    if (Object.values(DeliveryMode).includes(o.mode)) mode = o.mode;
    else log.warn(`option mode must be "stream" or "poll"; using "stream"`);
  }
  const pollIntervalMs = duration('pollIntervalMs', o.pollIntervalMs, 30_000, 100);
  const requestTimeoutMs = duration('requestTimeoutMs', o.requestTimeoutMs, 10_000, 10);
  const backoffInitialMs = duration('backoff.initialMs', o.backoff?.initialMs, 1000, 1);
  const backoffMaxMs = Math.max(backoffInitialMs, duration('backoff.maxMs', o.backoff?.maxMs, 30_000, 1));

  return {
    url,
    sdkKey: url === null ? null : (o.sdkKey as string).trim(),
    configurationError,
    mode,
    offline,
    pollIntervalMs,
    requestTimeoutMs,
    heartbeatTimeoutMs: duration('heartbeatTimeoutMs', o.heartbeatTimeoutMs, 45_000, 10),
    backoffInitialMs,
    backoffMaxMs,
    backoffResetMs: duration('backoff.resetAfterMs', o.backoff?.resetAfterMs, HEALTHY_STREAM_MS, 0),
    maxEventBytes: duration('maxEventBytes', o.maxEventBytes, 5 * 1024 * 1024, 1024),
    staleAfterMs: duration('staleAfterMs', o.staleAfterMs, Math.max(60_000, 2 * pollIntervalMs + requestTimeoutMs), 10),
    bootstrap: o.bootstrap,
    cacheFile: typeof o.cacheFile === 'string' && o.cacheFile !== '' ? o.cacheFile : undefined,
    metrics: o.metrics !== false,
    metricsIntervalMs: duration('metricsIntervalMs', o.metricsIntervalMs, 60_000, 10),
    maxMetricsFlags: Math.min(5000, duration('maxMetricsFlags', o.maxMetricsFlags, 5000, 1)),
    onExposure: typeof o.onExposure === 'function' ? o.onExposure : undefined,
    exposureWindowMs: duration('exposureWindowMs', o.exposureWindowMs, 3_600_000, 0),
    maxExposureEntries: duration('maxExposureEntries', o.maxExposureEntries, 10_000, 1),
    closeTimeoutMs: duration('closeTimeoutMs', o.closeTimeoutMs, 2000, 0),
    log,
    fetch: o.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timers: o.timers ?? systemTimers,
    random: typeof o.random === 'function' ? o.random : undefined,
    fileSystem: o.fileSystem ?? nodeFileSystem,
    staticContext: staticContextOf(o),
  };
}
