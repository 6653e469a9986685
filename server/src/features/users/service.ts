import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import type { Database } from '../../db/client.ts';
import {
  type Actor,
  assertMayGrant,
  assertMayGrantIn,
  parseEnvironmentRoles,
  Role,
  roleAtLeast,
  SYSTEM_ACTOR,
} from '../../domain/actor.ts';
import { type ChangeDeps, runChange } from '../../domain/changes.ts';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  sqlState,
  ValidationError,
  VersionMismatchError,
  WrongPasswordError,
} from '../../errors.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import {
  countUsers,
  deleteSessionsOf,
  findUserByEmail,
  findUserById,
  insertUser,
  insertUserUnlessExists,
  lockEnabledAdmins,
  type UserChanges,
  type UserRow,
  updateUserAtVersion,
} from './store.ts';

/** What leaves the server of a user: never the password hash. */
export function userView(row: UserRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    environmentRoles: parseEnvironmentRoles(row.environmentRoles),
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    disabledAt: row.disabledAt?.toISOString() ?? null,
  };
}

/** Emails are compared case-insensitively, so they are stored lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function assertMayManage(actor: Actor, target: UserRow): void {
  if (!roleAtLeast(actor.role, target.role as Role))
    throw new ForbiddenError(`You cannot change a user whose role (${target.role}) is above yours`);
}

/** Must run inside the write's transaction: the admins stay locked until it commits. */
async function assertAnotherAdminRemains(tx: Database, userId: string, what: string): Promise<void> {
  const admins = await lockEnabledAdmins(tx);
  if (!admins.some((id) => id !== userId)) throw new ConflictError(`The last enabled admin cannot be ${what}`);
}

function emailTaken(email: string): ConflictError {
  return new ConflictError(`A user with email ${email} exists already`);
}

/** Postgres unique violation, raw or wrapped by drizzle: two creations of one email racing. */
function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

export interface CreateUserInput {
  email: string;
  name: string;
  password: string;
  role: Role;
}

export async function createUser(deps: ChangeDeps, actor: Actor, input: CreateUserInput): Promise<UserRow> {
  assertMayGrant(actor, input.role);
  const email = normaliseEmail(input.email);
  // Hashing takes tens of milliseconds of CPU; do it before the transaction, not while holding it.
  const passwordHash = await hashPassword(input.password);
  try {
    return await runChange(deps, actor, async (c) => {
      if (await findUserByEmail(c.tx, email)) throw emailTaken(email);
      const row = await insertUser(c.tx, { email, name: input.name, passwordHash, role: input.role });
      await c.audit({ action: 'user.created', resourceType: 'user', resourceKey: row.id, after: userView(row) });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw emailTaken(email);
    throw err;
  }
}

export interface UpdateUserInput {
  name?: string | undefined;
  role?: Role | undefined;
  environmentRoles?: Record<string, Role> | undefined;
  password?: string | undefined;
  /** Needed, and checked, when the caller changes their own password. */
  currentPassword?: string | undefined;
}

export async function updateUser(
  deps: ChangeDeps,
  actor: Actor,
  id: string,
  input: UpdateUserInput,
  version: number,
  /** The caller's own session, kept when they change their own password. */
  keepSessionHash?: string,
): Promise<UserRow> {
  if (input.name === undefined && input.role === undefined && input.password === undefined && input.environmentRoles === undefined) {
    throw new ValidationError('Nothing to change: send name, role, environmentRoles or password');
  }
  if (input.role !== undefined) assertMayGrant(actor, input.role);
  if (input.environmentRoles !== undefined) assertMayGrantIn(actor, input.environmentRoles);
  // An admin resets other people's passwords; their own needs the current one, as for everyone.
  if (input.password !== undefined && actor.userId === id) {
    const self = await findUserById(deps.db, id);
    if (!self || input.currentPassword === undefined || !(await verifyPassword(self.passwordHash, input.currentPassword)))
      throw new WrongPasswordError('Changing your own password needs your current one (currentPassword), and it must be right');
  }
  const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
  return runChange(deps, actor, async (c) => {
    const before = await findUserById(c.tx, id);
    if (!before) throw new NotFoundError(`User ${id}`);
    if (before.version !== version) throw new VersionMismatchError(before.version);
    assertMayManage(actor, before);
    if (before.role === Role.Admin && input.role !== undefined && input.role !== Role.Admin && before.disabledAt === null) {
      await assertAnotherAdminRemains(c.tx, id, 'demoted');
    }
    const changes: UserChanges = {};
    if (input.name !== undefined) changes.name = input.name;
    if (input.role !== undefined) changes.role = input.role;
    if (input.environmentRoles !== undefined) changes.environmentRoles = input.environmentRoles;
    if (passwordHash !== undefined) changes.passwordHash = passwordHash;
    const row = await updateUserAtVersion(c.tx, id, version, changes);
    if (!row) {
      // Someone else's write committed between our read and our update.
      const current = await findUserById(c.tx, id);
      if (!current) throw new NotFoundError(`User ${id}`);
      throw new VersionMismatchError(current.version);
    }
    // A new password is often a reaction to a leak: sessions opened with the old one end.
    if (passwordHash !== undefined) await deleteSessionsOf(c.tx, id, keepSessionHash);
    await c.audit({
      action: 'user.updated',
      resourceType: 'user',
      resourceKey: id,
      before: userView(before),
      after: passwordHash === undefined ? userView(row) : { ...userView(row), passwordChanged: true },
    });
    return row;
  });
}

/**
 * Users are disabled, never deleted: the audit log keeps naming them. Their sessions end at once;
 * disabling an already disabled user changes nothing and writes nothing.
 */
export async function disableUser(deps: ChangeDeps, actor: Actor, id: string): Promise<UserRow> {
  return runChange(deps, actor, async (c) => {
    const before = await findUserById(c.tx, id);
    if (!before) throw new NotFoundError(`User ${id}`);
    if (actor.kind === 'user' && actor.id === id) throw new ConflictError('You cannot disable yourself');
    assertMayManage(actor, before);
    if (before.disabledAt !== null) return before;
    if (before.role === Role.Admin) await assertAnotherAdminRemains(c.tx, id, 'disabled');
    const row = await updateUserAtVersion(c.tx, id, before.version, { disabledAt: new Date() });
    if (!row) {
      const current = await findUserById(c.tx, id);
      throw new VersionMismatchError(current?.version ?? before.version);
    }
    await deleteSessionsOf(c.tx, id);
    await c.audit({ action: 'user.disabled', resourceType: 'user', resourceKey: id, before: userView(before), after: userView(row) });
    return row;
  });
}

export const GENERATED_ADMIN_EMAIL = 'admin@localhost';

/**
 * First start: an admin to log in with. From ADMIN_EMAIL/ADMIN_PASSWORD when set; otherwise
 * admin@localhost with a random password that is logged once and never again, since only its hash
 * is kept. Does nothing once any user exists, so changing the variables later changes nothing.
 */
export async function ensureFirstAdmin(db: Database, config: Config, log: FastifyBaseLogger): Promise<void> {
  if ((await countUsers(db)) > 0) return;
  const configured =
    config.adminEmail !== undefined && config.adminPassword !== undefined
      ? { email: config.adminEmail, password: config.adminPassword }
      : undefined;
  const email = normaliseEmail(configured?.email ?? GENERATED_ADMIN_EMAIL);
  const password = configured?.password ?? randomBytes(18).toString('base64url');
  const passwordHash = await hashPassword(password);
  // User writes bump no environment revision, so there is nobody to tell after the commit.
  const deps: ChangeDeps = { db, onCommitted: () => {} };
  const row = await runChange(deps, SYSTEM_ACTOR, async (c) => {
    // Replicas starting together may all see no users; the email's uniqueness lets one win.
    const inserted = await insertUserUnlessExists(c.tx, { email, name: 'Admin', passwordHash, role: Role.Admin });
    if (inserted) await c.audit({ action: 'user.created', resourceType: 'user', resourceKey: inserted.id, after: userView(inserted) });
    return inserted;
  });
  if (!row) return;
  if (configured) {
    log.info({ email }, 'Created the first admin user from ADMIN_EMAIL');
  } else {
    log.warn(
      { email },
      `Created the first admin user ${email} with password ${password} . ` +
        'Save it now: it is never shown again. Log in and change it, or set ADMIN_EMAIL and ADMIN_PASSWORD before the first start.',
    );
  }
}
