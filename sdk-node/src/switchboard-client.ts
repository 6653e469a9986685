import {
  type AnyFlags,
  type CompiledFlag,
  type Context,
  Reason as CoreReason,
  DISABLED_VARIANT,
  type EvaluateOptions,
  type EvaluationContext,
  type EvaluationResult,
  evaluate,
  evaluateAll,
  evaluateCompiled,
  type FlagKey,
  type PatchPayload,
  type PayloadOf,
  resolveAttribute,
  type SnapshotPayload,
  TrackingAggregator,
  type VariantNameOf,
} from '@switchboard/core';
import { allOperators } from '@switchboard/core/operators';
import { type ClientOptions, type ResolvedOptions, resolveOptions } from './client-options.ts';
import { type Evaluation, NOT_READY } from './evaluation.ts';
import { ExposureTracker } from './exposure-tracker.ts';
import { cacheSource, FileCache } from './file-cache.ts';
import { DataSource, FlagStore } from './flag-store.ts';
import { FlagTable } from './flag-table.ts';
import type { SafeLogger } from './logger.ts';
import { MetricsReporter } from './metrics-reporter.ts';
import { parseBootstrap } from './parse-bootstrap.ts';
import { parsePayload } from './parse-payload.ts';
import { SafeEmitter } from './safe-emitter.ts';
import { withStaticContext } from './static-context.ts';
import { stickinessOf } from './stickiness-of.ts';
import { SwitchboardError, SwitchboardErrorCode } from './switchboard-error.ts';
import { PatchVerdict, Synchronizer } from './synchronizer.ts';
import { UsageCounter } from './usage-counter.ts';

export interface ChangeEvent {
  /** Keys of the flags whose configuration changed (added, removed, edited, or using a changed segment). */
  flags: string[];
  revision: number;
  source: DataSource;
}

export interface StaleEvent {
  /** How long the client has gone without word from the server. */
  sinceMs: number;
}

export interface ClientEvents {
  /** The first data is in (bootstrap, cache or server): evaluations use it from now on. */
  ready: [];
  change: [ChangeEvent];
  /** A delivery failure; `fatal` ones (wrong key or URL) end all contact with the server. */
  error: [SwitchboardError];
  /** No confirmed-current data for `staleAfterMs`: the client serves what it last had. */
  stale: [StaleEvent];
  /** Live updates flow again after `stale` (the stream is back and delivering; a fallback poll is not enough). */
  recovered: [];
}

/**
 * A flag's variant for one context, its payload parsed (`json` an object, `number` a number, others
 * the text). `disabled` (not enabled, no payload) when the flag is off or gives no variant.
 */
export interface FlagVariant<Name extends string = string, P = unknown> {
  name: Name | 'disabled';
  enabled: boolean;
  payload?: P;
}

/** The variant type of flag `K` in the flag map `F` (see `createClient<Flags>()`). */
export type VariantOf<F, K extends keyof F> = FlagVariant<VariantNameOf<F, K> & string, PayloadOf<F, K>>;

const NO_VARIANT: FlagVariant<never, never> = Object.freeze({ name: 'disabled', enabled: false });

export interface ReadyOptions {
  /** Default 10 s; `Infinity` waits for as long as it takes. */
  timeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 10_000;

/** Who an event is about: the context's userId, else sessionId, else remoteAddress. */
function stickyIdOf(context: EvaluationContext): string | undefined {
  const ctx = context as Context;
  return resolveAttribute(ctx, 'userId') ?? resolveAttribute(ctx, 'sessionId') ?? resolveAttribute(ctx, 'remoteAddress');
}

/**
 * A client for one environment. Evaluation is core's, on the compiled snapshot held in memory: no
 * call on the evaluation path touches the network, and none throws. Delivery, the cache, usage
 * metrics and exposures run in the background and report through events and the logger.
 *
 * `F` maps flag keys to their types (what `switchboard types` generates), so a misspelled key is a
 * compile error and payloads are typed; without it any key is accepted and payloads are `unknown`.
 */
export class SwitchboardClient<F = AnyFlags> {
  private readonly o: ResolvedOptions;
  private readonly log: SafeLogger;
  private readonly events: SafeEmitter<ClientEvents>;
  private readonly store = new FlagStore(allOperators);
  private readonly evaluateOptions: EvaluateOptions | undefined;
  /** The options' context defaults; null (the common case) costs the evaluation path one comparison. */
  private readonly defaults: Readonly<EvaluationContext> | null;
  private readonly counter: UsageCounter | null = null;
  private readonly reporter: MetricsReporter | null = null;
  private readonly exposures: ExposureTracker | null = null;
  /** Created by the first `track()`: until an application tracks, evaluations remember nothing for it. */
  private tracking: TrackingAggregator | null = null;
  private readonly cache: FileCache | null = null;
  private readonly sync: Synchronizer | null = null;
  private readonly cached: Promise<SnapshotPayload | null> | null = null;
  private readonly waiters = new Set<(ready: boolean) => void>();
  private readonly background = new Set<Promise<void>>();
  private pendingLoads = 0;
  private cacheTried = false;
  private serverRevision: number | null = null;
  private fatalError: SwitchboardError | null = null;
  private closing: Promise<void> | null = null;
  private stale = false;
  private lastConfirmedAt: number;
  private staleTimer: unknown;
  private notReadyLogged = false;
  private failing = false;
  /** The store's compiled snapshot, its flags under their usage counters' slots; null before any data. */
  private table: FlagTable | null = null;

  constructor(options: ClientOptions) {
    this.o = resolveOptions(options);
    const o = this.o;
    this.defaults = o.staticContext;
    this.log = o.log;
    this.events = new SafeEmitter((event, error) => this.log.error(`a "${event}" listener failed; the client carries on`, error));
    this.evaluateOptions = o.random === undefined ? undefined : { random: o.random };
    this.lastConfirmedAt = o.timers.now();
    const now = () => o.timers.now();

    if (o.onExposure) {
      this.exposures = new ExposureTracker(o.onExposure, { windowMs: o.exposureWindowMs, maxEntries: o.maxExposureEntries }, now, (error) =>
        this.log.error('onExposure failed; the client carries on', error),
      );
    }
    if (o.cacheFile !== undefined) {
      // In offline mode (or misconfigured) nothing identifies the environment: the file is taken as given.
      const source = o.url !== null && o.sdkKey !== null ? cacheSource(o.url, o.sdkKey) : null;
      this.cache = new FileCache(o.cacheFile, source, o.fileSystem, this.log);
      this.cached = this.cache.read();
    }
    // Before any data is taken (the bootstrap, just below): each snapshot's flag table counts into the counter.
    if (!o.offline && o.url !== null && o.sdkKey !== null && o.metrics) {
      this.counter = new UsageCounter({ maxFlags: o.maxMetricsFlags, maxVariantsPerFlag: 50 }, now);
      this.reporter = new MetricsReporter({
        url: `${o.url}/api/sdk/metrics`,
        sdkKey: o.sdkKey,
        fetch: o.fetch,
        timers: o.timers,
        intervalMs: o.metricsIntervalMs,
        timeoutMs: o.requestTimeoutMs,
        counter: this.counter,
        tracking: () => this.tracking,
        log: this.log,
      });
      this.reporter.start();
    }
    this.loadBootstrap();

    if (!o.offline && o.url !== null && o.sdkKey !== null) {
      this.sync = new Synchronizer(
        {
          url: o.url,
          sdkKey: o.sdkKey,
          mode: o.mode,
          fetch: o.fetch,
          timers: o.timers,
          random: o.random ?? Math.random,
          log: this.log,
          requestTimeoutMs: o.requestTimeoutMs,
          heartbeatTimeoutMs: o.heartbeatTimeoutMs,
          maxEventBytes: o.maxEventBytes,
          pollIntervalMs: o.pollIntervalMs,
          backoffInitialMs: o.backoffInitialMs,
          backoffMaxMs: o.backoffMaxMs,
          backoffResetMs: o.backoffResetMs,
        },
        {
          heldRevision: () => (this.store.source === DataSource.Server ? this.serverRevision : null),
          snapshot: (snapshot) => this.apply(snapshot, DataSource.Server),
          patch: (patch) => this.applyPatch(patch),
          confirmed: (live) => this.confirmed(live),
          failed: (error) => this.failed(error),
        },
      );
      this.sync.start();
      this.armStaleTimer();
    } else if (o.configurationError !== null) {
      const error = new SwitchboardError(SwitchboardErrorCode.Configuration, o.configurationError, { fatal: true });
      // After the caller's synchronous code, so listeners attached right after createClient hear it.
      queueMicrotask(() => this.failed(error));
    } else {
      this.useCache();
    }
  }

  /**
   * Resolves true once there is data to evaluate (bootstrap, cache or server), false when the time
   * is up, the client is closed, or nothing can come (a refused key and no cache). Never rejects.
   */
  ready(options: ReadyOptions = {}): Promise<boolean> {
    if (this.table !== null) return Promise.resolve(true);
    if (this.closing !== null || this.hopeless()) return Promise.resolve(false);
    const requested = options?.timeoutMs;
    const timeoutMs = typeof requested === 'number' && requested >= 0 ? requested : DEFAULT_READY_TIMEOUT_MS;
    return new Promise((resolve) => {
      let timer: unknown;
      const settle = (ready: boolean) => {
        this.waiters.delete(settle);
        if (timer !== undefined) this.o.timers.clearTimeout(timer);
        resolve(ready);
      };
      this.waiters.add(settle);
      if (Number.isFinite(timeoutMs)) timer = this.o.timers.setTimeout(() => settle(false), timeoutMs);
    });
  }

  /*
   * The evaluation path. Core's `evaluateCompiled` never throws, nor can the table lookup or the
   * counting; exposures call the application and are guarded where they do. So no try/catch here,
   * which keeps this path as short as core's own (a bench compares them): one lookup giving the flag's
   * slot (none when the flag is the one asked about last), core's evaluation, and one typed-array
   * cell bumped (the usage counter's, at that slot).
   */

  /** Whether the flag is on for this context; `fallback` when nothing is known yet or the flag does not exist. */
  isEnabled(flag: FlagKey<F>, context?: EvaluationContext | null, fallback = false): boolean {
    if (this.defaults !== null) context = withStaticContext(this.defaults, context);
    const table = this.table;
    const slot = table === null ? -1 : table.find(flag);
    if (table === null || slot < 0) {
      this.notEvaluated(flag, 'isEnabled', fallback);
      return fallback;
    }
    const result = evaluateCompiled(table.snapshot, table.flags[slot] as CompiledFlag, context, this.evaluateOptions);
    // Only a false answer can be a broken flag, and only a true fallback changes it: the common
    // calls skip the reason comparison. `=== true` (enabled is a boolean) makes `value` a known
    // boolean for the compiler, so its tests here and in the caller are one comparison each.
    const value = result.enabled === true || (fallback && result.reason === CoreReason.Error);
    const counter = this.counter;
    if (counter !== null) counter.countSlot(slot, value, result.variant);
    if (this.exposures !== null) this.expose(flag, context, result, value);
    if (this.tracking !== null) this.remember(flag, context, value, result);
    return value;
  }

  /**
   * The variant this context gets, its payload parsed; `fallback` (the `disabled` variant by
   * default) when it gets none. Parsed payloads are frozen and shared between calls.
   */
  variant<K extends FlagKey<F>>(flag: K, context?: EvaluationContext | null, fallback?: VariantOf<F, K>): VariantOf<F, K> {
    const result = this.evaluateVariant(flag, context, 'variant');
    if (result === null) return fallback ?? NO_VARIANT;
    const { variant } = result;
    if (variant.payload === undefined) return { name: variant.name as VariantOf<F, K>['name'], enabled: true };
    return { name: variant.name as VariantOf<F, K>['name'], enabled: true, payload: parsePayload(variant.payload) as PayloadOf<F, K> };
  }

  /**
   * The variant's `json` payload, parsed; `fallback` when the flag gives no variant or its payload is
   * not JSON. `T` is the caller's word for the payload's shape (the client does not check it).
   */
  jsonValue<T>(flag: FlagKey<F>, fallback: T, context?: EvaluationContext | null): T {
    const result = this.evaluateVariant(flag, context, 'jsonValue');
    const payload = result?.variant.payload;
    if (payload === undefined || payload.type !== 'json') return fallback;
    const value = parsePayload(payload);
    return value === undefined ? fallback : (value as T);
  }

  /** The flag's result when it gives a variant (counted and exposed as any evaluation); null otherwise. */
  private evaluateVariant(flag: string, context: EvaluationContext | null | undefined, method: string): EvaluationResult | null {
    if (this.defaults !== null) context = withStaticContext(this.defaults, context);
    const table = this.table;
    const slot = table === null ? -1 : table.find(flag);
    if (table === null || slot < 0) {
      this.notEvaluated(flag, method, false);
      return null;
    }
    const result = evaluateCompiled(table.snapshot, table.flags[slot] as CompiledFlag, context, this.evaluateOptions);
    this.counter?.countSlot(slot, result.enabled, result.variant);
    if (this.exposures !== null) this.expose(flag, context, result, result.enabled);
    if (this.tracking !== null) this.remember(flag, context, result.enabled, result);
    return result.enabled && result.variant.enabled ? result : null;
  }

  /** The full outcome: enabled, variant (payload as sent), reason, the rule that matched, and an error code when there was one. */
  evaluate(flag: FlagKey<F>, context?: EvaluationContext | null): Evaluation {
    if (this.defaults !== null) context = withStaticContext(this.defaults, context);
    const table = this.table;
    if (table === null) {
      this.notEvaluated(flag, 'evaluate', false);
      return NOT_READY;
    }
    const slot = table.find(flag);
    if (slot < 0) {
      this.notEvaluated(flag, 'evaluate', false);
      // Core's own answer for a flag the snapshot lacks.
      return evaluate(table.snapshot, flag, context, this.evaluateOptions);
    }
    const result = evaluateCompiled(table.snapshot, table.flags[slot] as CompiledFlag, context, this.evaluateOptions);
    this.counter?.countSlot(slot, result.enabled, result.variant);
    if (this.exposures !== null) this.expose(flag, context, result, result.enabled);
    if (this.tracking !== null) this.remember(flag, context, result.enabled, result);
    return result;
  }

  /**
   * Records an event (a conversion, a purchase with its `value`) for the flag results this context
   * (its userId, else sessionId or remoteAddress) was served recently; sent, aggregated, with the
   * usage report. Results are remembered from the first `track()` on, in bounded memory. A no-op
   * offline or with `metrics: false`. Never throws.
   */
  track(name: string, context?: EvaluationContext | null, value?: number): void {
    if (this.reporter === null) return;
    try {
      this.tracking ??= new TrackingAggregator();
      if (this.defaults !== null) context = withStaticContext(this.defaults, context);
      this.tracking.track(name, context == null ? undefined : stickyIdOf(context), value);
    } catch (error) {
      this.log.error('an event could not be tracked', error);
    }
  }

  private remember(flag: string, context: EvaluationContext | null | undefined, enabled: boolean, result: EvaluationResult): void {
    if (context == null || result.reason === CoreReason.NotFound) return;
    try {
      const id = stickyIdOf(context);
      if (id !== undefined) this.tracking?.remember(id, flag, { enabled, variant: result.variant.name, ruleId: result.ruleId });
    } catch (error) {
      // A context whose getters throw: the evaluation stands, the attribution is lost.
      this.log.error('a result could not be remembered for track()', error);
    }
  }

  /** Every flag for one context (to hand to a front end, say). Not counted in usage metrics or exposures. */
  allFlags(context?: EvaluationContext | null): Record<string, Evaluation> {
    try {
      if (this.defaults !== null) context = withStaticContext(this.defaults, context);
      const table = this.table;
      return table === null ? {} : evaluateAll(table.snapshot, context, this.evaluateOptions);
    } catch (error) {
      this.unexpected(error);
      return {};
    }
  }

  on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => unknown): this {
    this.events.on(event, listener);
    return this;
  }

  once<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => unknown): this {
    this.events.once(event, listener);
    return this;
  }

  off<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => unknown): this {
    this.events.off(event, listener);
    return this;
  }

  get isReady(): boolean {
    return this.table !== null;
  }

  /** True while the client has gone `staleAfterMs` without word from the server, or after a fatal error. */
  get isStale(): boolean {
    return this.stale;
  }

  /** The revision evaluated, and where it came from; null before any data. */
  get revision(): number | null {
    return this.store.snapshot?.revision ?? null;
  }

  get source(): DataSource | null {
    return this.store.source;
  }

  /** The error that ended contact with the server, if one did. */
  get fatal(): SwitchboardError | null {
    return this.fatalError;
  }

  /**
   * Stops delivery, sends the last usage report (waiting at most `closeTimeoutMs`) and waits for the
   * cache write under way. Leaves no timer or socket behind. Never rejects; calling it again returns
   * the same promise. Evaluations keep answering from the data held.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown().catch((error) => this.log.error('close did not finish cleanly', error));
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.clearStaleTimer();
    for (const settle of [...this.waiters]) settle(this.table !== null);
    await this.sync?.stop();
    await this.reporter?.close(this.o.closeTimeoutMs);
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    await this.cache?.flush();
  }

  private expose(flag: string, context: EvaluationContext | null | undefined, result: EvaluationResult, enabled: boolean): void {
    if (result.reason === CoreReason.NotFound || result.reason === CoreReason.Error) return;
    try {
      const ctx: Context = context ?? {};
      this.exposures?.track(flag, enabled, result.variant.name, result.reason, result.ruleId, this.stickinessId(flag, result, ctx), ctx);
    } catch (error) {
      // A context whose getters throw, say: the evaluation stands, the exposure is lost.
      this.log.error('an exposure could not be recorded', error);
    }
  }

  /** The id the outcome sticks to: the deciding stickiness attribute, else userId, sessionId or remoteAddress. */
  private stickinessId(flag: string, result: EvaluationResult, ctx: Context): string | undefined {
    const config = this.store.flag(flag);
    const stickiness = config === undefined ? 'default' : stickinessOf(config, result.ruleId);
    if (stickiness !== 'default' && stickiness !== 'random') {
      const id = resolveAttribute(ctx, stickiness);
      if (id !== undefined) return id;
    }
    return resolveAttribute(ctx, 'userId') ?? resolveAttribute(ctx, 'sessionId') ?? resolveAttribute(ctx, 'remoteAddress');
  }

  /** A flag the snapshot lacks, or any flag before there is one: counted as an evaluation; the latter logged once. */
  private notEvaluated(flag: string, method: string, answer: boolean): void {
    this.counter?.count(flag, answer, DISABLED_VARIANT);
    if (this.table === null && !this.notReadyLogged) {
      this.notReadyLogged = true;
      this.log.warn(
        `${method}(${JSON.stringify(flag)}) was called before any flag data arrived: returning the fallback (reason NOT_READY). ` +
          'Await client.ready(), or pass `bootstrap` or `cacheFile`. (Logged once.)',
      );
    }
  }

  private unexpected(error: unknown): void {
    this.log.error('unexpected failure in an evaluation; returned the fallback', error);
  }

  /**
   * For the test double (`./testing`): takes `snapshot` as the data whatever is held, and tells
   * listeners as a delivered change would.
   */
  protected replaceData(snapshot: SnapshotPayload): void {
    const held = this.store.source;
    const changed = this.store.replace(snapshot, DataSource.Bootstrap);
    this.useCompiled();
    this.updated(changed, held === null, DataSource.Bootstrap);
  }

  /** Takes a snapshot unless what is held comes from a better source (server > cache > bootstrap) or is newer. */
  private apply(snapshot: SnapshotPayload, source: DataSource): void {
    const held = this.store.source;
    if (this.closing !== null && source !== DataSource.Server) return;
    if (held === DataSource.Server && source !== DataSource.Server) return;
    if (held !== null && source === DataSource.Bootstrap) return;
    // Never back, whatever the path: a replica behind a round-robin balancer may lag the one heard
    // last, and a cache may be older than the bootstrap. The same revision again changes nothing.
    const heldRevision = this.store.snapshot?.revision;
    if (heldRevision !== undefined && (snapshot.revision < heldRevision || (snapshot.revision === heldRevision && held === source))) {
      if (snapshot.revision < heldRevision) {
        const note = `a ${source} snapshot at revision ${snapshot.revision} is older than the one held (${heldRevision}, from the ${held}); ignored`;
        // Behind the cache, the server may have had its revisions reset (a restored database): say so.
        if (source === DataSource.Server && held === DataSource.Cache)
          this.log.warn(`${note}. If the environment was reset, delete the cache file`);
        else this.log.debug(note);
      }
      return;
    }
    let changed: string[];
    try {
      changed = this.store.replace(snapshot, source);
    } catch (error) {
      this.log.error(`a ${source} snapshot could not be compiled; keeping the data held`, error);
      return;
    }
    this.useCompiled();
    if (source === DataSource.Server) {
      this.serverRevision = snapshot.revision;
      this.cache?.save(snapshot);
    }
    this.updated(changed, held === null, source);
  }

  private applyPatch(patch: PatchPayload): PatchVerdict {
    const held = this.serverRevision;
    // Patches build on server data only; anything else is resolved by a fresh snapshot.
    if (held === null || this.store.source !== DataSource.Server) return PatchVerdict.Gap;
    if (patch.revision <= held) return PatchVerdict.Old;
    if (patch.revision !== held + 1) return PatchVerdict.Gap;
    let changed: string[] | null;
    try {
      changed = this.store.patch(patch);
    } catch (error) {
      this.log.error(`patch ${patch.revision} could not be compiled; resynchronizing`, error);
      return PatchVerdict.Gap;
    }
    if (changed === null) return PatchVerdict.Old;
    this.useCompiled();
    this.serverRevision = patch.revision;
    const snapshot = this.store.snapshot;
    if (snapshot !== null) this.cache?.save(snapshot);
    this.updated(changed, false, DataSource.Server);
    return PatchVerdict.Applied;
  }

  /** Evaluations see the store's new snapshot from here on; counts carry over to its flag table. */
  private useCompiled(): void {
    const compiled = this.store.compiled;
    this.table = compiled === null ? null : new FlagTable(compiled, this.counter);
  }

  private updated(changed: string[], first: boolean, source: DataSource): void {
    if (first) {
      this.log.debug(`ready with ${source} data at revision ${this.revision}`);
      this.events.emit('ready');
      for (const settle of [...this.waiters]) settle(true);
    } else if (changed.length > 0) {
      this.events.emit('change', { flags: changed, revision: this.revision ?? 0, source });
    }
  }

  /** Only live updates end `stale`: a poll standing in for the stream says the data is current now, not that it will stay so. */
  private confirmed(live: boolean): void {
    this.lastConfirmedAt = this.o.timers.now();
    if (this.failing) {
      this.failing = false;
      this.log.info('connected to the server again');
    }
    if (live && this.stale && this.fatalError === null) {
      this.stale = false;
      this.events.emit('recovered');
      this.armStaleTimer();
    }
  }

  private failed(error: SwitchboardError): void {
    if (this.closing !== null) return;
    if (error.fatal) {
      this.fatalError = error;
      this.log.error(`${error.message}: the client stops contacting the server and serves the data it holds (check url and sdkKey)`);
      this.reporter?.stop();
      this.clearStaleTimer();
      this.markStale(this.o.timers.now() - this.lastConfirmedAt);
    } else if (!this.failing) {
      // The first failure of a run is a warning; its retries are detail.
      this.failing = true;
      this.log.warn(`${error.message}; retrying in ${error.retryInMs} ms`);
    } else {
      this.log.debug(`${error.message}; retrying in ${error.retryInMs} ms`);
    }
    this.events.emit('error', error);
    this.useCache();
  }

  /** The cache is for when the server cannot be reached: taken at the first failure (or at once, offline). */
  private useCache(): void {
    if (this.cacheTried) {
      this.settleIfHopeless();
      return;
    }
    this.cacheTried = true;
    const cached = this.cached;
    if (cached === null) {
      this.settleIfHopeless();
      return;
    }
    this.pendingLoads++;
    this.keep(
      cached
        .then((snapshot) => {
          if (snapshot !== null) this.apply(snapshot, DataSource.Cache);
        })
        .finally(() => {
          this.pendingLoads--;
          this.settleIfHopeless();
        }),
    );
  }

  private loadBootstrap(): void {
    const bootstrap = this.o.bootstrap;
    if (bootstrap === undefined) return;
    if (typeof bootstrap !== 'string') {
      let snapshot: SnapshotPayload | null = null;
      try {
        // A copy: the caller's object may change later; what was served must not.
        snapshot = parseBootstrap(structuredClone(bootstrap));
      } catch {
        // Not cloneable: not a snapshot either.
      }
      if (snapshot === null) this.log.warn('option bootstrap is not a valid snapshot; ignored');
      else this.apply(snapshot, DataSource.Bootstrap);
      return;
    }
    this.pendingLoads++;
    this.keep(
      this.o.fileSystem
        .readFile(bootstrap)
        .then((text) => {
          const snapshot = parseBootstrap(JSON.parse(text));
          if (snapshot === null) this.log.warn(`bootstrap file ${bootstrap} does not hold a valid snapshot; ignored`);
          else this.apply(snapshot, DataSource.Bootstrap);
        })
        .catch((error) => this.log.warn(`bootstrap file ${bootstrap} cannot be read; ignored`, error))
        .finally(() => {
          this.pendingLoads--;
          this.settleIfHopeless();
        }),
    );
  }

  /** No data, and none can come: offline or refused, with nothing left to load. */
  private hopeless(): boolean {
    if (this.table !== null || this.pendingLoads > 0) return false;
    const noServer = this.o.offline || this.fatalError !== null;
    return noServer && (this.cacheTried || this.cached === null);
  }

  private settleIfHopeless(): void {
    if (this.hopeless()) for (const settle of [...this.waiters]) settle(false);
  }

  private armStaleTimer(): void {
    if (this.staleTimer !== undefined || this.closing !== null || this.fatalError !== null) return;
    const { timers, staleAfterMs } = this.o;
    const check = () => {
      this.staleTimer = undefined;
      const idle = timers.now() - this.lastConfirmedAt;
      // Once stale, the next confirmation re-arms the check.
      if (idle >= staleAfterMs) this.markStale(idle);
      else this.staleTimer = timers.setTimeout(check, staleAfterMs - idle);
    };
    this.staleTimer = timers.setTimeout(check, staleAfterMs - (timers.now() - this.lastConfirmedAt));
  }

  private clearStaleTimer(): void {
    if (this.staleTimer !== undefined) this.o.timers.clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
  }

  private markStale(sinceMs: number): void {
    if (this.stale) return;
    this.stale = true;
    this.log.warn(
      `no word from the server for ${sinceMs} ms: serving the data held (revision ${this.revision ?? 'none'}), which may be stale`,
    );
    this.events.emit('stale', { sinceMs });
  }

  private keep(work: Promise<void>): void {
    const guarded = work.catch((error) => this.log.error('background work failed', error));
    this.background.add(guarded);
    void guarded.finally(() => this.background.delete(guarded));
  }
}
