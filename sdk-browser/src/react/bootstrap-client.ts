import {
  type BrowserBootstrap,
  type CompileOptions,
  type Context,
  DISABLED_VARIANT,
  type EvaluationResult,
  evaluateWire,
  NOT_FOUND,
  type OfrepFlagResult,
  type SnapshotPayload,
  type WireView,
  wireView,
} from '@switchboard/core';
import type { Client } from '../create-client.ts';

/** The bootstrap a provider renders from: what `getBrowserBootstrap` returns, or a bare client view. */
export type Bootstrap = BrowserBootstrap | SnapshotPayload;

/** A server-evaluated flag's OFREP answer as the SDK's own result (`undefined`: none, or a failure). */
const fromOfrep = (r: OfrepFlagResult | undefined, m = r?.metadata): EvaluationResult | undefined =>
  r && m && !r.errorCode
    ? {
        enabled: m.enabled,
        variant:
          r.variant && r.variant !== 'disabled'
            ? {
                name: r.variant,
                enabled: true,
                // OFREP's value is the parsed payload: back to the wire form the SDK's results carry.
                ...(m.payloadType && {
                  payload: { type: m.payloadType, value: typeof r.value === 'string' ? r.value : JSON.stringify(r.value) },
                }),
              }
            : DISABLED_VARIANT,
        reason: m.reason,
        ruleId: m.ruleId ?? null,
      }
    : undefined;

/**
 * A read-only client over a bootstrap: what the hooks read during a server render and on the
 * client until the provider's own client exists (so hydration renders what the server did). No
 * connection, timer or listener, and nothing kept after the render. Local flags are evaluated on
 * first read with the bootstrap's context less the values of sensitive attributes (their digests
 * need WebCrypto, which is asynchronous: those conditions match nothing here, as when digesting
 * fails); server-evaluated flags (`remote`) take the bootstrap's `results`.
 */
export function bootstrapClient(bootstrap: Bootstrap | null | undefined, operators?: CompileOptions): Client {
  const full = bootstrap && 'snapshot' in bootstrap ? bootstrap : undefined;
  const snapshot = full ? full.snapshot : (bootstrap as SnapshotPayload | null | undefined);
  const context: Context = { ...full?.context, properties: { ...full?.context.properties } };
  for (const a of snapshot?.sensitive?.attributes ?? []) {
    delete context[a];
    delete context.properties?.[a];
  }
  const view = snapshot && wireView(snapshot, operators);
  const results: Record<string, EvaluationResult | undefined> = Object.create(null);
  const peek = (key: string) => {
    const flag = view?.flags.get(key);
    if (flag && !(key in results))
      results[key] = flag.remote ? fromOfrep(full?.results.find((r) => r.key === key)) : evaluateWire(view as WireView, key, context);
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
      return r && r.reason !== 'ERROR' ? r.enabled : fallback;
    },
    variant: (key) => evaluate(key).variant,
    allFlags: () => Object.fromEntries([...(view?.flags.keys() ?? [])].map((k) => [k, peek(k)]).filter((e) => e[1])),
    status: () => status,
    whenReady: nothing,
    setContext: nothing,
    identify: nothing,
    on: () => nothing,
    close: nothing,
  };
}
