import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagMetrics, flagUsage, flagUsageHourly } from '../src/db/schema/index.ts';
import { addMetrics, type MetricRow } from '../src/features/usage/store.ts';
import { UsageAggregator } from '../src/features/usage/usage-aggregator.ts';
import { DATABASE_URL, startTestServer, type TestServer } from './helpers/test-server.ts';

/**
 * A usage flush racing a flag's delete: the flush must not write back the rows the delete removed.
 * The aggregator runs directly against the test server's Postgres; the delete is held open on a
 * second connection (the statements `deleteFlag` sends: the flag row, then its usage rows), so the
 * interleaving is fixed rather than left to timing.
 */
describe.skipIf(!DATABASE_URL)('usage flush against a flag delete', () => {
  let server: TestServer;
  let cookie: string;
  let client: pg.Client;
  const admin = (method: string, path: string, body?: unknown) => server.request(method, `/api/admin${path}`, { cookie, body });
  const counts = { yes: 3, no: 1 };
  const rowsOf = async (flag: string) => ({
    usage: await server.app.db.select().from(flagUsage).where(eq(flagUsage.flagKey, flag)),
    hourly: await server.app.db.select().from(flagUsageHourly).where(eq(flagUsageHourly.flagKey, flag)),
  });

  /** Until a connection of the test's database waits for a lock, or `done()` (it got through without waiting). */
  const untilWaitingOnALock = async (done: () => boolean) => {
    while (!done()) {
      const [row] = (
        (await server.app.db.execute(
          sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        )) as unknown as { rows: Array<{ n: number }> }
      ).rows;
      if ((row?.n ?? 0) > 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  beforeAll(async () => {
    // The server's own flush stays out of the way: this test flushes its aggregator itself.
    server = await startTestServer({ env: { USAGE_FLUSH_MS: '600000' } });
    cookie = await server.login();
    for (const key of ['kept', 'gone', 'raced', 'tracked']) expect((await admin('POST', '/flags', { key })).status).toBe(201);
    client = new pg.Client({ connectionString: server.config.databaseUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await server?.close();
  });

  it('leaves out counts of a flag deleted before the flush, and writes the others', async () => {
    expect((await admin('POST', '/flags/gone/archive')).status).toBe(200);
    expect((await admin('DELETE', '/flags/gone')).status).toBe(200);
    const errors: unknown[] = [];
    const aggregator = new UsageAggregator(server.app.db, (err) => errors.push(err));
    aggregator.add('production', { kept: counts, gone: counts }, new Date());
    await aggregator.flush();
    expect(errors).toEqual([]);
    expect(await rowsOf('gone')).toEqual({ usage: [], hourly: [] });
    const kept = await rowsOf('kept');
    expect(kept.usage).toMatchObject([{ environmentKey: 'production', yes: 3, no: 1 }]);
    expect(kept.hourly.map((r) => [r.enabled, r.count]).sort()).toEqual([
      [false, 1],
      [true, 3],
    ]);
  });

  it('does not write back the rows of a flag whose delete commits while the flush runs', async () => {
    const aggregator = new UsageAggregator(server.app.db, () => {});
    aggregator.add('production', { raced: counts, kept: counts }, new Date());
    // The delete has begun (flag row and usage rows gone) but not committed when the flush starts.
    await client.query('begin');
    await client.query(`delete from flags where key = 'raced'`);
    await client.query(`delete from flag_usage where flag_key = 'raced'`);
    await client.query(`delete from flag_usage_hourly where flag_key = 'raced'`);
    let done = false;
    const flushed = aggregator.flush().finally(() => {
      done = true;
    });
    // Either the flush waits for the delete's lock on the flag row, or it is done without waiting.
    await Promise.race([flushed, untilWaitingOnALock(() => done)]);
    await client.query('commit');
    await flushed;
    expect(await rowsOf('raced')).toEqual({ usage: [], hourly: [] });
    expect((await rowsOf('kept')).usage).toMatchObject([{ yes: 6, no: 2 }]);
  });
  it('does not write back tracked events of a flag whose delete commits while they are written', async () => {
    const row = (flagKey: string): MetricRow => ({
      environmentKey: 'production',
      flagKey,
      minute: new Date(Math.floor(Date.now() / 60_000) * 60_000),
      metric: 'clicks',
      enabled: true,
      variant: '',
      ruleId: '',
      count: 2,
      sum: 3,
    });
    await client.query('begin');
    await client.query(`delete from flags where key = 'tracked'`);
    await client.query(`delete from flag_metrics where flag_key = 'tracked'`);
    let done = false;
    const written = addMetrics(server.app.db, [row('tracked'), row('kept')]).finally(() => {
      done = true;
    });
    await untilWaitingOnALock(() => done);
    await client.query('commit');
    await written;
    const metrics = async (flag: string) => server.app.db.select().from(flagMetrics).where(eq(flagMetrics.flagKey, flag));
    expect(await metrics('tracked')).toEqual([]);
    expect(await metrics('kept')).toMatchObject([{ count: 2, sum: 3 }]);
  });
});
