import { useState } from 'react';
import { api, seg } from '../api.ts';
import { EnvironmentRoleBadges } from '../components/environment-roles.tsx';
import { FormError } from '../components/form-error.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import {
  Badge,
  Button,
  ConfirmDialog,
  EmptyState,
  ErrorState,
  Field,
  Loading,
  PageHeader,
  SecretOnce,
  useToast,
} from '../components/ui.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { useDocumentTitle, useResource } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { usePermission } from '../session.tsx';
import type { ApiToken, Role } from '../types.ts';
import { submitWith, useAction } from '../use-action.ts';
import { useConfirm } from '../use-confirm.ts';
import { useCreators } from './environments.tsx';

export function TokensPage() {
  useDocumentTitle('API tokens');
  const perm = usePermission('admin', 'see or manage API tokens');
  const notify = useToast();
  const tokens = useResource(
    () => (perm.allowed ? api.getAll<'tokens', ApiToken>('/tokens', 'tokens') : Promise.resolve({ tokens: [] as ApiToken[] })),
    [perm.allowed],
  );
  useActivity(
    (a) => a.resourceType === 'token' || a.resourceType === 'api_token',
    () => void tokens.reload(),
  );
  const creator = useCreators(perm.allowed);
  const [form, setForm] = useState<{ name: string; role: Role }>({ name: '', role: 'editor' });
  const [secret, setSecret] = useState<ApiToken | null>(null);

  const create = useAction(async () => {
    const created = await api.post<ApiToken>('/tokens', { name: form.name.trim(), role: form.role });
    setSecret(created);
    setForm({ ...form, name: '' });
    void tokens.reload();
  });

  const revoking = useConfirm(async (t: ApiToken) => {
    await api.del(`/tokens/${seg(t.id)}`);
    notify(`Revoked token ${t.name}`, 'success');
    void tokens.reload();
  });

  const list = tokens.data?.tokens ?? [];
  return (
    <div className="page">
      <PageHeader
        title="API tokens"
        subtitle="For automation: CI pipelines, scripts and experiment tooling call the admin API with Authorization: Bearer <token>."
      />
      {!perm.allowed ? (
        <p className="readonly-note">Only admins can see and manage API tokens.</p>
      ) : (
        <>
          {secret?.secret ? (
            <SecretOnce title={`New ${secret.role} token “${secret.name}”`} secret={secret.secret} onDone={() => setSecret(null)} />
          ) : null}
          <form className="card form inline-form" onSubmit={submitWith(create)} noValidate>
            <h2 className="h4">New API token</h2>
            <div className="form-row">
              <Field label="Token name" hint="Who or what uses it, e.g. release-pipeline" error={create.issues.at('/name')}>
                {(p) => <input {...p} className="input" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
              </Field>
              <Field label="Token role" hint="What it may do; viewers only read" error={create.issues.at('/role')}>
                {(p) => (
                  <select {...p} className="input" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
                    <option value="viewer">Viewer (read only)</option>
                    <option value="editor">Editor (flags and segments)</option>
                    <option value="admin">Admin (everything)</option>
                  </select>
                )}
              </Field>
              <Button type="submit" variant="primary" busy={create.busy} disabled={!form.name.trim()} className="align-end">
                Create token
              </Button>
            </div>
            <FormError error={create.error} issues={create.issues} />
          </form>
          {tokens.error ? <ErrorState error={tokens.error} onRetry={() => void tokens.reload()} /> : null}
          {!tokens.data && !tokens.error ? <Loading /> : null}
          {tokens.data && list.length === 0 ? <EmptyState title="No API tokens yet" /> : null}
          {list.length > 0 ? (
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">API tokens</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Role</th>
                    <th scope="col">Starts with</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Status</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((t) => (
                    <tr key={t.id} className={t.revokedAt ? 'row-archived' : ''}>
                      <th scope="row">{t.name}</th>
                      <td data-label="Role">
                        <Badge tone={t.role === 'admin' ? 'accent' : t.role === 'editor' ? 'info' : 'neutral'}>{t.role}</Badge>
                        <EnvironmentRoleBadges roles={t.environmentRoles} />
                      </td>
                      <td data-label="Starts with">
                        <code className="key">{t.prefix}…</code>
                      </td>
                      <td data-label="Created" title={dateTime(t.createdAt)}>
                        {timeAgo(t.createdAt)} by {creator(t.createdBy)}
                      </td>
                      <td data-label="Last used" title={dateTime(t.lastUsedAt)}>
                        {timeAgo(t.lastUsedAt)}
                      </td>
                      <td data-label="Status">
                        <StatusBadge endedAt={t.revokedAt} ended="revoked" />
                      </td>
                      <td className="actions">
                        {t.revokedAt ? null : (
                          <Button size="small" variant="danger" onClick={() => revoking.open(t)} aria-label={`Revoke token ${t.name}`}>
                            Revoke
                          </Button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </>
      )}
      <ConfirmDialog {...revoking.dialog} title={`Revoke the token “${revoking.target?.name ?? ''}”?`} confirmLabel="Revoke token" danger>
        <p>
          Whatever uses it ({revoking.target?.role} token starting {revoking.target?.prefix}) gets 401 from its next request on.
        </p>
      </ConfirmDialog>
    </div>
  );
}
