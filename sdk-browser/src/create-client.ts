import type {
  AnyFlags,
  EvaluationContext,
  EvaluationResult,
  FlagKey,
  Payload,
  PayloadOf,
  SdkReason,
  VariantNameOf,
} from '@switchboard/core';
// Values from the narrow entry, never core's index: see core/src/browser.ts.
import { DISABLED_VARIANT, evaluateWire, murmur3, NOT_FOUND, SwitchboardError } from '@switchboard/core/browser';
import { createEmitter } from './emitter.ts';
import { KIT } from './kit.ts';
import { type RemoteResults, toResults } from './ofrep-results.ts';
import { loadRemote, loadUsageReport } from './on-demand.ts';
import { type ClientOptions, type Exposure, resolveOptions } from './options.ts';
import type { RemoteEvaluation, RemoteHooks } from './remote.ts';
import { acquireConnection } from './shared-connection.ts';
import type { Served } from './usage-report.ts';

/** A flag's result: core's, with NOT_READY before anything is known about the flag. */
export type Evaluation = Omit<EvaluationResult, 'reason'> & { reason: SdkReason };

/** A flag's variant with its payload parsed (json: the value, number: a number, else the string). */
export interface Variant<Name extends string = string, Payload = unknown> {
  name: Name | 'disabled';
  enabled: boolean;
  payload?: Payload;
}

export interface ClientStatus {
  /** Flags have been evaluated for the current context (from the network, the cache or a bootstrap). */
  readonly ready: boolean;
  /** Live updates are interrupted: the flags held may be out of date. */
  readonly stale: boolean;
  readonly error: SwitchboardError | null;
}

export interface ClientEvents {
  /** Flags became usable; again each time live updates flow again after `stale` or `error`. */
  ready: () => void;
  /** Flags whose value or variant changed for this client's context. */
  change: (flags: string[]) => void;
  stale: (error: SwitchboardError) => void;
  /** A refused key (`fatal`), a malformed payload (ignored: the flags held are kept), a failed server evaluation. */
  error: (error: SwitchboardError) => void;
}

export interface Client<F = AnyFlags> {
  /**
   * Local flags switch to `context` at once; the promise resolves when the server's answers for its
   * server-evaluated flags are in too (until then they keep their last answers).
   */
  setContext(context: EvaluationContext): Promise<void>;
  /** The same as `setContext`. */
  identify(context: EvaluationContext): Promise<void>;
  /** Whether the flag is on; `fallback` when it is unknown, not loaded yet, or could not be evaluated. */
  isEnabled(flag: FlagKey<F>, fallback?: boolean): boolean;
  variant<K extends FlagKey<F>>(flag: K): Variant<VariantNameOf<F, K> & string, PayloadOf<F, K>>;
  /** The payload of the flag's variant when the flag is on with a json payload, else `fallback`. */
  jsonValue<T>(flag: FlagKey<F>, fallback: T): T;
  evaluate(flag: FlagKey<F>): Evaluation;
  /** The current result without counting it as a use (for bindings that read on every render). */
  peek(flag: FlagKey<F>): EvaluationResult | undefined;
  allFlags(): Record<string, EvaluationResult>;
  /**
   * Records an event (a conversion, a latency...) against every flag result this client was served
   * in the last half hour; aggregated and sent with the usage report.
   */
  track(name: string, value?: number): void;
  /** The same object until something in it changes. */
  status(): ClientStatus;
  /** Resolves when ready; rejects when delivery gave up (a refused key) before that. */
  whenReady(): Promise<void>;
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): () => void;
  close(): void;
}

const NOT_READY: Evaluation = Object.freeze({ enabled: false, variant: DISABLED_VARIANT, reason: 'NOT_READY', ruleId: null });

/** What `change` and exposures compare: whether the flag is on, and its variant (not the reason or the rule). */
const answer = (r: EvaluationResult | undefined) => JSON.stringify([r?.enabled, r?.variant.name]);

/** A variant payload as the app gets it: json parsed, number a number, else the string. */
export function parse(payload: Payload | undefined): unknown {
  try {
    return (
      payload && (payload.type === 'json' ? JSON.parse(payload.value) : payload.type === 'number' ? Number(payload.value) : payload.value)
    );
  } catch {}
}

/**
 * A browser client for one context. Flags of the client view are evaluated locally with core; those
 * the server evaluates for browsers (`remote`: their rules would reveal identifying values) get
 * their answers from the server (remote.ts, loaded by pages that have such flags). Every result is
 * computed when the view, the context or the server's answers change, so reads are lookups, a flag
 * answers the same until something changes (also under random stickiness), and `change` names
 * exactly the flags whose answer changed.
 */
export function createClient<F = AnyFlags>(options: ClientOptions): Client<F> {
  const o = resolveOptions(options);
  const events = createEmitter<ClientEvents & { exposure: (exposure: Exposure) => void }>();
  if (o.onExposure) events.on('exposure', o.onExposure);
  /**
   * The random numbers each flag drew under the current context, replayed when a new view arrives:
   * every flag is evaluated again then, and one under random stickiness must not change its answer
   * because another flag changed.
   */
  let draws: Record<string, number[]> = Object.create(null);
  const replay = (flag: string) => {
    draws[flag] ??= [];
    const memo = draws[flag];
    let n = 0;
    return () => (memo[n++] ??= o.random());
  };
  const defaults: EvaluationContext = { appName: options.appName, environment: options.environment, ...options.staticContext };
  let context: EvaluationContext = {};
  let version = -1;
  // No prototype: a flag may be called `constructor`.
  const results: Record<string, EvaluationResult> = Object.create(null);
  /** The server's answers: for the current context, or the last one until those for the current one are in. */
  let remote: RemoteResults | null = null;
  /** The context version the server last answered (or failed to answer) for. */
  let answered = -1;
  let server: Promise<RemoteEvaluation> | undefined;
  const waiting: Array<() => void> = [];
  /** Results served (for `track`: when) and the answers exposures were reported for, since the context was set. */
  let served: Served;
  let exposed: Record<string, string>;
  let closed = false;
  let settle: [resolve: () => void, reject: (error: Error) => void] | undefined;
  const whenReady = new Promise<void>((resolve, reject) => {
    settle = [resolve, reject];
  });
  // Nobody has to wait for it: a refused key is also reported through `error`.
  whenReady.catch(() => {});

  /** Where the server's answers are kept between page loads, by context (remote.ts keeps the four latest). */
  const remoteKey = `switchboard:${o.url}:${o.clientKey}:remote`;
  /** Two murmur3 of the context: another user's answers are never taken for this one's, and no context is stored. */
  const contextId = () => {
    const text = JSON.stringify(context);
    return `${murmur3(text)}.${murmur3(text, 1)}`;
  };

  const setStatus = (next: Partial<ClientStatus>) => {
    status = { ...status, ...next };
  };

  function ready(): void {
    setStatus({ ready: true, stale: connection.stale, error: connection.fatal });
    settle?.[0]();
    // Deferred, so that listeners added right after createClient hear a bootstrap's `ready`.
    queueMicrotask(() => !closed && events.emit('ready'));
  }

  function fail(error: SwitchboardError): void {
    setStatus({ error });
    // Delivery gave up (a refused key): waiting for `ready` would be waiting forever.
    if (error.fatal) settle?.[1](error);
    events.emit('error', error);
  }

  /** What remote.ts reads and reports. */
  const hooks: RemoteHooks = {
    context: () => [version, context, contextId(), answered],
    answer(v, answers, error) {
      if (closed || v !== version) return;
      answered = v;
      remote = answers ?? remote;
      if (error) fail(error);
      sync();
    },
  };

  /** Brings results up to date with the connection's view, the context and the server's answers. */
  function sync(): void {
    const view = connection.view;
    if (closed) return;
    const asks = view && !o.offline && view.remote.size > 0;
    if (asks) {
      server ??= loadRemote().then((m) => m.remoteEvaluation(o, KIT, remoteKey, hooks));
      server.then(
        (r) => r.update(view),
        (e) => {
          // The code could not be loaded: the next update tries again.
          server = undefined;
          fail(new SwitchboardError('NETWORK', String(e)));
        },
      );
    }
    if (!asks || answered === version) for (const resolve of waiting.splice(0)) resolve();
    // Evaluated afresh each time (not on the read path); unchanged answers keep their objects.
    if (!view) return;
    const differ: string[] = [];
    for (const key of new Set([...Object.keys(results), ...view.flags.keys()])) {
      const before = results[key];
      let after = view.remote.has(key)
        ? remote?.[key]
        : view.flags.has(key)
          ? evaluateWire(view, key, context, { now: o.now, random: replay(key) })
          : undefined;
      if (after?.reason === 'FLAG_NOT_FOUND') after = undefined;
      // An unchanged answer keeps its object, so bindings that compare results by identity do not redraw.
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        if (after) results[key] = after;
        else delete results[key];
      }
      if (answer(before) !== answer(after)) differ.push(key);
    }
    if (status.ready) differ.length > 0 && events.emit('change', differ);
    // Ready once the server's answers are in too (offline, there is no other answer to wait for).
    else if (o.offline || [...view.remote].every((k) => remote?.[k])) ready();
  }

  const { connection, release } = acquireConnection(o, (type, error) => {
    if (type === 'update') sync();
    else if (type === 'error') fail(error as SwitchboardError);
    else if (type === 'stale') {
      setStatus({ stale: true });
      events.emit('stale', error as SwitchboardError);
    } else if (status.ready) ready();
  });
  // Made once the connection is known (nothing above reads it before): a client joining a
  // connection in trouble starts out stale, or failed (and `whenReady` rejects) when its key was refused.
  let status: ClientStatus = { ready: false, stale: connection.stale, error: connection.fatal };
  if (connection.fatal) settle?.[1](connection.fatal);

  const setContext = (next: EvaluationContext = {}) => {
    context =
      defaults.properties || next.properties
        ? { ...defaults, ...next, properties: { ...defaults.properties, ...next.properties } }
        : { ...defaults, ...next };
    version++;
    draws = Object.create(null);
    served = Object.create(null);
    exposed = Object.create(null);
    try {
      // A context seen before in this browser has its answers at once (asked again all the same).
      remote = JSON.parse(o.storage?.getItem(remoteKey) ?? '{}')[contextId()] ?? remote;
    } catch {}
    const settled = new Promise<void>((resolve) => waiting.push(resolve));
    sync();
    return settled;
  };
  void setContext(options.context);
  const b = options.bootstrap;
  connection.offer(b && 'snapshot' in b ? b.snapshot : b);
  if (b && 'snapshot' in b) {
    // The server's answers are for its context: taken when it is the page's (offline, they are all there is).
    const theirs = JSON.stringify(b.context);
    if (o.offline || theirs === JSON.stringify(options.context) || theirs === JSON.stringify(context)) {
      remote = toResults(b.results ?? [], b.snapshot.flags?.filter((f) => f.remote).map((f) => f.key) ?? []);
      // As new as the view: nothing to ask on start.
      answered = 0;
    }
  }
  sync();

  const counted = (flag: string): Evaluation => {
    const r = results[flag];
    const view = connection.view;
    // Nothing known yet, or a server-evaluated flag whose answer is not in: not ready; else not found.
    if (!r) return !view || (!o.offline && view.remote.has(flag) && !remote?.[flag]) ? NOT_READY : NOT_FOUND;
    connection.count(flag, r);
    served[flag] = [r, o.now()];
    const a = answer(r);
    if (o.onExposure && exposed[flag] !== a) {
      exposed[flag] = a;
      events.emit('exposure', {
        flag,
        enabled: r.enabled,
        variant: r.variant.name,
        reason: r.reason,
        ruleId: r.ruleId,
        context,
        at: new Date(o.now()),
      });
    }
    return r;
  };

  return {
    setContext,
    identify: setContext,
    isEnabled(flag, fallback = false) {
      const r = counted(flag);
      // FLAG_NOT_FOUND, ERROR, NOT_READY (not NO_RULE_MATCH): no answer, the caller's fallback.
      return /^(F|E|NOT_)/.test(r.reason) ? fallback : r.enabled;
    },
    variant(flag) {
      const { name, enabled, payload } = counted(flag).variant;
      return (payload ? { name, enabled, payload: parse(payload) } : { name, enabled }) as never;
    },
    jsonValue(flag, fallback) {
      const { enabled, variant } = counted(flag);
      return ((enabled && variant.payload?.type === 'json' ? parse(variant.payload) : undefined) ?? fallback) as typeof fallback;
    },
    evaluate: counted,
    peek: (flag) => results[flag],
    allFlags: () => ({ ...results }),
    track(name, value) {
      // The results served until now, not until the code has loaded.
      const now = { ...served };
      if (o.metricsInterval > 0) void loadUsageReport().then((m) => m.track(connection.metrics, name, now, o.now(), value));
    },
    status: () => status,
    whenReady: () => whenReady,
    on: events.on,
    // Closing again does no harm: releasing and clearing twice are no-ops.
    close() {
      closed = true;
      void server?.then(
        (r) => r.close(),
        () => {},
      );
      events.clear();
      release();
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}
