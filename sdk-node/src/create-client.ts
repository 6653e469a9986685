import type { ClientOptions } from './client-options.ts';
import { SwitchboardClient } from './switchboard-client.ts';

/**
 * A client for one environment, connecting at once (unless `offline`). Never throws: bad options are
 * reported through the logger and an `error` event, and the client serves its bootstrap or cache.
 */
export function createClient(options: ClientOptions): SwitchboardClient {
  return new SwitchboardClient(options);
}
