import type { EvaluationResult } from '@switchboard/core';
import { allOperators } from '@switchboard/core/operators';
import { importUnleash } from '@switchboard/core/unleash';
import { createClient, type EvaluationContext } from '@switchboard/sdk-browser';
import type { Engine } from './run-conformance.ts';

/**
 * Unleash payload -> importer -> a browser client bootstrapped with the result (offline: no
 * network, no storage), evaluated through its public API: `setContext`
 * with the row's context, then `evaluate`. The row's `random` reaches the client through its
 * `random` option, so random stickiness is deterministic per row.
 */
export const sdkBrowserEngine: Engine = (payload) => {
  const { flags, segments } = importUnleash(payload);
  let random = Math.random;
  const client = createClient({
    offline: true,
    bootstrap: { environment: 'conformance', revision: 1, flags: flags.map((f) => f.config), segments },
    // Bootstrapped views are evaluated synchronously only with the engine at hand; the lazy import is asynchronous.
    operators: allOperators,
    random: () => random(),
  });
  return (flagKey, context, options) => {
    random = options.random ?? Math.random;
    // The rows' contexts hold any attribute at the top level, which core reads like `properties`.
    void client.setContext(context as EvaluationContext);
    // Always ready (offline, bootstrapped): never NOT_READY, so core's result type holds.
    return client.evaluate(flagKey) as EvaluationResult;
  };
};
