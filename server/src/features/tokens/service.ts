import { type Actor, actorRef, assertMayGrant, assertMayGrantIn, parseEnvironmentRoles, type Role } from '../../domain/actor.ts';
import { type ChangeDeps, runChange } from '../../domain/changes.ts';
import { hashSecret, newSecret, secretPrefix, TOKEN_PREFIX } from '../../domain/secrets.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import type { TokenScope } from './schemas.ts';
import { findToken, insertToken, revokeTokenRow, type TokenRow } from './store.ts';

/** What lists show of a token: never its secret or hash. */
export function tokenView(row: TokenRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role as Role,
    environmentRoles: parseEnvironmentRoles(row.environmentRoles),
    scope: row.scope as TokenScope,
    ownerId: row.ownerUserId,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** The secret is returned here and nowhere else: only its hash is stored. */
export async function createToken(
  deps: ChangeDeps,
  actor: Actor,
  input: {
    name: string;
    role: Role;
    environmentRoles?: Record<string, Role> | undefined;
    scope?: TokenScope | undefined;
    expiresAt?: string | undefined;
  },
): Promise<{ row: TokenRow; secret: string }> {
  assertMayGrant(actor, input.role);
  assertMayGrantIn(actor, input.environmentRoles ?? {});
  // The owner is the person behind the caller, so a token made with a token belongs to the same user.
  if (actor.userId === undefined) throw new ForbiddenError('Only users and their tokens can create tokens');
  const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
  if (expiresAt !== null && !(expiresAt.getTime() > Date.now()))
    throw new ValidationError('expiresAt must be in the future', [{ path: '/expiresAt', message: 'must be in the future' }]);
  const secret = newSecret(TOKEN_PREFIX.apiToken);
  const row = await runChange(deps, actor, async (c) => {
    const row = await insertToken(c.tx, {
      name: input.name,
      tokenHash: hashSecret(secret),
      prefix: secretPrefix(secret),
      role: input.role,
      environmentRoles: input.environmentRoles ?? {},
      scope: input.scope ?? 'write',
      ownerUserId: actor.userId,
      expiresAt,
      createdBy: actorRef(actor),
    });
    await c.audit({ action: 'token.created', resourceType: 'token', resourceKey: row.id, after: tokenView(row) });
    return row;
  });
  return { row, secret };
}

/** Revoking a revoked token changes nothing and writes nothing. */
export async function revokeToken(deps: ChangeDeps, actor: Actor, id: string): Promise<TokenRow> {
  return runChange(deps, actor, async (c) => {
    const before = await findToken(c.tx, id);
    if (!before) throw new NotFoundError(`Token ${id}`);
    const row = await revokeTokenRow(c.tx, id, new Date());
    if (!row) return before;
    await c.audit({ action: 'token.revoked', resourceType: 'token', resourceKey: id, before: tokenView(before), after: tokenView(row) });
    return row;
  });
}
