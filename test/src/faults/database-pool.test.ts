import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_DEFAULTS } from '../../../server/src/config.ts';
import { type DatabaseHandle, openDatabase } from '../../../server/src/db/client.ts';
import { isDatabaseUnavailable } from '../../../server/src/errors.ts';
import { RelayMode, startTcpRelay, type TcpRelay } from '../support/tcp-relay.ts';

const { DATABASE_URL } = process.env;
if (!DATABASE_URL) console.warn('\n*** DATABASE_URL is not set: the database pool fault tests are SKIPPED. .ci/run sets it. ***\n');

const QUERY_TIMEOUT_MS = 900;

async function timed<T>(work: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = Date.now();
  try {
    const value = await work;
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

describe.skipIf(!DATABASE_URL)('the Postgres pool when connections go silent (TCP relay, in process)', () => {
  const handles: DatabaseHandle[] = [];
  const relays: TcpRelay[] = [];
  const target = new URL(DATABASE_URL ?? 'postgres://127.0.0.1:5432');
  const open = async (databaseUrl: string) => {
    const handle = await openDatabase({
      databaseUrl,
      dataDir: '',
      database: {
        ...DATABASE_DEFAULTS,
        connectTimeoutMs: 1000,
        queryTimeoutMs: QUERY_TIMEOUT_MS,
        statementTimeoutMs: 600,
        idleInTransactionTimeoutMs: 2345,
      },
    });
    handles.push(handle);
    return handle;
  };
  const relayed = async () => {
    const relay = await startTcpRelay({ host: target.hostname, port: Number(target.port || 5432) });
    relays.push(relay);
    return { relay, handle: await open(relay.urlFor(DATABASE_URL as string)) };
  };
  /** Several connections at once, so the pool holds that many idle afterwards. */
  const warm = (handle: DatabaseHandle, n: number) =>
    Promise.all(Array.from({ length: n }, () => handle.db.execute('select pg_sleep(0.05)')));

  afterAll(async () => {
    // A pool with silent connections would wait for them to say goodbye: the relays go first.
    for (const r of relays) await r.close();
    await Promise.all(handles.map((h) => h.close().catch(() => {})));
  });

  it('sets the statement and idle-in-transaction timeouts on every connection', async () => {
    const handle = await open(DATABASE_URL as string);
    const rows = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const res = (await handle.db.execute(
          "select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle, pg_sleep(0.05)",
        )) as unknown as { rows: Array<Record<string, unknown>> };
        return { statement: res.rows[0]?.statement, idle: res.rows[0]?.idle };
      }),
    );
    expect(rows).toEqual(Array.from({ length: 3 }, () => ({ statement: '600ms', idle: '2345ms' })));
    // Postgres cancels what runs too long; that counts as the database being unavailable (503).
    const slow = await timed(handle.db.execute('select pg_sleep(3)'));
    expect(isDatabaseUnavailable(slow.error)).toBe(true);
    expect(String((slow.error as Error).cause)).toContain('statement timeout');
  });

  it('drops a connection that went silent at the query timeout, and the idle ones with it', async () => {
    const { relay, handle } = await relayed();
    await warm(handle, 4);
    await relay.setMode(RelayMode.Failover);
    const first = await timed(handle.ping());
    expect(first.error).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(first.error)).toBe(true);
    expect(first.ms).toBeLessThan(QUERY_TIMEOUT_MS + 1000);
    // Without the idle ones going too, each of the next pings would take a silent connection and wait.
    for (let i = 0; i < 4; i++) {
      const next = await timed(handle.ping());
      expect(next.error).toBeUndefined();
      expect(next.ms).toBeLessThan(QUERY_TIMEOUT_MS);
    }
  });

  it('does not put a transaction whose connection went silent back into the pool', async () => {
    const { relay, handle } = await relayed();
    await warm(handle, 1);
    await relay.setMode(RelayMode.Failover);
    const tx = await timed(handle.db.transaction(async (t) => t.execute('select 1')));
    expect(isDatabaseUnavailable(tx.error)).toBe(true);
    // pg's own timeout leaves the connection stuck behind the unanswered query; had it gone back to
    // the pool, these would time out too.
    for (let i = 0; i < 3; i++) {
      const next = await timed(handle.db.transaction(async (t) => t.execute('select 1')));
      expect(next.error).toBeUndefined();
      expect(next.ms).toBeLessThan(QUERY_TIMEOUT_MS);
    }
    // Ending a pool waits for every client it lent: one kept by the failed BEGIN would hang here.
    const closed = await timed(
      Promise.race([
        handle.close(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('a client was never given back')), 3000)),
      ]),
    );
    expect(closed.error).toBeUndefined();
  });

  it('fails at the connect timeout, not never, when new connections are not answered', async () => {
    const { relay, handle } = await relayed();
    await relay.setMode(RelayMode.Blackhole);
    const ping = await timed(handle.ping());
    expect(isDatabaseUnavailable(ping.error)).toBe(true);
    expect(ping.ms).toBeLessThan(1000 + 1000);
    await relay.setMode(RelayMode.Refuse);
    const refused = await timed(handle.ping());
    expect(isDatabaseUnavailable(refused.error)).toBe(true);
    expect((refused.error as Error).message).toMatch(/ECONNREFUSED/);
  });
});
