import type { Actor, Role } from '../../domain/actor.ts';
import { type ChangeDeps, runChange } from '../../domain/changes.ts';
import { hashSecret, newSecret, TOKEN_PREFIX } from '../../domain/secrets.ts';
import { ForbiddenError, NotFoundError, UnauthenticatedError, VersionMismatchError, WrongPasswordError } from '../../errors.ts';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../users/passwords.ts';
import { normaliseEmail } from '../users/service.ts';
import { deleteSessionsOf, findUserByEmail, findUserById, type UserRow, updateUserAtVersion } from '../users/store.ts';
import { deleteExpiredSessionsOf, deleteSession, insertSession } from './store.ts';

export const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;

/** One message for an unknown email, a wrong password and a disabled user: none of them is told apart. */
const BAD_LOGIN = 'Wrong email or password';

/** The actor a user acts as; the same shape the auth plugin builds from a session. */
export function userActor(user: UserRow): Actor {
  return { kind: 'user', id: user.id, name: user.email, role: user.role as Role };
}

export function sessionUserView(user: UserRow) {
  return { id: user.id, email: user.email, name: user.name, role: user.role as Role };
}

export interface LoginResult {
  user: UserRow;
  /** The cookie's value; only its hash is stored. */
  secret: string;
}

export async function login(deps: ChangeDeps, input: { email: string; password: string; ip: string }): Promise<LoginResult> {
  const user = await findUserByEmail(deps.db, normaliseEmail(input.email));
  if (!user) {
    await verifyAgainstDummy(input.password);
    throw new UnauthenticatedError(BAD_LOGIN);
  }
  // Verify even for disabled users, so their answer takes as long as anyone's.
  const ok = await verifyPassword(user.passwordHash, input.password);
  if (!ok || user.disabledAt !== null) throw new UnauthenticatedError(BAD_LOGIN);

  const secret = newSecret(TOKEN_PREFIX.session);
  const now = new Date();
  await runChange(deps, userActor(user), async (c) => {
    await deleteExpiredSessionsOf(c.tx, user.id, now);
    await insertSession(c.tx, {
      tokenHash: hashSecret(secret),
      userId: user.id,
      expiresAt: new Date(now.getTime() + SESSION_TTL_SECONDS * 1000),
    });
    await c.audit({ action: 'user.login', resourceType: 'user', resourceKey: user.id, after: { ip: input.ip } });
  });
  return { user, secret };
}

/**
 * Ends the session whose cookie carries `secret`; audited only when there was one to end. The
 * caller may be authenticated by a token sent alongside, so the session's own user is the resource.
 */
export async function logout(deps: ChangeDeps, actor: Actor, secret: string): Promise<void> {
  await runChange(deps, actor, async (c) => {
    const userId = await deleteSession(c.tx, hashSecret(secret));
    if (userId !== undefined) await c.audit({ action: 'user.logout', resourceType: 'user', resourceKey: userId });
  });
}

/**
 * Any user changes their own password, proving the current one first (a session left open on a
 * shared screen must not be enough). Every other session of theirs ends; the one used stays.
 */
export async function changeOwnPassword(
  deps: ChangeDeps,
  actor: Actor,
  input: { currentPassword: string; newPassword: string },
  keepSessionHash: string | undefined,
): Promise<UserRow> {
  if (actor.kind !== 'user') throw new ForbiddenError('API tokens have no password; log in to change yours');
  const user = await findUserById(deps.db, actor.id);
  if (!user) throw new NotFoundError(`User ${actor.id}`);
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) throw new WrongPasswordError();
  const passwordHash = await hashPassword(input.newPassword);
  return runChange(deps, actor, async (c) => {
    const row = await updateUserAtVersion(c.tx, user.id, user.version, { passwordHash });
    if (!row) throw new VersionMismatchError((await findUserById(c.tx, user.id))?.version ?? user.version);
    await deleteSessionsOf(c.tx, user.id, keepSessionHash);
    await c.audit({ action: 'user.password_changed', resourceType: 'user', resourceKey: user.id, after: { passwordChanged: true } });
    return row;
  });
}
