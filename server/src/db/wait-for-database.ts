import type { DatabaseTimeouts } from '../config.ts';
import { isDatabaseUnavailable, sqlState } from '../errors.ts';
import type { DatabaseHandle } from './client.ts';

/** Pause between start-up attempts while `DATABASE_CONNECT_RETRY_MS` lasts. */
const RETRY_PAUSE_MS = 1000;

/**
 * At start, one query to see the database answers, retried while `connectRetryMs` lasts (a
 * database starting next to us, say). Throws the last failure; `onFirstFailure` hears of the first
 * one when there will be retries, so the wait is not silent.
 */
export async function waitForDatabase(
  handle: DatabaseHandle,
  connectRetryMs: number,
  onFirstFailure: (err: unknown) => void = () => {},
): Promise<void> {
  const deadline = Date.now() + connectRetryMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await handle.ping();
      return;
    } catch (err) {
      const left = deadline - Date.now();
      if (!isDatabaseUnavailable(err) || left <= 0) throw err;
      if (attempt === 1) onFirstFailure(err);
      await new Promise((resolve) => setTimeout(resolve, Math.min(RETRY_PAUSE_MS, left)));
    }
  }
}

/** True for errors that came from the database or the way to it, rather than from our own code. */
export function isDatabaseError(err: unknown): boolean {
  return isDatabaseUnavailable(err) || sqlState(err) !== undefined;
}

/** The error and what it wraps, outermost first. */
function chain(err: unknown): Error[] {
  const out: Error[] = [];
  for (let e: unknown = err; e instanceof Error && out.length < 10; e = e.cause) {
    out.push(e);
    if (e instanceof AggregateError && e.errors[0] instanceof Error) out.push(e.errors[0]);
  }
  return out;
}

/** `host:port/database` of a URL, without user or password. */
export function databaseTarget(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** One line saying what went wrong with the database, naming the setting that bounds it. */
export function describeDatabaseFailure(err: unknown, databaseUrl: string, t: DatabaseTimeouts): string {
  const target = `the database at ${databaseTarget(databaseUrl)}`;
  const errors = chain(err);
  const codes = errors.map((e) => (e as { code?: unknown }).code).filter((c): c is string => typeof c === 'string');
  const messages = errors.map((e) => e.message.split('\n')[0] ?? '');
  let what: string;
  if (codes.includes('ECONNREFUSED')) what = `${target} refused the connection`;
  else if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN')) what = `the host of ${target} was not found`;
  else if (messages.includes('Query read timeout'))
    what = `${target} did not answer a query within ${t.queryTimeoutMs} ms (DATABASE_QUERY_TIMEOUT_MS)`;
  else if (messages.some((m) => /timeout/i.test(m)))
    what = `${target} did not answer within ${t.connectTimeoutMs} ms (DATABASE_CONNECT_TIMEOUT_MS)`;
  else {
    const last = messages.at(-1) ?? String(err);
    what = `${target} failed: ${last}${codes.length > 0 ? ` (${codes.at(-1)})` : ''}`;
  }
  const retried = t.connectRetryMs > 0 ? `, still after retrying for ${t.connectRetryMs} ms (DATABASE_CONNECT_RETRY_MS)` : '';
  return `${what}${retried}`;
}
