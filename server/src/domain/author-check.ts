import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { apiTokens, users } from '../db/schema/index.ts';
import { lowerRole, Role, roleAtLeast } from './actor.ts';

/**
 * Scheduled work (a scheduled change, a ramp's next step) runs later on behalf of whoever set it in
 * motion, so it is checked when it runs, not only when it was created: the author must still be
 * able to make the change themselves. Returns why not, or null when they still may. A token author
 * must be live (not revoked or expired, not read-only) and is capped by its owner, like any call.
 * Work from before authors were recorded (`null`) runs as before.
 */
export async function whyAuthorMayNotAct(db: Database, authorRef: string | null, now: Date): Promise<string | null> {
  if (authorRef === null) return null;
  const [kind, id = ''] = authorRef.split(':', 2) as [string, string | undefined];
  const uuid = /^[0-9a-f-]{36}$/i.test(id) ? id : '00000000-0000-0000-0000-000000000000';
  if (kind === 'user') {
    const [user] = await db.select().from(users).where(eq(users.id, uuid)).limit(1);
    if (!user) return `its author ${authorRef} no longer exists`;
    if (user.disabledAt !== null) return `its author ${user.email} is disabled`;
    if (!roleAtLeast(user.role as Role, Role.Editor)) return `its author ${user.email} is no longer an editor (now ${user.role})`;
    return null;
  }
  if (kind === 'token') {
    const [row] = await db
      .select({ token: apiTokens, ownerRole: users.role, ownerDisabledAt: users.disabledAt })
      .from(apiTokens)
      .leftJoin(users, eq(users.id, apiTokens.ownerUserId))
      .where(eq(apiTokens.id, uuid))
      .limit(1);
    if (!row) return `its author ${authorRef} no longer exists`;
    const name = `token ${row.token.name}`;
    if (row.token.revokedAt !== null) return `its author ${name} was revoked`;
    if (row.token.expiresAt !== null && row.token.expiresAt <= now) return `its author ${name} has expired`;
    if (row.token.scope === 'read') return `its author ${name} is read-only`;
    if (row.ownerRole === null || row.ownerDisabledAt !== null) return `the owner of its author ${name} is disabled or gone`;
    const role = lowerRole(row.token.role as Role, row.ownerRole as Role);
    if (!roleAtLeast(role, Role.Editor)) return `its author ${name} is no longer an editor (now ${role})`;
    return null;
  }
  return null; // system work (imports at start-up and the like) has no person to re-check
}
