import pg from 'pg';

/** pg's message for a query that outlived `query_timeout`. */
const READ_TIMEOUT = 'Query read timeout';

type Callback = (err: Error | null, result?: unknown) => void;
type QueryFn = (...args: unknown[]) => unknown;

/**
 * A `pg.Pool` that gives up on silent connections. pg's `query_timeout` fails the query but keeps
 * the connection, whose next queries then queue behind the unanswered one, and a transaction that
 * timed out goes back to the pool as if healthy. Here a timed-out query destroys its connection,
 * and every idle connection goes too: after a failover the old server's connections are all
 * silent, and finding that out one query timeout at a time would keep a replica cut off for minutes.
 *
 * A checked-out client whose connection is gone is handed back to the pool at once: drizzle sends
 * a transaction's BEGIN before the block that releases its client, so a BEGIN that fails would
 * otherwise hold a pool slot for good.
 */
export function createGuardedPool(config: pg.PoolConfig): pg.Pool {
  const live = new Set<GuardedClient>();

  class GuardedClient extends pg.Client {
    /** Between the pool's `acquire` and `release`. */
    checkedOut = false;
    private pending = 0;

    constructor(options?: string | pg.ClientConfig) {
      super(options);
      // A checked-out client has no pool listener; losing its connection must fail its queries
      // (it does), not crash the process with an unhandled 'error' event.
      this.on('error', () => {});
      this.once('connect', () => live.add(this));
      this.once('end', () => {
        live.delete(this);
        this.giveBack();
      });
    }

    destroy(): void {
      live.delete(this);
      const self = this as unknown as { _queryable: boolean; connection: { stream: { destroy(): void } } };
      // At once, not when the socket's close comes round: until then the pool could hand it out.
      self._queryable = false;
      self.connection.stream.destroy();
      // An idle client's 'error' is what makes the pool drop it; a checked-out one has our listener.
      this.emit('error', new Error('Connection terminated: a query on this pool went unanswered'));
      this.giveBack();
    }

    private giveBack(): void {
      if (!this.checkedOut) return;
      this.checkedOut = false;
      const client = this as unknown as pg.PoolClient;
      const release = client.release;
      // Whoever checked it out will release it too; by then there is nothing left to release.
      client.release = () => {};
      release.call(client, new Error('Connection terminated'));
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
        // The caller hears of its own failure first, not of the connection being dropped after it.
        args[at] = (err: Error | null, result?: unknown) => {
          callback(err, result);
          settle(err);
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

  const pool = new pg.Pool({ ...config, Client: GuardedClient });
  pool.on('acquire', (client) => {
    (client as unknown as GuardedClient).checkedOut = true;
  });
  pool.on('release', (_err, client) => {
    (client as unknown as GuardedClient).checkedOut = false;
  });
  return pool;
}
