import { createContext, useContext } from 'react';
import type { Me, Role } from './types.ts';

const ORDER: Role[] = ['viewer', 'editor', 'admin'];

export function roleAtLeast(role: Role, required: Role): boolean {
  return ORDER.indexOf(role) >= ORDER.indexOf(required);
}

export interface Session {
  me: Me;
  logout: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside of a logged-in view');
  return s;
}

export interface Permission {
  allowed: boolean;
  /** Why not, in words a control can carry as its description. */
  reason: string | undefined;
}

const ROLE_NAMES: Record<Role, string> = { viewer: 'Viewers', editor: 'Editors', admin: 'Admins' };

/**
 * Whether the current user may do something that needs `required`; `what` completes the reason,
 * e.g. permission('editor', 'change flags') gives "Viewers cannot change flags".
 */
export function usePermission(required: Role, what: string): Permission {
  const { me } = useSession();
  if (roleAtLeast(me.role, required)) return { allowed: true, reason: undefined };
  return { allowed: false, reason: `${ROLE_NAMES[me.role]} cannot ${what}` };
}

/**
 * The same in one environment: a per-environment role (issue 17, `environmentRoles` of /me)
 * overrides the global one there, so an editor may be a viewer in production and the reverse.
 */
export function usePermissionIn(env: string, required: Role, what: string): Permission {
  const { me } = useSession();
  const own = me.environmentRoles?.[env];
  const role = own ?? me.role;
  if (roleAtLeast(role, required)) return { allowed: true, reason: undefined };
  return { allowed: false, reason: `${ROLE_NAMES[role]}${own ? ` in ${env}` : ''} cannot ${what}` };
}
