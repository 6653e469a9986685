import type { BrowserBootstrap, CompileOptions, Context, EvaluationResult, SnapshotPayload } from '@switchboard/core';
import { evaluateWire, NOT_FOUND, type WireView, wireView } from '@switchboard/core/browser';
import { type Client, parse } from '../create-client.ts';
import { toResults } from '../ofrep-results.ts';

/** The bootstrap a provider renders from: what `getBrowserBootstrap` returns, or a bare client view. */
export type Bootstrap = BrowserBootstrap | SnapshotPayload;

/**
 * A read-only client over a bootstrap: what the hooks read during a server render and on the
 * client until the provider's own client exists (so hydration renders what the server did). No
 * connection, timer or listener, and nothing kept after the render. Local flags are evaluated on
 * first read with the bootstrap's context; server-evaluated flags (`remote`) take the bootstrap's
 * `results`.
 */
export function bootstrapClient(bootstrap: Bootstrap | null | undefined, operators?: CompileOptions): Client {
  const full = bootstrap && 'snapshot' in bootstrap ? bootstrap : undefined;
  const snapshot = full ? full.snapshot : (bootstrap as SnapshotPayload | null | undefined);
  const context: Context = { ...full?.context };
  const view = snapshot && wireView(snapshot, operators);
  const remote =
    full && view
      ? toResults(
          full.results,
          [...view.flags.keys()].filter((k) => view.flags.get(k)?.remote),
        )
      : undefined;
  const results: Record<string, EvaluationResult | undefined> = Object.create(null);
  const peek = (key: string) => {
    const flag = view?.flags.get(key);
    if (flag && !(key in results)) results[key] = flag.remote ? remote?.[key] : evaluateWire(view as WireView, key, context);
    return results[key];
  };
  const evaluate = (key: string) => peek(key) ?? NOT_FOUND;
  const status = { ready: !!view, stale: false, error: null };
  const nothing = async () => {};
  return {
    peek,
    evaluate,
    isEnabled: (key, fallback = false) => {
      const r = peek(key);
      // As the client: FLAG_NOT_FOUND, ERROR and NOT_READY are no answer, the caller's fallback.
      return r && !/^(F|E|NOT_)/.test(r.reason) ? r.enabled : fallback;
    },
    variant: (key) => {
      const { name, enabled, payload } = evaluate(key).variant;
      return (payload ? { name, enabled, payload: parse(payload) } : { name, enabled }) as never;
    },
    jsonValue: (key, fallback) => {
      const { enabled, variant } = evaluate(key);
      return ((enabled && variant.payload?.type === 'json' ? parse(variant.payload) : undefined) ?? fallback) as typeof fallback;
    },
    track: () => {},
    allFlags: () => Object.fromEntries([...(view?.flags.keys() ?? [])].map((k) => [k, peek(k)]).filter((e) => e[1])),
    status: () => status,
    whenReady: nothing,
    setContext: nothing,
    identify: nothing,
    on: () => nothing,
    close: nothing,
  };
}
