import { and, eq, sql } from 'drizzle-orm';
import { environments } from '../../db/schema/index.ts';
import type { Actor } from '../../domain/actor.ts';
import { type ChangeDeps, runChange } from '../../domain/changes.ts';
import { ConflictError, NotFoundError, VersionMismatchError } from '../../errors.ts';
import { deleteEnvironmentData, type EnvironmentRow, findEnvironment, insertEnvironment, listEnvironments } from './store.ts';

export const DEFAULT_ENVIRONMENTS = [
  { key: 'development', name: 'Development' },
  { key: 'staging', name: 'Staging' },
  { key: 'production', name: 'Production' },
] as const;

export function environmentView(row: EnvironmentRow) {
  return { key: row.key, name: row.name, revision: row.revision, version: row.version, createdAt: row.createdAt.toISOString() };
}

export async function createEnvironment(deps: ChangeDeps, actor: Actor, input: { key: string; name: string }) {
  return runChange(deps, actor, async (c) => {
    if (await findEnvironment(c.tx, input.key)) throw new ConflictError(`Environment ${input.key} exists already`);
    const count = (await listEnvironments(c.tx)).length;
    const row = await insertEnvironment(c.tx, input.key, input.name, count);
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

/** First start: the three usual environments, so a new user has somewhere to flip flags. */
export async function ensureDefaultEnvironments(deps: ChangeDeps, actor: Actor): Promise<void> {
  if ((await listEnvironments(deps.db)).length > 0) return;
  for (const env of DEFAULT_ENVIRONMENTS) await createEnvironment(deps, actor, env);
}
