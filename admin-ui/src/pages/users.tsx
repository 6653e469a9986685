import { type FormEvent, useState } from 'react';
import { ApiError, api, messageOf, seg } from '../api.ts';
import { Badge, Button, ConfirmDialog, ErrorState, Field, Loading, PageHeader, useToast } from '../components/ui.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { useDocumentTitle, useResource } from '../hooks.ts';
import { Issues } from '../issues.ts';
import { useActivity } from '../live.ts';
import { usePermission, useSession } from '../session.tsx';
import type { Role, User } from '../types.ts';

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
    () => (perm.allowed ? api.get<{ users: User[] }>('/users') : Promise.resolve({ users: [] as User[] })),
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
  const [issues, setIssues] = useState(new Issues());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [rowError, setRowError] = useState<{ id: string; message: string } | null>(null);
  const [disabling, setDisabling] = useState<User | null>(null);
  const [disableBusy, setDisableBusy] = useState(false);
  const [disableError, setDisableError] = useState<string | undefined>(undefined);
  const [passwordFor, setPasswordFor] = useState<User | null>(null);
  const [newPassword, setNewPassword] = useState('');
  const [passwordBusy, setPasswordBusy] = useState(false);
  const [passwordError, setPasswordError] = useState<string | undefined>(undefined);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setIssues(new Issues());
    try {
      const created = await api.post<User>('/users', { ...form, email: form.email.trim(), name: form.name.trim() || form.email.trim() });
      notify(`Added ${created.email} as ${created.role}`, 'success');
      setForm({ email: '', name: '', password: '', role: form.role });
      void users.reload();
    } catch (err) {
      if (err instanceof ApiError) {
        setIssues(new Issues(err.code === 'CONFLICT' ? [{ path: '/email', message: err.message }] : err.issues));
        setError(err.message);
      } else setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

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

  const disable = async () => {
    if (!disabling) return;
    setDisableBusy(true);
    setDisableError(undefined);
    try {
      await api.del(`/users/${seg(disabling.id)}`);
      notify(`Disabled ${disabling.email}`, 'success');
      setDisabling(null);
      void users.reload();
    } catch (err) {
      setDisableError(messageOf(err));
    } finally {
      setDisableBusy(false);
    }
  };

  const setPassword = async () => {
    if (!passwordFor) return;
    setPasswordBusy(true);
    setPasswordError(undefined);
    try {
      await api.patch<User>(`/users/${seg(passwordFor.id)}`, { password: newPassword }, { version: passwordFor.version });
      notify(`Set a new password for ${passwordFor.email}`, 'success');
      setPasswordFor(null);
      void users.reload();
    } catch (err) {
      setPasswordError(err instanceof ApiError && err.issues.length > 0 ? 'Passwords have 8 to 200 characters.' : messageOf(err));
    } finally {
      setPasswordBusy(false);
    }
  };

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
          <form className="card form inline-form" onSubmit={create} noValidate>
            <h2 className="h4">Add a user</h2>
            <div className="form-row">
              <Field label="Email" error={issues.at('/email')}>
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
              <Field label="Name" error={issues.at('/name')}>
                {(p) => <input {...p} className="input" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
              </Field>
              <Field label="Initial password" hint="At least 8 characters; share it safely" error={issues.at('/password')}>
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
              <Field label="Role" error={issues.at('/role')}>
                {(p) => (
                  <select {...p} className="input" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
                    <option value="viewer">Viewer</option>
                    <option value="editor">Editor</option>
                    <option value="admin">Admin</option>
                  </select>
                )}
              </Field>
              <Button type="submit" variant="primary" busy={busy} disabled={!form.email.trim() || !form.password} className="align-end">
                Add user
              </Button>
            </div>
            {error && issues.size === 0 ? (
              <p className="field-error" role="alert">
                {error}
              </p>
            ) : null}
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
                        <td data-label="Status">
                          {u.disabledAt ? (
                            <Badge tone="warning" title={dateTime(u.disabledAt)}>
                              disabled
                            </Badge>
                          ) : (
                            <Badge tone="success">active</Badge>
                          )}
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
                                  setPasswordFor(u);
                                  setNewPassword('');
                                  setPasswordError(undefined);
                                }}
                                aria-label={`Set a new password for ${u.email}`}
                              >
                                Set password
                              </Button>
                              <Button
                                size="small"
                                variant="danger"
                                perm={self ? { allowed: false, reason: 'You cannot disable yourself' } : undefined}
                                onClick={() => {
                                  setDisabling(u);
                                  setDisableError(undefined);
                                }}
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
      <ConfirmDialog
        open={disabling !== null}
        title={`Disable ${disabling?.email ?? ''}?`}
        confirmLabel="Disable user"
        danger
        busy={disableBusy}
        error={disableError}
        onCancel={() => setDisabling(null)}
        onConfirm={() => void disable()}
      >
        <p>They are logged out and can no longer log in. Their changes stay in the history.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={passwordFor !== null}
        title={`New password for ${passwordFor?.email ?? ''}`}
        confirmLabel="Set password"
        busy={passwordBusy}
        error={passwordError}
        confirmDisabled={newPassword.length < 8}
        onCancel={() => setPasswordFor(null)}
        onConfirm={() => void setPassword()}
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
