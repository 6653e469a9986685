import {
  type BrowserBootstrap,
  type EvaluationContext,
  type OfrepBulkResponse,
  parseSnapshot,
  SwitchboardError,
  SwitchboardErrorCode,
  toOfrepContext,
} from '@switchboard/core';

export interface BrowserBootstrapOptions {
  /** The Switchboard server, e.g. `https://flags.example.com` (as the browser client gets it). */
  url: string;
  /** The client key the page uses: the bootstrap holds exactly what that key may see. */
  clientKey: string;
  /** The page's context; server-evaluated (`remote`) flags are answered for it. */
  context?: EvaluationContext;
  fetch?: typeof fetch;
  /** Per request; default 5 s (a page render should not wait on flags for long). */
  timeoutMs?: number;
}

/**
 * What a server render hands to `<FlagProvider bootstrap>` (or `createClient({ bootstrap })`): the
 * client view (`GET /api/client/snapshot` with the client key) and, when that view has flags
 * evaluated on the server (`remote: true`), their answers for `context` from OFREP bulk evaluation
 * (`POST /ofrep/v1/evaluate/flags` with those keys). Plain JSON: serialize it into the page as is.
 * Throws a `SwitchboardError` when either request fails, so the page can render without flags.
 */
export async function getBrowserBootstrap(options: BrowserBootstrapOptions): Promise<BrowserBootstrap> {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const context = options.context ?? {};
  const request = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        ...init,
        headers: { ...init.headers, authorization: `Bearer ${options.clientKey}`, accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
    } catch (cause) {
      const timedOut = (cause as Error)?.name === 'TimeoutError';
      throw new SwitchboardError(timedOut ? SwitchboardErrorCode.Timeout : SwitchboardErrorCode.Network, `${path}: ${cause}`, { cause });
    }
    if (res.status !== 200) {
      const body = await res.text().catch(() => '');
      throw new SwitchboardError(SwitchboardErrorCode.HttpStatus, `${path}: HTTP ${res.status} ${body.slice(0, 200)}`, {
        status: res.status,
        fatal: res.status === 401 || res.status === 403,
      });
    }
    try {
      return await res.json();
    } catch (cause) {
      throw new SwitchboardError(SwitchboardErrorCode.InvalidData, `${path}: not JSON`, { cause });
    }
  };

  const snapshot = parseSnapshot(await request('/api/client/snapshot'));
  if (!snapshot) throw new SwitchboardError(SwitchboardErrorCode.InvalidData, '/api/client/snapshot: not a client view');
  const remote = snapshot.flags.filter((f) => f.remote === true).map((f) => f.key);
  if (remote.length === 0) return { snapshot, context, results: [] };
  const bulk = (await request('/ofrep/v1/evaluate/flags', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ context: toOfrepContext(context), flags: remote }),
  })) as OfrepBulkResponse;
  if (!bulk || !Array.isArray(bulk.flags))
    throw new SwitchboardError(SwitchboardErrorCode.InvalidData, '/ofrep/v1/evaluate/flags: no `flags` list');
  const wanted = new Set(remote);
  return { snapshot, context, results: bulk.flags.filter((r) => r && wanted.has(r.key)) };
}
