import { ForbiddenError } from '../errors.ts';

/** Who is making a request to the admin API. */

export const Role = {
  Viewer: 'viewer',
  Editor: 'editor',
  Admin: 'admin',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export const ROLES: readonly Role[] = [Role.Viewer, Role.Editor, Role.Admin];

export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

/** The lesser of two roles: a token never does more than its owner may. */
export function lowerRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}

export interface Actor {
  kind: 'user' | 'token' | 'system';
  id: string;
  /** Email for users, token name for tokens; what the audit log shows. */
  name: string;
  role: Role;
  /** The user behind the actor: the user itself, or the owner of a token. */
  userId?: string;
  /** A token with the `read` scope: only reads, whatever its role. */
  readOnly?: boolean;
  /**
   * Roles that replace `role` on routes scoped to one environment (a token's already capped by its
   * owner's). Absent environments use `role`.
   */
  environmentRoles?: Readonly<Record<string, Role>>;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'system', name: 'system', role: Role.Admin };

export function actorRef(actor: Actor): string {
  return `${actor.kind}:${actor.id}`;
}

/** Nobody hands out more power than they hold, whatever the route's own role check allows. */
export function assertMayGrant(actor: Actor, role: Role): void {
  if (!roleAtLeast(actor.role, role)) throw new ForbiddenError(`You cannot grant the ${role} role; yours is ${actor.role}`);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Stored per-environment roles, with anything that is not a role dropped. */
export function parseEnvironmentRoles(stored: unknown): Record<string, Role> {
  const out: Record<string, Role> = {};
  if (stored && typeof stored === 'object' && !Array.isArray(stored)) {
    for (const [env, role] of Object.entries(stored)) if (isRole(role)) out[env] = role;
  }
  return out;
}

/** The role an actor holds in one environment. */
export function roleIn(actor: Actor, environment: string): Role {
  return actor.environmentRoles?.[environment] ?? actor.role;
}

/** The highest role an actor holds anywhere (its global role or any environment's). */
export function highestRole(actor: Actor): Role {
  return Object.values(actor.environmentRoles ?? {}).reduce((a, r) => (roleAtLeast(r, a) ? r : a), actor.role);
}

/** The lowest role an actor holds anywhere: what a write reaching every environment needs. */
export function lowestRole(actor: Actor): Role {
  return Object.values(actor.environmentRoles ?? {}).reduce(lowerRole, actor.role);
}

/**
 * A token's roles per environment: in each, the lower of the token's and its owner's role there,
 * so a token never does more than its owner may in any environment.
 */
export function cappedEnvironmentRoles(
  tokenRole: Role,
  tokenRoles: Record<string, Role>,
  ownerRole: Role,
  ownerRoles: Record<string, Role>,
): Record<string, Role> {
  const out: Record<string, Role> = {};
  for (const env of new Set([...Object.keys(tokenRoles), ...Object.keys(ownerRoles)])) {
    out[env] = lowerRole(tokenRoles[env] ?? tokenRole, ownerRoles[env] ?? ownerRole);
  }
  return out;
}

/** As `assertMayGrant`, for per-environment roles: never above what the granter holds there. */
export function assertMayGrantIn(actor: Actor, roles: Record<string, Role>): void {
  for (const [env, role] of Object.entries(roles)) {
    if (!roleAtLeast(roleIn(actor, env), role))
      throw new ForbiddenError(`You cannot grant the ${role} role in ${env}; yours there is ${roleIn(actor, env)}`);
  }
}
