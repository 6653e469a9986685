import { compileSnapshot, evaluate } from '@switchboard/core';
import { allOperators } from '@switchboard/core/operators';
import { importUnleash } from '@switchboard/core/unleash';
import type { Engine } from './run-conformance.ts';

/** Unleash payload -> importer -> the normal compile and evaluate path of core. */
export const coreEngine: Engine = (payload) => {
  const { flags, segments } = importUnleash(payload);
  const snapshot = compileSnapshot({ revision: 1, flags: flags.map((f) => f.config), segments }, allOperators);
  return (flagKey, context, options) => evaluate(snapshot, flagKey, context, options);
};
