import { allOperators } from '@switchboard/core/operators';
import { importUnleash } from '@switchboard/core/unleash';
import { createClient } from '@switchboard/sdk-browser';
import type { Engine } from './run-conformance.ts';

let clients = 0;

/**
 * Unleash payload -> importer -> a browser client bootstrapped with the result (no network: no
 * stream, no storage, timers that never fire), evaluated through its public API: `setContext`
 * with the row's context, then `evaluate`. The row's `random` reaches the client through its
 * `random` option, so random stickiness is deterministic per row.
 */
export const sdkBrowserEngine: Engine = (payload) => {
  const { flags, segments } = importUnleash(payload);
  let random = Math.random;
  const client = createClient({
    url: 'https://conformance.invalid',
    // Connections are shared per url + key: every payload gets its own.
    clientKey: `sbc_conformance_${++clients}`,
    bootstrap: { environment: 'conformance', revision: 1, flags: flags.map((f) => f.config), segments },
    // Bootstrapped views are evaluated synchronously only with the engine at hand; the lazy import is asynchronous.
    operators: allOperators,
    EventSource: null,
    fetch: () => new Promise<Response>(() => {}),
    storage: null,
    subtle: null,
    timers: { set: () => 0, clear: () => {} },
    metricsInterval: 0,
    random: () => random(),
  });
  return (flagKey, context, options) => {
    random = options.random ?? Math.random;
    // No sensitive attributes in these payloads: the context is in effect when setContext returns.
    void client.setContext(context);
    return client.evaluate(flagKey);
  };
};
