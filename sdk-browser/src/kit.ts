import { SwitchboardError } from '@switchboard/core/browser';
import { toResults } from './ofrep-results.ts';
import { loadPolling } from './on-demand.ts';

/**
 * What the on-demand modules (delivery, polling, server evaluation) use of core and of the entry,
 * handed to them rather than imported: a module imported both by the entry and by an on-demand
 * chunk is split into a shared chunk every page loads first, names and all (bundlers split by
 * file, and core's index reaches all of core). SDK code only on-demand modules use lives in files
 * the entry does not import (`endpoint.ts`) instead. It also
 * gives the script-tag build's files, which each carry a copy of what they import, the page's own
 * SwitchboardError class.
 */
export const KIT = {
  SwitchboardError,
  toResults,
  loadPolling,
};
export type Kit = typeof KIT;
