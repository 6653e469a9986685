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
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: 'system', name: 'system', role: Role.Admin };

export function actorRef(actor: Actor): string {
  return `${actor.kind}:${actor.id}`;
}

/** Nobody hands out more power than they hold, whatever the route's own role check allows. */
export function assertMayGrant(actor: Actor, role: Role): void {
  if (!roleAtLeast(actor.role, role)) throw new ForbiddenError(`You cannot grant the ${role} role; yours is ${actor.role}`);
}
