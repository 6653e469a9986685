import type { Context } from '../command.ts';
import { ApiError, CliError } from '../errors.ts';
import { apiPath } from '../http.ts';
import type { FlagEnvironmentView, Rule } from '../types.ts';

export interface ConfigPatch {
  enabled?: boolean;
  rules?: Array<Omit<Rule, 'id'> & { id?: string }>;
}

export interface ConfigChangeResult {
  view: FlagEnvironmentView;
  /** False when the config already was as asked, so nothing was written. */
  changed: boolean;
}

export function readConfig(ctx: Context, key: string, env: string): Promise<FlagEnvironmentView> {
  return ctx.client.get<FlagEnvironmentView>(apiPath`/api/admin/flags/${key}/environments/${env}`);
}

/**
 * Read-modify-write of one environment's config under optimistic locking: read the current config
 * and its version, compute the patch from it, PATCH with `If-Match`. If someone else wrote in
 * between (412), the patch was computed from a config that no longer exists, so it is never resent
 * as is: without `--retry` the conflict is reported; with it, the config is read again and the
 * patch recomputed from the new one, once (a second conflict means a busy flag a person should look at).
 *
 * `change` returns null when the config already is as asked: no write, so re-running a pipeline
 * step does not add versions and audit entries that change nothing.
 */
export async function changeConfig(
  ctx: Context,
  key: string,
  env: string,
  change: (current: FlagEnvironmentView) => ConfigPatch | null,
): Promise<ConfigChangeResult> {
  const retries = ctx.opts.retry ? 1 : 0;
  for (let attempt = 0; ; attempt++) {
    const current = await readConfig(ctx, key, env);
    const patch = change(current);
    if (patch === null) return { view: current, changed: false };
    try {
      const view = await ctx.client.patch<FlagEnvironmentView>(
        apiPath`/api/admin/flags/${key}/environments/${env}`,
        patch,
        current.version,
      );
      return { view, changed: true };
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 412) throw err;
      const now = (err.details as { currentVersion?: unknown } | undefined)?.currentVersion;
      const nowText = typeof now === 'number' ? `version ${now}` : 'a newer version';
      if (attempt < retries) {
        ctx.out.note(
          `${key} in ${env} changed while it was being edited (read version ${current.version}, now ${nowText}); reading it again and retrying once`,
        );
        continue;
      }
      throw new CliError(
        `${key} in ${env} was changed by someone else after it was read (read version ${current.version}, now ${nowText}); nothing was written. ` +
          (retries > 0
            ? 'It changed again on the retry; check the flag and run again'
            : 'Check the change and run again, or pass --retry to re-read and retry once'),
        err.code,
      );
    }
  }
}
