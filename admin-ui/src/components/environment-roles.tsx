import { useState } from 'react';
import { api, messageOf, seg } from '../api.ts';
import { useAppData } from '../data.tsx';
import type { Role, User } from '../types.ts';
import { Badge, Button, ConfirmDialog, Field, useToast } from './ui.tsx';

/**
 * Per-environment roles (issue 17): a user's or a token's role in one environment overrides its
 * global role there ("editor, but viewer in production"). Users: admins edit the whole map in a
 * dialog (PATCH /users/:id replaces it); tokens: shown only (they are created with the global role).
 */

const ROLES: Role[] = ['viewer', 'editor', 'admin'];

const tone = (r: Role) => (r === 'admin' ? 'accent' : r === 'editor' ? 'info' : 'neutral');

/** "viewer in Production, admin in Staging", as badges; nothing when there are none. */
export function EnvironmentRoleBadges({ roles }: { roles: Record<string, Role> | undefined }) {
  const { environments } = useAppData();
  const entries = Object.entries(roles ?? {});
  if (entries.length === 0) return null;
  const name = (key: string) => environments.find((e) => e.key === key)?.name ?? key;
  return (
    <ul className="plain-list small environment-roles">
      {entries.map(([env, role]) => (
        <li key={env}>
          <Badge tone={tone(role)}>{role}</Badge> in {name(env)}
        </li>
      ))}
    </ul>
  );
}

/** The user's roles per environment, with an Edit dialog (admins only reach this page). */
export function UserEnvironmentRoles({ user, onSaved }: { user: User; onSaved: () => void }) {
  const { environments } = useAppData();
  const notify = useToast();
  const [draft, setDraft] = useState<Record<string, Role> | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const save = async () => {
    if (!draft) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.patch<User>(`/users/${seg(user.id)}`, { environmentRoles: draft }, { version: user.version });
      notify(`Saved the environment roles of ${user.email}`, 'success');
      setDraft(null);
      onSaved();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <EnvironmentRoleBadges roles={user.environmentRoles} />
      {user.disabledAt ? null : (
        <Button
          size="small"
          variant="ghost"
          onClick={() => {
            setError(undefined);
            setDraft({ ...(user.environmentRoles ?? {}) });
          }}
        >
          Environment roles<span className="visually-hidden"> of {user.email}</span>
        </Button>
      )}
      <ConfirmDialog
        open={draft !== null}
        title={`Environment roles of ${user.email}`}
        confirmLabel="Save roles"
        busy={busy}
        error={error}
        onCancel={() => setDraft(null)}
        onConfirm={() => void save()}
      >
        <p>
          In each environment, {user.name} has their role (<strong>{user.role}</strong>) unless you pick another here: for example viewer in
          production, so they can read it but change it only through someone else.
        </p>
        {environments.map((e) => (
          <Field key={e.key} label={`Role in ${e.name}`}>
            {(p) => (
              <select
                {...p}
                className="input"
                value={draft?.[e.key] ?? ''}
                onChange={(ev) => {
                  const next = { ...(draft ?? {}) };
                  if (ev.target.value) next[e.key] = ev.target.value as Role;
                  else delete next[e.key];
                  setDraft(next);
                }}
              >
                <option value="">Their role ({user.role})</option>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r[0]?.toUpperCase()}
                    {r.slice(1)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ))}
      </ConfirmDialog>
    </>
  );
}
