import { type Actor, actorRef } from '../../domain/actor.ts';
import { type ChangeDeps, runChange } from '../../domain/changes.ts';
import { hashSecret, newSecret, secretPrefix, TOKEN_PREFIX } from '../../domain/secrets.ts';
import { NotFoundError } from '../../errors.ts';
import { findEnvironment } from '../environments/store.ts';
import { findKey, insertKey, type KeyKind, type KeyRow, revokeKeyRow } from './store.ts';

/** What lists show of an SDK key: never its secret or hash. */
export function keyView(row: KeyRow) {
  return {
    id: row.id,
    name: row.name,
    environment: row.environmentKey,
    kind: row.kind as KeyKind,
    prefix: row.prefix,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** The secret is returned here and nowhere else: only its hash is stored. */
export async function createKey(
  deps: ChangeDeps,
  actor: Actor,
  input: { name: string; environment: string; kind: KeyKind },
): Promise<{ row: KeyRow; secret: string }> {
  const secret = newSecret(input.kind === 'server' ? TOKEN_PREFIX.serverKey : TOKEN_PREFIX.clientKey);
  const row = await runChange(deps, actor, async (c) => {
    if (!(await findEnvironment(c.tx, input.environment))) throw new NotFoundError(`Environment ${input.environment}`);
    const row = await insertKey(c.tx, {
      name: input.name,
      environmentKey: input.environment,
      kind: input.kind,
      keyHash: hashSecret(secret),
      prefix: secretPrefix(secret),
      createdBy: actorRef(actor),
    });
    await c.audit({
      action: 'key.created',
      resourceType: 'sdk_key',
      resourceKey: row.id,
      environmentKey: row.environmentKey,
      after: keyView(row),
    });
    return row;
  });
  return { row, secret };
}

/** Revoking a revoked key changes nothing and writes nothing. */
export async function revokeKey(deps: ChangeDeps, actor: Actor, id: string): Promise<KeyRow> {
  return runChange(deps, actor, async (c) => {
    const before = await findKey(c.tx, id);
    if (!before) throw new NotFoundError(`SDK key ${id}`);
    const row = await revokeKeyRow(c.tx, id, new Date());
    if (!row) return before;
    await c.audit({
      action: 'key.revoked',
      resourceType: 'sdk_key',
      resourceKey: id,
      environmentKey: row.environmentKey,
      before: keyView(before),
      after: keyView(row),
    });
    return row;
  });
}
