import { and, eq, sql } from 'drizzle-orm';
import { environments } from '../../db/schema/index.ts';
import type { Actor } from '../../domain/actor.ts';
import { type ChangeDeps, runChange } from '../../domain/changes.ts';
import { ConflictError, NotFoundError, VersionMismatchError } from '../../errors.ts';
import { deleteEnvironmentData, type EnvironmentRow, findEnvironment, insertEnvironment, listEnvironments } from './store.ts';

/** Production starts protected (the admin UI confirms writes there); nobody needs approvals until an admin says so. */
export const DEFAULT_ENVIRONMENTS = [
  { key: 'development', name: 'Development', protected: false },
  { key: 'staging', name: 'Staging', protected: false },
  { key: 'production', name: 'Production', protected: true },
] as const;

export function environmentView(row: EnvironmentRow) {
  return {
    key: row.key,
    name: row.name,
    revision: row.revision,
    version: row.version,
    protected: row.protected,
    requiredApprovals: row.requiredApprovals,
    allowSelfApply: row.allowSelfApply,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function createEnvironment(deps: ChangeDeps, actor: Actor, input: { key: string; name: string; protected?: boolean }) {
  return runChange(deps, actor, async (c) => {
    if (await findEnvironment(c.tx, input.key)) throw new ConflictError(`Environment ${input.key} exists already`);
    const count = (await listEnvironments(c.tx)).length;
    const row = await insertEnvironment(c.tx, input.key, input.name, count, input.protected ?? false);
    await c.audit({ action: 'environment.created', resourceType: 'environment', resourceKey: row.key, after: environmentView(row) });
    return row;
  });
}

export async function renameEnvironment(deps: ChangeDeps, actor: Actor, key: string, name: string, version: number) {
  return runChange(deps, actor, async (c) => {
    const before = await findEnvironment(c.tx, key);
    if (!before) throw new NotFoundError(`Environment ${key}`);
    const [row] = await c.tx
      .update(environments)
      .set({ name, version: sql`${environments.version} + 1` })
      .where(and(eq(environments.key, key), eq(environments.version, version)))
      .returning();
    // Read again: the version that won, not the one read before the update waited for it.
    if (!row) throw new VersionMismatchError((await findEnvironment(c.tx, key))?.version ?? before.version);
    await c.audit({
      action: 'environment.renamed',
      resourceType: 'environment',
      resourceKey: key,
      before: environmentView(before),
      after: environmentView(row),
    });
    return row;
  });
}

export async function deleteEnvironment(deps: ChangeDeps, actor: Actor, key: string) {
  return runChange(deps, actor, async (c) => {
    const before = await findEnvironment(c.tx, key);
    if (!before) throw new NotFoundError(`Environment ${key}`);
    if ((await listEnvironments(c.tx)).length <= 1) throw new ConflictError('The last environment cannot be deleted');
    // Flag configs and SDK keys go with it (foreign keys cascade); so does everything else keyed by
    // it, or an environment created later under the same key would inherit its history.
    await deleteEnvironmentData(c.tx, key);
    await c.tx.delete(environments).where(eq(environments.key, key));
    await c.audit({ action: 'environment.deleted', resourceType: 'environment', resourceKey: key, before: environmentView(before) });
  });
}

export interface EnvironmentSettings {
  protected?: boolean | undefined;
  requiredApprovals?: number | undefined;
  allowSelfApply?: boolean | undefined;
}

/**
 * An admin's change of the production-safety settings. Lowering `requiredApprovals` to 0 turns
 * direct writes back on; like every settings change it is audited with before and after.
 */
export async function updateEnvironmentSettings(
  deps: ChangeDeps,
  actor: Actor,
  key: string,
  settings: EnvironmentSettings,
  version: number,
) {
  return runChange(deps, actor, async (c) => {
    const before = await findEnvironment(c.tx, key);
    if (!before) throw new NotFoundError(`Environment ${key}`);
    const set: Partial<EnvironmentRow> = {};
    if (settings.protected !== undefined) set.protected = settings.protected;
    if (settings.requiredApprovals !== undefined) set.requiredApprovals = settings.requiredApprovals;
    if (settings.allowSelfApply !== undefined) set.allowSelfApply = settings.allowSelfApply;
    const [row] = await c.tx
      .update(environments)
      .set({ ...set, version: sql`${environments.version} + 1` })
      .where(and(eq(environments.key, key), eq(environments.version, version)))
      .returning();
    if (!row) throw new VersionMismatchError((await findEnvironment(c.tx, key))?.version ?? before.version);
    await c.audit({
      action: 'environment.settings_changed',
      resourceType: 'environment',
      resourceKey: key,
      environmentKey: key,
      before: environmentView(before),
      after: environmentView(row),
    });
    return row;
  });
}

/** First start: the three usual environments, so a new user has somewhere to flip flags. */
export async function ensureDefaultEnvironments(deps: ChangeDeps, actor: Actor): Promise<void> {
  if ((await listEnvironments(deps.db)).length > 0) return;
  for (const env of DEFAULT_ENVIRONMENTS) await createEnvironment(deps, actor, env);
}
