import type { Database } from '../../db/client.ts';
import { users } from '../../db/schema/index.ts';
import { type Actor, Role, roleAtLeast } from '../../domain/actor.ts';

/**
 * What non-admins see of people in the audit log and the activity stream. Emails and login
 * addresses are personal data only admins may list (`GET /users` is admin-only), so for viewers and
 * editors every user's email becomes that user's display name and `ip` fields are left out. Emails
 * that are not users' (values in flag conditions) stay as they are.
 */
export type PeopleNames = ReadonlyMap<string, string>;

export function seesPeople(actor: Actor): boolean {
  return roleAtLeast(actor.role, Role.Admin);
}

/** Lower-cased email -> display name, for every user (disabled ones too: the log keeps naming them). */
export async function loadPeopleNames(db: Database): Promise<PeopleNames> {
  const rows = await db.select({ email: users.email, name: users.name }).from(users);
  return new Map(rows.map((r) => [r.email.toLowerCase(), r.name]));
}

const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+/g;

function redactString(text: string, names: PeopleNames): string {
  return text.replace(EMAIL, (email) => names.get(email.toLowerCase()) ?? email);
}

/** A copy of `value` with users' emails replaced by their names and `ip` members dropped. */
export function redactPeople<T>(value: T, names: PeopleNames): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactString(v, names);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, inner] of Object.entries(v)) {
        if (k === 'ip') continue;
        out[k] = walk(inner);
      }
      return out;
    }
    return v;
  };
  return walk(value) as T;
}
