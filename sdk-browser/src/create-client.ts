import { type Context, type EvaluationResult, evaluateWire, NOT_FOUND, Reason, type VariantResult } from '@switchboard/core';
import { createEmitter } from './emitter.ts';
import { type ClientOptions, resolveOptions } from './options.ts';
import { hashContext } from './sensitive.ts';
import { acquireConnection, type View } from './shared-connection.ts';

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
  /** A refused key (for good), or a malformed payload (ignored: the flags held are kept). */
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

/** What `change` compares: whether the flag is on, and its variant (not the reason or the rule). */
const answer = (r: EvaluationResult | undefined) => JSON.stringify([r?.enabled, r?.variant]);

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
  let draws: Record<string, number[]> = Object.create(null);
  /** The context version the draws belong to. */
  let drawnFor = 0;
  const replay = (flag: string) => {
    draws[flag] ??= [];
    const memo = draws[flag];
    let n = 0;
    return () => (memo[n++] ??= o.random());
  };
  let raw: Context = options.context ?? {};
  let contextVersion = 0;
  /** What `hashed` is (being) made for: the context's version, and the salt and attributes to digest. */
  let hashedFor = '';
  /** The context as evaluated, its sensitive values digested. */
  let hashed: Context = {};
  /** The digest of a new context while it is under way. */
  let digesting: Promise<void> | undefined;
  /** The view the results were computed on. */
  let evaluated: View | null = null;
  // No prototype: a flag may be called `constructor`.
  const results: Record<string, EvaluationResult> = Object.create(null);
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

  /**
   * Evaluation switches to a new hashed context: every flag is evaluated again, with random numbers
   * drawn afresh when the context itself changed (not when only a new salt arrived).
   */
  function adopt(context: Context, version: number): void {
    hashed = context;
    digesting = undefined;
    if (version !== drawnFor) draws = Object.create(null);
    drawnFor = version;
    evaluated = null;
  }

  /** Brings results up to date with the connection's view and the context; resolves when they are. */
  async function sync(): Promise<void> {
    const view = connection.view;
    if (closed || !view) return;
    const spec = view.sensitive;
    const want = JSON.stringify([contextVersion, spec]);
    if (want !== hashedFor) {
      hashedFor = want;
      const version = contextVersion;
      const next = hashContext(raw, spec, o.subtle, fail);
      if (next instanceof Promise) {
        digesting = next.then((context) => {
          // A newer context or salt has taken over meanwhile: settle when that one does.
          if (hashedFor !== want) return digesting;
          adopt(context, version);
          return sync();
        });
      } else adopt(next, version);
    }
    // Until the digests are ready, evaluation stays on the last hashed context and view.
    if (digesting) return digesting;
    if (evaluated === view) return;
    evaluated = view;
    const differ: string[] = [];
    for (const key of new Set([...Object.keys(results), ...view.flags.keys()])) {
      const before = results[key];
      const after = view.flags.has(key) ? evaluateWire(view, key, hashed, { now: o.now, random: replay(key) }) : undefined;
      // An unchanged answer keeps its object, so bindings that compare results by identity do not redraw.
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        if (after) results[key] = after;
        else delete results[key];
      }
      if (answer(before) !== answer(after)) differ.push(key);
    }
    if (!status.ready) ready();
    else if (differ.length > 0) events.emit('change', differ);
  }

  const { connection, release } = acquireConnection(o, (type, error) => {
    if (type === 'update') void sync();
    else if (type === 'error') fail(error as Error);
    else if (type === 'stale') {
      setStatus({ stale: true });
      events.emit('stale', error as Error);
    } else if (status.ready) ready();
  });
  // Made once the connection is known (nothing above reads it before): a client joining a
  // connection in trouble starts out stale, or failed (and `whenReady` rejects) when its key was refused.
  let status: ClientStatus = { ready: false, stale: connection.stale, error: connection.fatal };
  if (connection.fatal) settle?.[1](connection.fatal);
  connection.offer(options.bootstrap);
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
    // Closing again does no harm: releasing and clearing twice are no-ops.
    close() {
      closed = true;
      events.clear();
      release();
    },
  };
}
