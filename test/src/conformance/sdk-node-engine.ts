import type { EvaluationResult } from '@switchboard/core';
import { importUnleash } from '@switchboard/core/unleash';
import { createClient, Reason } from '@switchboard/sdk-node';
import type { Engine } from './run-conformance.ts';

const quiet = { warn: () => {}, error: () => {} };

/**
 * Unleash payload -> importer -> snapshot -> an offline Node SDK client bootstrapped with it ->
 * `client.evaluate`. The runner asks for chance-dependent rows twice with fixed `random`s, so the
 * client's `random` option reads whatever the current call asked for.
 */
export const sdkNodeEngine: Engine = (payload) => {
  const { flags, segments } = importUnleash(payload);
  let random: () => number = Math.random;
  const client = createClient({
    offline: true,
    bootstrap: { revision: 1, flags: flags.map((f) => f.config), segments },
    random: () => random(),
    logger: quiet,
  });
  if (!client.isReady) throw new Error('the SDK did not take the imported snapshot as its bootstrap');
  return (flagKey, context, options) => {
    random = options.random ?? Math.random;
    const result = client.evaluate(flagKey, context);
    if (result.reason === Reason.NotReady) throw new Error('the SDK has no data');
    return result as EvaluationResult;
  };
};
