import type { Resolved } from './options.ts';

/**
 * The address of one of the server's client endpoints, with the client key. Only on-demand modules
 * (delivery, polling, usage reports) use it: in a file of its own so that it stays out of the entry.
 */
export const endpoint = (o: Resolved, path: string) => `${o.url}/api/${path}?key=${encodeURIComponent(o.clientKey)}`;
