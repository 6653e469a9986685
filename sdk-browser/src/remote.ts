import type { EvaluationContext, SwitchboardError } from '@switchboard/core';
import { toOfrepContext } from '@switchboard/core/ofrep';
import { backoffDelay, retryPolicyFor } from '@switchboard/core/protocol-rules';
import type { Kit } from './kit.ts';
import type { RemoteResults } from './ofrep-results.ts';
import type { Resolved } from './options.ts';
import type { View } from './shared-connection.ts';

/** What a client gives the server evaluation of its flags to read and to report to. */
export interface RemoteHooks {
  /**
   * The context's version, the context, its id (the cache key of its answers), and the version the
   * server's answers are for (a bootstrap's: 0; then nothing is asked on start).
   */
  context(): [version: number, context: EvaluationContext, id: string, answered: number];
  /** Answers for the context of version `v`, or why there are none (`error`). */
  answer(v: number, answers: RemoteResults | null, error?: SwitchboardError): void;
}

export interface RemoteEvaluation {
  /** Asks when the view or the context changed what is needed since the last request. */
  update(view: View): void;
  close(): void;
}

/**
 * The server's answers for the flags it evaluates for browsers (`remote` in the client view), for
 * one client: one OFREP bulk request for all of them (`POST /ofrep/v1/evaluate/flags` with
 * Switchboard's `flags` extension) on start, for each new context, and when a patch or snapshot
 * says one of them may have changed. Coalesced: one request in flight, and one more after it when
 * something changed meanwhile. A failed request is retried with core's backoff, a refused key
 * (fatal) only with the next change. Loaded on demand, only by pages whose view has such flags;
 * what it shares with the entry comes in `kit`.
 */
export function remoteEvaluation(o: Resolved, kit: Kit, cacheKey: string, client: RemoteHooks): RemoteEvaluation {
  /** What the last request was for: context version, newest change, keys. */
  let asked: string | undefined;
  let asking = false;
  let failures = 0;
  let timer: unknown;
  let latest: View | undefined;

  function update(view: View): void {
    latest = view;
    const [version, context, id, answered] = client.context();
    const keys = [...view.remote];
    const want = `${version} ${view.remoteAt} ${keys}`;
    // The bootstrap's answers stand for the first view.
    if (asked === undefined && answered === version) asked = want;
    if (want === asked || asking) return;
    asked = want;
    asking = true;
    request(context, keys, id)
      .then(
        (answers) => {
          failures = 0;
          client.answer(version, answers);
        },
        (error: SwitchboardError) => {
          if (!error.fatal) {
            error.retryInMs = backoffDelay(failures++, { random: o.random });
            timer = o.timers.set(() => {
              asked = '';
              if (latest) update(latest);
            }, error.retryInMs);
          }
          client.answer(version, null, error);
        },
      )
      .then(() => {
        asking = false;
        // Whatever arrived meanwhile: asked for now.
        if (latest) update(latest);
      });
  }

  async function request(context: EvaluationContext, keys: string[], id: string): Promise<RemoteResults> {
    let res: Response;
    try {
      res = await o.fetch(`${o.url}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: { authorization: `Bearer ${o.clientKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ context: toOfrepContext(context), flags: keys }),
      });
    } catch (cause) {
      throw new kit.SwitchboardError('NETWORK', String(cause), { cause });
    }
    const status = res.status;
    if (!res.ok) {
      throw new kit.SwitchboardError('HTTP_STATUS', `Server evaluation refused (HTTP ${status})`, {
        status,
        fatal: retryPolicyFor(status) === 'fatal',
      });
    }
    const body = await res.json().catch(() => {});
    if (!Array.isArray(body?.flags)) throw new kit.SwitchboardError('INVALID_DATA', 'Malformed server evaluation');
    const answers = kit.toResults(body.flags, keys);
    try {
      // The four latest contexts' answers, by id: a user's own answers only, never a context.
      const all = JSON.parse(o.storage?.getItem(cacheKey) ?? '{}');
      delete all[id];
      all[id] = answers;
      o.storage?.setItem(cacheKey, JSON.stringify(Object.fromEntries(Object.entries(all).slice(-4))));
    } catch {
      // Full or blocked storage costs the next page load its head start, nothing more.
    }
    return answers;
  }

  return { update, close: () => o.timers.clear(timer) };
}
