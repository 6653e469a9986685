import { useState } from 'react';
import { api, seg } from '../api.ts';
import { FormError } from '../components/form-error.tsx';
import { EnvironmentProtection } from '../components/freeze-windows.tsx';
import { PlannedWorkList } from '../components/pending-work.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import {
  Badge,
  Banner,
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
import { useAppData } from '../data.tsx';
import { dateTime, isProduction, timeAgo } from '../format.ts';
import { useDocumentTitle, useResource } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { usePermission } from '../session.tsx';
import type { SdkKey, User } from '../types.ts';
import { submitWith, useAction } from '../use-action.ts';
import { useConfirm } from '../use-confirm.ts';

/** `user:<id>` → the user's email when known. */
export function useCreators(enabled: boolean) {
  const users = useResource(
    () => (enabled ? api.getAll<'users', User>('/users', 'users') : Promise.resolve({ users: [] as User[] })),
    [enabled],
  );
  return (ref: string) => {
    const [kind, id] = ref.split(':');
    if (kind === 'user') return users.data?.users.find((u) => u.id === id)?.email ?? 'a user';
    if (kind === 'token') return 'an API token';
    return kind ?? ref;
  };
}

export function EnvironmentsPage() {
  useDocumentTitle('Environments & keys');
  const { environments, reloadEnvironments } = useAppData();
  const adminPerm = usePermission('admin', 'manage environments');
  const keyPerm = usePermission('admin', 'see or manage SDK keys');
  const notify = useToast();

  const [envForm, setEnvForm] = useState({ key: '', name: '' });
  const [deleteTyped, setDeleteTyped] = useState('');

  const keys = useResource(
    () => (keyPerm.allowed ? api.getAll<'keys', SdkKey>('/keys', 'keys') : Promise.resolve({ keys: [] as SdkKey[] })),
    [keyPerm.allowed],
  );
  useActivity(
    (a) => a.resourceType === 'key' || a.resourceType === 'sdk_key' || a.resourceType === 'environment',
    () => void keys.reload(),
  );
  const creator = useCreators(keyPerm.allowed);

  const [keyForm, setKeyForm] = useState({ name: '', environment: '', kind: 'server' as 'server' | 'client' });
  const [secret, setSecret] = useState<SdkKey | null>(null);

  const createEnv = useAction(
    async () => {
      const created = await api.post<{ key: string; name: string }>('/environments', {
        key: envForm.key.trim(),
        name: envForm.name.trim() || envForm.key.trim(),
      });
      notify(`Created environment ${created.name}`, 'success');
      setEnvForm({ key: '', name: '' });
      reloadEnvironments();
    },
    { issuesOf: (err) => (err.code === 'CONFLICT' ? [{ path: '/key', message: 'This key is taken' }] : err.issues) },
  );

  const deleting = useConfirm(async (key: string) => {
    await api.del(`/environments/${seg(key)}`);
    notify(`Deleted environment ${key}`, 'success');
    reloadEnvironments();
  });

  const createKey = useAction(async () => {
    const environment = keyForm.environment || environments[0]?.key || '';
    const created = await api.post<SdkKey>('/keys', { name: keyForm.name.trim(), environment, kind: keyForm.kind });
    setSecret(created);
    setKeyForm({ ...keyForm, name: '' });
    void keys.reload();
  });

  const revoking = useConfirm(async (k: SdkKey) => {
    await api.del(`/keys/${seg(k.id)}`);
    notify(`Revoked key ${k.name}`, 'success');
    void keys.reload();
  });

  const allKeys = keys.data?.keys ?? [];

  return (
    <div className="page">
      <PageHeader title="Environments & keys" subtitle="Each environment has its own flag states and its own SDK keys." />

      <section className="section" aria-labelledby="envs-title">
        <h2 id="envs-title">Environments</h2>
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Environments</caption>
            <thead>
              <tr>
                <th scope="col">Environment</th>
                <th scope="col">Key</th>
                <th scope="col">Revision</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {environments.map((env) => (
                <tr key={env.key}>
                  <th scope="row">
                    {env.name}{' '}
                    {isProduction(env) ? (
                      <Badge tone="danger" title="Changes here reach your users: each is confirmed with its diff">
                        protected
                      </Badge>
                    ) : null}
                  </th>
                  <td data-label="Key">
                    <code className="key">{env.key}</code>
                  </td>
                  <td data-label="Revision" title="Goes up with every change SDKs receive">
                    {env.revision}
                  </td>
                  <td data-label="Created" title={dateTime(env.createdAt)}>
                    {timeAgo(env.createdAt)}
                  </td>
                  <td className="actions">
                    <Button
                      size="small"
                      variant="ghost"
                      perm={adminPerm}
                      onClick={() => {
                        deleting.open(env.key);
                        setDeleteTyped('');
                      }}
                      aria-label={`Delete environment ${env.name}`}
                    >
                      Delete
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {adminPerm.allowed ? (
          <form className="card form inline-form" onSubmit={submitWith(createEnv)} noValidate>
            <h3 className="h4">New environment</h3>
            <div className="form-row">
              <Field label="Environment key" hint="Lowercase letters, digits, - and _" error={createEnv.issues.at('/key')}>
                {(p) => (
                  <input
                    {...p}
                    className="input mono"
                    value={envForm.key}
                    onChange={(e) => setEnvForm({ ...envForm, key: e.target.value })}
                  />
                )}
              </Field>
              <Field label="Environment name" error={createEnv.issues.at('/name')}>
                {(p) => (
                  <input {...p} className="input" value={envForm.name} onChange={(e) => setEnvForm({ ...envForm, name: e.target.value })} />
                )}
              </Field>
              <Button type="submit" variant="primary" busy={createEnv.busy} disabled={!envForm.key.trim()} className="align-end">
                Create environment
              </Button>
            </div>
            <FormError error={createEnv.error} issues={createEnv.issues} />
          </form>
        ) : (
          <p className="readonly-note">Only admins can create or delete environments.</p>
        )}
      </section>

      <EnvironmentProtection />

      <PlannedWorkList />

      <section className="section" aria-labelledby="keys-title">
        <h2 id="keys-title">SDK keys</h2>
        <p className="muted">
          A <strong>server key</strong> lets a backend SDK read the full configuration of one environment. A <strong>client key</strong> is
          safe to ship in a browser or app: it reads only client-visible flags, and flags whose rules compare sensitive attributes only as
          answers from the server.
        </p>
        {!keyPerm.allowed ? (
          <p className="readonly-note">Only admins can see and manage SDK keys.</p>
        ) : (
          <>
            {secret?.secret ? (
              <SecretOnce
                title={`New ${secret.kind} key “${secret.name}” for ${secret.environment}`}
                secret={secret.secret}
                onDone={() => setSecret(null)}
              />
            ) : null}
            <form className="card form inline-form" onSubmit={submitWith(createKey)} noValidate>
              <h3 className="h4">New SDK key</h3>
              <div className="form-row">
                <Field label="Key name" hint="Where it is used, e.g. checkout-service" error={createKey.issues.at('/name')}>
                  {(p) => (
                    <input
                      {...p}
                      className="input"
                      value={keyForm.name}
                      onChange={(e) => setKeyForm({ ...keyForm, name: e.target.value })}
                    />
                  )}
                </Field>
                <Field label="Key environment" error={createKey.issues.at('/environment')}>
                  {(p) => (
                    <select
                      {...p}
                      className="input"
                      value={keyForm.environment || environments[0]?.key || ''}
                      onChange={(e) => setKeyForm({ ...keyForm, environment: e.target.value })}
                    >
                      {environments.map((env) => (
                        <option key={env.key} value={env.key}>
                          {env.name}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <Field label="Key kind" error={createKey.issues.at('/kind')}>
                  {(p) => (
                    <select
                      {...p}
                      className="input"
                      value={keyForm.kind}
                      onChange={(e) => setKeyForm({ ...keyForm, kind: e.target.value as 'server' | 'client' })}
                    >
                      <option value="server">Server (backend SDKs)</option>
                      <option value="client">Client (browsers, apps)</option>
                    </select>
                  )}
                </Field>
                <Button type="submit" variant="primary" busy={createKey.busy} disabled={!keyForm.name.trim()} className="align-end">
                  Create key
                </Button>
              </div>
              <FormError error={createKey.error} issues={createKey.issues} />
            </form>
            {keys.error ? <ErrorState error={keys.error} onRetry={() => void keys.reload()} /> : null}
            {!keys.data && !keys.error ? <Loading /> : null}
            {keys.data && allKeys.length === 0 ? (
              <EmptyState title="No SDK keys yet">Create one above for each service that reads flags.</EmptyState>
            ) : null}
            {allKeys.length > 0 ? (
              <div className="table-wrap">
                <table className="table">
                  <caption className="visually-hidden">SDK keys</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Environment</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Starts with</th>
                      <th scope="col">Created</th>
                      <th scope="col">Status</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {allKeys.map((k) => (
                      <tr key={k.id} className={k.revokedAt ? 'row-archived' : ''}>
                        <th scope="row">{k.name}</th>
                        <td data-label="Environment">{k.environment}</td>
                        <td data-label="Kind">
                          <Badge tone={k.kind === 'server' ? 'info' : 'accent'}>{k.kind}</Badge>
                        </td>
                        <td data-label="Starts with">
                          <code className="key">{k.prefix}…</code>
                        </td>
                        <td data-label="Created" title={dateTime(k.createdAt)}>
                          {timeAgo(k.createdAt)} by {creator(k.createdBy)}
                        </td>
                        <td data-label="Status">
                          <StatusBadge endedAt={k.revokedAt} ended="revoked" />
                        </td>
                        <td className="actions">
                          {k.revokedAt ? null : (
                            <Button size="small" variant="danger" onClick={() => revoking.open(k)} aria-label={`Revoke key ${k.name}`}>
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
      </section>

      <ConfirmDialog {...revoking.dialog} title={`Revoke the key “${revoking.target?.name ?? ''}”?`} confirmLabel="Revoke key" danger>
        <p>
          SDKs using it ({revoking.target?.kind} key for {revoking.target?.environment}, starting {revoking.target?.prefix}) lose access at
          once and keep their last flags until they get a new key.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        {...deleting.dialog}
        title={`Delete the environment ${deleting.target ?? ''}?`}
        confirmLabel="Delete environment"
        danger
        confirmDisabled={deleteTyped !== deleting.target}
      >
        <Banner tone="danger">
          <p>Every flag loses its configuration in this environment, and its SDK keys stop working.</p>
        </Banner>
        <Field label={`Type ${deleting.target ?? ''} to confirm`}>
          {(p) => (
            <input {...p} className="input mono" value={deleteTyped} onChange={(e) => setDeleteTyped(e.target.value)} autoComplete="off" />
          )}
        </Field>
      </ConfirmDialog>
    </div>
  );
}
