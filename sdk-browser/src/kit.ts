import { SwitchboardError } from '@switchboard/core/browser';
import { toResults } from './ofrep-results.ts';
import { loadPolling } from './on-demand.ts';

/**
 * What the on-demand modules (delivery, polling, server evaluation) use of the entry's own code,
 * handed to them rather than imported: a file imported both by the entry and by an on-demand chunk
 * is split into a shared chunk every page loads first, names and all (bundlers split by file).
 * What only they use is imported from files outside the entry's graph instead: core's
 * `./protocol-rules`, `./ofrep` and `./wire-validation` (the entry takes core through
 * `./browser`, never the index, which reaches all of core), and `endpoint.ts`. It also gives the
 * script-tag build's files, which each carry a copy of what they import, the page's own
 * SwitchboardError class.
 */
export const KIT = {
  SwitchboardError,
  toResults,
  loadPolling,
};
export type Kit = typeof KIT;
