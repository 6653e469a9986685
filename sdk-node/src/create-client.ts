import type { AnyFlags } from '@switchboard/core';
import type { ClientOptions } from './client-options.ts';
import { SwitchboardClient } from './switchboard-client.ts';

/**
 * A client for one environment, connecting at once (unless `offline`). Never throws: bad options are
 * reported through the logger and an `error` event, and the client serves its bootstrap or cache.
 * `Flags` (from `switchboard types`) types the keys and payloads: `createClient<Flags>({ ... })`.
 */
export function createClient<Flags = AnyFlags>(options: ClientOptions): SwitchboardClient<Flags> {
  return new SwitchboardClient<Flags>(options);
}
