/**
 * `@switchboard/core/browser`: what a browser SDK's entry needs of core to evaluate a client view
 * synchronously (the wire evaluator, parsing a cached or bootstrapped view, the shared results and
 * error), and nothing else. Bundlers with code splitting assign whole files to chunks: an entry
 * importing core's index would reach every file of core, and each file its on-demand code uses too
 * (`./protocol-rules`, `./ofrep`, `./wire-validation`) would become a chunk the entry loads first.
 * Only what the entry itself runs belongs here.
 */
export { PLUGINS } from './conditions.ts';
export { DISABLED_VARIANT } from './model.ts';
export { murmur3 } from './murmur3.ts';
export { parseSnapshot } from './protocol.ts';
export { NOT_FOUND } from './results.ts';
export { SwitchboardError } from './switchboard-error.ts';
export { evaluateWire, type WireView, wireView } from './wire-evaluator.ts';
