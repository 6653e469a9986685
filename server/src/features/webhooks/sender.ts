import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { signatureHeader } from './signing.ts';
import type { ClaimedDelivery, StoredPayload } from './store.ts';
import { bareHost, type LookupAll, parseWebhookUrl, type ResolvedAddress, resolveTarget, systemLookup } from './targets.ts';

export const USER_AGENT = 'Switchboard-Webhooks';

/** The JSON a receiver gets, byte for byte what is signed; the same on every attempt. */
export function deliveryBody(id: number, p: StoredPayload): string {
  return JSON.stringify({
    id,
    event: p.event,
    resource: p.resource,
    environment: p.environment,
    actor: p.actor,
    before: p.before,
    after: p.after,
    at: p.at,
  });
}

export interface SendResult {
  /** The receiver answered 2xx. */
  ok: boolean;
  status: number | null;
  error: string | null;
}

export interface SendOptions {
  timeoutMs: number;
  lookup?: LookupAll;
  /** Aborts the attempt (shutdown); it then counts as failed and is retried later. */
  signal?: AbortSignal;
}

const SNIPPET_BYTES = 300;

/** Text safe to store in a `text` column and short enough for a log line. */
function clean(text: string, max = 500): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what Postgres refuses.
  const s = text.replace(/\u0000/g, '').replace(/[\ud800-\udfff]/gu, '\ufffd');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = e?.message ?? String(err);
  return clean(e?.code && !message.includes(e.code) ? `${e.code}: ${message}` : message);
}

/** Connects to the address that was checked, whatever DNS says by the time the socket opens. */
function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (typeof options === 'object' && options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
}

/**
 * One attempt: check where the URL leads now (unless private targets are allowed), then POST the
 * signed body to that very address. Redirects are not followed; the whole attempt, DNS included,
 * gets `timeoutMs`. Never throws: every failure is a result to record.
 */
export async function sendDelivery(d: ClaimedDelivery, options: SendOptions): Promise<SendResult> {
  const deadline = Date.now() + options.timeoutMs;
  let url: URL;
  let target: ResolvedAddress;
  try {
    url = parseWebhookUrl(d.url);
    target = await resolveTarget(url, d.allowPrivate, options.lookup ?? systemLookup, Math.min(options.timeoutMs, 5000));
  } catch (err) {
    return { ok: false, status: null, error: describe(err) };
  }
  const remaining = deadline - Date.now();
  if (remaining <= 0) return { ok: false, status: null, error: `timed out after ${options.timeoutMs} ms (DNS)` };
  if (options.signal?.aborted) return { ok: false, status: null, error: 'interrupted: the server is shutting down' };

  const body = deliveryBody(d.id, d.payload);
  const timestamp = Math.floor(Date.now() / 1000);
  const client = url.protocol === 'https:' ? https : http;

  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const req = client.request(
      {
        method: 'POST',
        hostname: bareHost(url),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': USER_AGENT,
          'x-switchboard-event': d.event,
          'x-switchboard-delivery': String(d.id),
          'x-switchboard-signature': signatureHeader(d.secret, timestamp, body, d.previousSecret),
        },
        // A fresh connection per attempt: a pooled socket could be one opened to an address that
        // was vetted for another delivery.
        agent: false,
        lookup: pinnedLookup(target),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          res.destroy();
          if (status >= 200 && status < 300) return finish({ ok: true, status, error: null });
          const text = clean(Buffer.concat(chunks).toString('utf8').slice(0, SNIPPET_BYTES), SNIPPET_BYTES);
          const why =
            status >= 300 && status < 400
              ? `redirect (${status}${res.headers.location ? ` to ${clean(res.headers.location, 200)}` : ''}) not followed`
              : `receiver answered ${status}`;
          finish({ ok: false, status, error: text ? `${why}: ${text}` : why });
        };
        res.on('data', (chunk: Buffer) => {
          if (size < SNIPPET_BYTES) chunks.push(chunk);
          size += chunk.length;
          if (size >= SNIPPET_BYTES) done();
        });
        res.on('end', done);
        res.on('error', done);
        res.on('aborted', done);
      },
    );
    req.on('error', (err) => finish({ ok: false, status: null, error: describe(err) }));
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${options.timeoutMs} ms`)), remaining);
    const onAbort = () => req.destroy(new Error('interrupted: the server is shutting down'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.end(body);
  });
}
