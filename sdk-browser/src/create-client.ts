import { type Context, type EvaluationResult, evaluateWire, NOT_FOUND, Reason, type VariantResult, type WireView } from '@switchboard/core';
import { createEmitter } from './emitter.ts';
import { type ClientOptions, resolveOptions } from './options.ts';
import { digestContext, sensitiveValues, specKey, withoutSensitive } from './sensitive.ts';
import { acquireConnection } from './shared-connection.ts';

export interface ClientStatus {
  /** Flags have been evaluated for the current context (from the network, the cache or a bootstrap). */
  readonly ready: boolean;
  /** Delivery is interrupted: the flags held may be out of date. */
  readonly stale: boolean;
  readonly error: Error | null;
}

export interface ClientEvents {
  /** Flags became usable; again each time delivery recovers after `stale` or `error`. */
  ready: () => void;
  /** Flags whose value or variant changed for this client's context. */
  change: (flags: string[]) => void;
  stale: (error: Error) => void;
  error: (error: Error) => void;
}

export interface Client {
  /** Evaluation switches to `context` once its sensitive values are digested; the promise says when. */
  setContext(context: Context): Promise<void>;
  /** The same as `setContext`. */
  identify(context: Context): Promise<void>;
  /** Whether the flag is on; `fallback` when it is unknown, not loaded yet, or could not be evaluated. */
  isEnabled(flag: string, fallback?: boolean): boolean;
  variant(flag: string): VariantResult;
  evaluate(flag: string): EvaluationResult;
  /** The current result without counting it as a use (for bindings that read on every render). */
  peek(flag: string): EvaluationResult | undefined;
  allFlags(): Record<string, EvaluationResult>;
  /** The same object until something in it changes. */
  status(): ClientStatus;
  /** Resolves when ready; rejects when delivery gave up (a refused key) before that. */
  whenReady(): Promise<void>;
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): () => void;
  close(): void;
}

const sameValue = (a: EvaluationResult | undefined, b: EvaluationResult | undefined) =>
  a?.enabled === b?.enabled && JSON.stringify(a?.variant) === JSON.stringify(b?.variant);

/**
 * A browser client: flags evaluated locally with core on the client view, for one context.
 * Every result is computed when the view or the context changes, so reads are lookups, a flag
 * answers the same until something changes (also under random stickiness), and `change` names
 * exactly the flags whose answer changed.
 */
export function createClient(options: ClientOptions): Client {
  const o = resolveOptions(options);
  const events = createEmitter<ClientEvents>();
  /**
   * The random numbers each flag drew under the current context, replayed when a new view arrives:
   * every flag is evaluated again then, and one under random stickiness must not change its answer
   * because another flag changed.
   */
  let draws: Record<string, number[]> = {};
  const replay = (flag: string) => {
    const memo = draws[flag] ?? [];
    draws[flag] = memo;
    let n = 0;
    return () => {
      if (n === memo.length) memo.push(o.random());
      return memo[n++] as number;
    };
  };
  let raw: Context = options.context ?? {};
  let contextVersion = 0;
  /** What `hashed` was computed for, and what the results were: context version + salt and attributes. */
  let hashedFor = '';
  let appliedFor = '';
  let hashed: Context = {};
  let pending: { for: string; done: Promise<void> } | null = null;
  let view: WireView | null = null;
  const results: Record<string, EvaluationResult> = {};
  let status: ClientStatus = { ready: false, stale: false, error: null };
  let closed = false;
  let settle: [resolve: () => void, reject: (error: Error) => void] | undefined;
  const whenReady = new Promise<void>((resolve, reject) => {
    settle = [resolve, reject];
  });
  // Nobody has to wait for it: a refused key is also reported through `error`.
  whenReady.catch(() => {});

  const setStatus = (next: Partial<ClientStatus>) => {
    status = { ...status, ...next };
  };

  function ready(): void {
    setStatus({ ready: true, stale: connection.stale, error: connection.fatal });
    settle?.[0]();
    // Deferred, so that listeners added right after createClient hear a bootstrap's `ready`.
    queueMicrotask(() => !closed && events.emit('ready'));
  }

  function fail(error: Error): void {
    setStatus({ error });
    // Delivery gave up (a refused key): waiting for `ready` would be waiting forever.
    if (connection.fatal) settle?.[1](error);
    events.emit('error', error);
  }

  /** Brings results up to date with the connection's view and the context; resolves when they are. */
  function sync(): Promise<void> {
    const v = connection.view;
    if (closed || !v) return Promise.resolve();
    const spec = v.payload.sensitive;
    const want = `${contextVersion} ${specKey(spec)}`;
    if (want !== hashedFor) {
      if (spec && sensitiveValues(raw, spec).found.length > 0) {
        // Until the digests are ready, evaluation stays on the last hashed context and view.
        if (pending?.for !== want) {
          const ctx = raw;
          const done = digestContext(ctx, spec, o.subtle)
            .catch((error: Error) => {
              fail(error);
              return withoutSensitive(ctx, spec);
            })
            .then((h) => {
              if (pending?.for !== want) return;
              pending = null;
              hashed = h;
              hashedFor = want;
              void sync();
            });
          pending = { for: want, done };
        }
        return pending.done;
      }
      pending = null;
      hashed = raw;
      hashedFor = want;
    }
    if (want === appliedFor && view === v.wire) return Promise.resolve();
    // A new context draws its random numbers afresh; a new view replays them (see `draws`).
    if (want !== appliedFor) draws = {};
    appliedFor = want;
    view = v.wire;
    const differ: string[] = [];
    for (const key of new Set([...Object.keys(results), ...view.flags.keys()])) {
      const before = results[key];
      const after = view.flags.has(key) ? evaluateWire(view, key, hashed, { now: o.now, random: replay(key) }) : undefined;
      // An unchanged answer keeps its object, so bindings that compare results by identity do not redraw.
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        if (after) results[key] = after;
        else delete results[key];
      }
      if (!sameValue(before, after)) differ.push(key);
    }
    if (!status.ready) ready();
    else if (differ.length > 0) events.emit('change', differ);
    return Promise.resolve();
  }

  const { connection, release } = acquireConnection(o, (type, error) => {
    if (type === 'update') void sync();
    else if (type === 'error') fail(error as Error);
    else if (type === 'stale') {
      setStatus({ stale: true });
      events.emit('stale', error as Error);
    } else if (status.ready) ready();
  });
  connection.offer(options.bootstrap);
  if (connection.stale) setStatus({ stale: true });
  void sync();

  const counted = (flag: string) => {
    const r = results[flag];
    if (r) connection.count(flag, r);
    return r ?? NOT_FOUND;
  };
  const setContext = (context: Context) => {
    raw = context ?? {};
    contextVersion++;
    return sync();
  };

  return {
    setContext,
    identify: setContext,
    isEnabled(flag, fallback = false) {
      const r = counted(flag);
      return r.reason === Reason.NotFound || r.reason === Reason.Error ? fallback : r.enabled;
    },
    variant: (flag) => counted(flag).variant,
    evaluate: counted,
    peek: (flag) => results[flag],
    allFlags: () => ({ ...results }),
    status: () => status,
    whenReady: () => whenReady,
    on: events.on,
    close() {
      if (closed) return;
      closed = true;
      events.clear();
      release();
    },
  };
}
