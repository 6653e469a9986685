import { useState } from 'react';
import { ApiError, api, messageOf, seg } from '../api.ts';
import { UserEnvironmentRoles } from '../components/environment-roles.tsx';
import { FormError } from '../components/form-error.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { Badge, Button, ConfirmDialog, ErrorState, Field, Loading, PageHeader, useToast } from '../components/ui.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { useDocumentTitle, useResource } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { usePermission, useSession } from '../session.tsx';
import type { Role, User } from '../types.ts';
import { submitWith, useAction } from '../use-action.ts';
import { useConfirm } from '../use-confirm.ts';

const ROLE_HELP: Record<Role, string> = {
  viewer: 'sees everything, changes nothing',
  editor: 'changes flags and segments',
  admin: 'also manages users, environments, keys and tokens',
};

export function UsersPage() {
  useDocumentTitle('Users');
  const perm = usePermission('admin', 'see or manage users');
  const { me } = useSession();
  const notify = useToast();
  const users = useResource(
    () => (perm.allowed ? api.getAll<'users', User>('/users', 'users') : Promise.resolve({ users: [] as User[] })),
    [perm.allowed],
  );
  useActivity(
    (a) => a.resourceType === 'user' && !a.action.startsWith('user.log'),
    () => void users.reload(),
  );
  const [form, setForm] = useState<{ email: string; name: string; password: string; role: Role }>({
    email: '',
    name: '',
    password: '',
    role: 'editor',
  });
  const [rowError, setRowError] = useState<{ id: string; message: string } | null>(null);
  const [newPassword, setNewPassword] = useState('');

  const create = useAction(
    async () => {
      const created = await api.post<User>('/users', { ...form, email: form.email.trim(), name: form.name.trim() || form.email.trim() });
      notify(`Added ${created.email} as ${created.role}`, 'success');
      setForm({ email: '', name: '', password: '', role: form.role });
      void users.reload();
    },
    { issuesOf: (err) => (err.code === 'CONFLICT' ? [{ path: '/email', message: err.message }] : err.issues) },
  );

  const changeRole = async (u: User, role: Role) => {
    setRowError(null);
    try {
      await api.patch<User>(`/users/${seg(u.id)}`, { role }, { version: u.version });
      notify(`${u.email} is now ${role}`, 'success');
    } catch (err) {
      setRowError({
        id: u.id,
        message:
          err instanceof ApiError && err.isConflict
            ? 'Someone changed this user meanwhile; the list now shows the latest.'
            : messageOf(err),
      });
    }
    void users.reload();
  };

  const disabling = useConfirm(async (u: User) => {
    await api.del(`/users/${seg(u.id)}`);
    notify(`Disabled ${u.email}`, 'success');
    void users.reload();
  });

  const passwordFor = useConfirm(
    async (u: User) => {
      await api.patch<User>(`/users/${seg(u.id)}`, { password: newPassword }, { version: u.version });
      notify(`Set a new password for ${u.email}`, 'success');
      void users.reload();
    },
    { messageOf: (err) => (err instanceof ApiError && err.issues.length > 0 ? 'Passwords have 8 to 200 characters.' : messageOf(err)) },
  );

  const list = users.data?.users ?? [];
  return (
    <div className="page">
      <PageHeader title="Users" subtitle="Who can log in, and what each role may do." />
      <ul className="role-help">
        {(Object.keys(ROLE_HELP) as Role[]).map((r) => (
          <li key={r}>
            <Badge tone={r === 'admin' ? 'accent' : r === 'editor' ? 'info' : 'neutral'}>{r}</Badge> {ROLE_HELP[r]}
          </li>
        ))}
      </ul>
      {!perm.allowed ? (
        <p className="readonly-note">Only admins can see and manage users. You are {me.role}.</p>
      ) : (
        <>
          <form className="card form inline-form" onSubmit={submitWith(create)} noValidate>
            <h2 className="h4">Add a user</h2>
            <div className="form-row">
              <Field label="Email" error={create.issues.at('/email')}>
                {(p) => (
                  <input
                    {...p}
                    className="input"
                    type="email"
                    value={form.email}
                    onChange={(e) => setForm({ ...form, email: e.target.value })}
                  />
                )}
              </Field>
              <Field label="Name" error={create.issues.at('/name')}>
                {(p) => <input {...p} className="input" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
              </Field>
              <Field label="Initial password" hint="At least 8 characters; share it safely" error={create.issues.at('/password')}>
                {(p) => (
                  <input
                    {...p}
                    className="input"
                    type="password"
                    autoComplete="new-password"
                    value={form.password}
                    onChange={(e) => setForm({ ...form, password: e.target.value })}
                  />
                )}
              </Field>
              <Field label="Role" error={create.issues.at('/role')}>
                {(p) => (
                  <select {...p} className="input" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
                    <option value="viewer">Viewer</option>
                    <option value="editor">Editor</option>
                    <option value="admin">Admin</option>
                  </select>
                )}
              </Field>
              <Button
                type="submit"
                variant="primary"
                busy={create.busy}
                disabled={!form.email.trim() || !form.password}
                className="align-end"
              >
                Add user
              </Button>
            </div>
            <FormError error={create.error} issues={create.issues} />
          </form>
          {users.error ? <ErrorState error={users.error} onRetry={() => void users.reload()} /> : null}
          {!users.data && !users.error ? <Loading /> : null}
          {list.length > 0 ? (
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">Users</caption>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                    <th scope="col">Per environment</th>
                    <th scope="col">Status</th>
                    <th scope="col">Added</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((u) => {
                    const self = u.email === me.email || u.id === me.id;
                    return (
                      <tr key={u.id} className={u.disabledAt ? 'row-archived' : ''}>
                        <th scope="row">
                          {u.name}
                          {self ? <span className="muted"> (you)</span> : null}
                          <div className="muted small">{u.email}</div>
                        </th>
                        <td data-label="Role">
                          <label className="visually-hidden" htmlFor={`role-${u.id}`}>
                            Role of {u.email}
                          </label>
                          <select
                            id={`role-${u.id}`}
                            className="input input-compact"
                            value={u.role}
                            disabled={u.disabledAt !== null}
                            onChange={(e) => void changeRole(u, e.target.value as Role)}
                          >
                            <option value="viewer">Viewer</option>
                            <option value="editor">Editor</option>
                            <option value="admin">Admin</option>
                          </select>
                          {rowError?.id === u.id ? (
                            <p className="field-error" role="alert">
                              {rowError.message}
                            </p>
                          ) : null}
                        </td>
                        <td data-label="Per environment">
                          <UserEnvironmentRoles user={u} onSaved={() => void users.reload()} />
                        </td>
                        <td data-label="Status">
                          <StatusBadge endedAt={u.disabledAt} ended="disabled" />
                        </td>
                        <td data-label="Added" title={dateTime(u.createdAt)}>
                          {timeAgo(u.createdAt)}
                        </td>
                        <td className="actions">
                          {u.disabledAt ? null : (
                            <div className="row gap-small">
                              <Button
                                size="small"
                                variant="ghost"
                                onClick={() => {
                                  passwordFor.open(u);
                                  setNewPassword('');
                                }}
                              >
                                Set password<span className="visually-hidden"> for {u.email}</span>
                              </Button>
                              <Button
                                size="small"
                                variant="danger"
                                perm={self ? { allowed: false, reason: 'You cannot disable yourself' } : undefined}
                                onClick={() => disabling.open(u)}
                                aria-label={`Disable ${u.email}`}
                              >
                                Disable
                              </Button>
                            </div>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          ) : null}
        </>
      )}
      <ConfirmDialog {...disabling.dialog} title={`Disable ${disabling.target?.email ?? ''}?`} confirmLabel="Disable user" danger>
        <p>They are logged out and can no longer log in. Their changes stay in the history.</p>
      </ConfirmDialog>
      <ConfirmDialog
        {...passwordFor.dialog}
        title={`New password for ${passwordFor.target?.email ?? ''}`}
        confirmLabel="Set password"
        confirmDisabled={newPassword.length < 8}
      >
        <Field label="New password" hint="At least 8 characters">
          {(p) => (
            <input
              {...p}
              className="input"
              type="password"
              autoComplete="new-password"
              value={newPassword}
              onChange={(e) => setNewPassword(e.target.value)}
            />
          )}
        </Field>
      </ConfirmDialog>
    </div>
  );
}
