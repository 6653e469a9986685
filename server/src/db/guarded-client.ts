import pg from 'pg';

/** pg's message for a query that outlived `query_timeout`. */
const READ_TIMEOUT = 'Query read timeout';

type Callback = (err: Error | null, result?: unknown) => void;
type QueryFn = (...args: unknown[]) => unknown;

/**
 * A `pg.Client` class for one pool that gives up on silent connections. pg's `query_timeout` fails
 * the query but keeps the connection, whose next queries then queue behind the unanswered one, and a
 * transaction that timed out goes back to the pool as if healthy. Here a timed-out query destroys
 * its connection (the pool then drops it), and every idle connection opened before goes too: after a
 * failover the old server's connections are all silent, and finding that out one query timeout at a
 * time would keep a replica cut off for minutes.
 */
export function guardedClientClass(): typeof pg.Client {
  const live = new Set<GuardedClient>();

  class GuardedClient extends pg.Client {
    private pending = 0;

    constructor(config?: string | pg.ClientConfig) {
      super(config);
      // A checked-out client has no pool listener; losing its connection must fail its queries
      // (it does), not crash the process with an unhandled 'error' event.
      this.on('error', () => {});
      this.once('connect', () => live.add(this));
      this.once('end', () => live.delete(this));
    }

    destroy(): void {
      live.delete(this);
      (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    }

    // Every form of `query` (promise, callback) passes through here; submittables are left alone.
    // biome-ignore lint/suspicious/noExplicitAny: overrides pg's overloaded signature as a whole
    override query(...args: any[]): any {
      const base = pg.Client.prototype.query as unknown as QueryFn;
      const first = args[0] as { submit?: unknown } | undefined;
      if (first !== null && typeof first === 'object' && typeof first.submit === 'function') return base.apply(this, args);
      this.pending++;
      const settle = (err: unknown) => {
        this.pending--;
        if (err instanceof Error && err.message === READ_TIMEOUT) this.giveUp();
      };
      const at = args.findIndex((a) => typeof a === 'function');
      if (at >= 0) {
        const callback = args[at] as Callback;
        args[at] = (err: Error | null, result?: unknown) => {
          settle(err);
          callback(err, result);
        };
        return base.apply(this, args);
      }
      const result = base.apply(this, args) as Promise<unknown>;
      result.then(() => settle(null), settle);
      return result;
    }

    private giveUp(): void {
      this.destroy();
      // Busy ones find out through their own timeout; idle ones would only cost the next caller one.
      for (const other of [...live]) if (other.pending === 0) other.destroy();
    }
  }

  return GuardedClient;
}
