import { type FormEvent, useState } from 'react';
import { ApiError, api, messageOf, seg } from '../api.ts';
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
import { Issues } from '../issues.ts';
import { useActivity } from '../live.ts';
import { usePermission } from '../session.tsx';
import type { SdkKey, User } from '../types.ts';

/** `user:<id>` → the user's email when known. */
export function useCreators(enabled: boolean) {
  const users = useResource(() => (enabled ? api.get<{ users: User[] }>('/users') : Promise.resolve({ users: [] as User[] })), [enabled]);
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
  const [envIssues, setEnvIssues] = useState(new Issues());
  const [envError, setEnvError] = useState<string | null>(null);
  const [envBusy, setEnvBusy] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [deleteTyped, setDeleteTyped] = useState('');
  const [deleteError, setDeleteError] = useState<string | undefined>(undefined);
  const [deleteBusy, setDeleteBusy] = useState(false);

  const keys = useResource(
    () => (keyPerm.allowed ? api.get<{ keys: SdkKey[] }>('/keys') : Promise.resolve({ keys: [] as SdkKey[] })),
    [keyPerm.allowed],
  );
  useActivity(
    (a) => a.resourceType === 'key' || a.resourceType === 'sdk_key' || a.resourceType === 'environment',
    () => void keys.reload(),
  );
  const creator = useCreators(keyPerm.allowed);

  const [keyForm, setKeyForm] = useState({ name: '', environment: '', kind: 'server' as 'server' | 'client' });
  const [keyIssues, setKeyIssues] = useState(new Issues());
  const [keyError, setKeyError] = useState<string | null>(null);
  const [keyBusy, setKeyBusy] = useState(false);
  const [secret, setSecret] = useState<SdkKey | null>(null);
  const [revoking, setRevoking] = useState<SdkKey | null>(null);
  const [revokeBusy, setRevokeBusy] = useState(false);
  const [revokeError, setRevokeError] = useState<string | undefined>(undefined);

  const createEnv = async (e: FormEvent) => {
    e.preventDefault();
    setEnvBusy(true);
    setEnvError(null);
    setEnvIssues(new Issues());
    try {
      const created = await api.post<{ key: string; name: string }>('/environments', {
        key: envForm.key.trim(),
        name: envForm.name.trim() || envForm.key.trim(),
      });
      notify(`Created environment ${created.name}`, 'success');
      setEnvForm({ key: '', name: '' });
      reloadEnvironments();
    } catch (err) {
      if (err instanceof ApiError) {
        setEnvIssues(new Issues(err.code === 'CONFLICT' ? [{ path: '/key', message: 'This key is taken' }] : err.issues));
        setEnvError(err.message);
      } else setEnvError(messageOf(err));
    } finally {
      setEnvBusy(false);
    }
  };

  const deleteEnv = async () => {
    if (!deleting) return;
    setDeleteBusy(true);
    setDeleteError(undefined);
    try {
      await api.del(`/environments/${seg(deleting)}`);
      notify(`Deleted environment ${deleting}`, 'success');
      setDeleting(null);
      reloadEnvironments();
    } catch (err) {
      setDeleteError(messageOf(err));
    } finally {
      setDeleteBusy(false);
    }
  };

  const createKey = async (e: FormEvent) => {
    e.preventDefault();
    const environment = keyForm.environment || environments[0]?.key || '';
    setKeyBusy(true);
    setKeyError(null);
    setKeyIssues(new Issues());
    try {
      const created = await api.post<SdkKey>('/keys', { name: keyForm.name.trim(), environment, kind: keyForm.kind });
      setSecret(created);
      setKeyForm({ ...keyForm, name: '' });
      void keys.reload();
    } catch (err) {
      if (err instanceof ApiError) {
        setKeyIssues(new Issues(err.issues));
        setKeyError(err.message);
      } else setKeyError(messageOf(err));
    } finally {
      setKeyBusy(false);
    }
  };

  const revoke = async () => {
    if (!revoking) return;
    setRevokeBusy(true);
    setRevokeError(undefined);
    try {
      await api.del(`/keys/${seg(revoking.id)}`);
      notify(`Revoked key ${revoking.name}`, 'success');
      setRevoking(null);
      void keys.reload();
    } catch (err) {
      setRevokeError(messageOf(err));
    } finally {
      setRevokeBusy(false);
    }
  };

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
                      <Badge tone="danger" title="Changes here reach your users">
                        production
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
                        setDeleting(env.key);
                        setDeleteTyped('');
                        setDeleteError(undefined);
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
          <form className="card form inline-form" onSubmit={createEnv} noValidate>
            <h3 className="h4">New environment</h3>
            <div className="form-row">
              <Field label="Environment key" hint="Lowercase letters, digits, - and _" error={envIssues.at('/key')}>
                {(p) => (
                  <input
                    {...p}
                    className="input mono"
                    value={envForm.key}
                    onChange={(e) => setEnvForm({ ...envForm, key: e.target.value })}
                  />
                )}
              </Field>
              <Field label="Environment name" error={envIssues.at('/name')}>
                {(p) => (
                  <input {...p} className="input" value={envForm.name} onChange={(e) => setEnvForm({ ...envForm, name: e.target.value })} />
                )}
              </Field>
              <Button type="submit" variant="primary" busy={envBusy} disabled={!envForm.key.trim()} className="align-end">
                Create environment
              </Button>
            </div>
            {envError && envIssues.size === 0 ? (
              <p className="field-error" role="alert">
                {envError}
              </p>
            ) : null}
          </form>
        ) : (
          <p className="readonly-note">Only admins can create or delete environments.</p>
        )}
      </section>

      <section className="section" aria-labelledby="keys-title">
        <h2 id="keys-title">SDK keys</h2>
        <p className="muted">
          A <strong>server key</strong> lets a backend SDK read the full configuration of one environment. A <strong>client key</strong> is
          safe to ship in a browser or app: it reads only client-visible flags, with sensitive values hashed.
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
            <form className="card form inline-form" onSubmit={createKey} noValidate>
              <h3 className="h4">New SDK key</h3>
              <div className="form-row">
                <Field label="Key name" hint="Where it is used, e.g. checkout-service" error={keyIssues.at('/name')}>
                  {(p) => (
                    <input
                      {...p}
                      className="input"
                      value={keyForm.name}
                      onChange={(e) => setKeyForm({ ...keyForm, name: e.target.value })}
                    />
                  )}
                </Field>
                <Field label="Key environment" error={keyIssues.at('/environment')}>
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
                <Field label="Key kind" error={keyIssues.at('/kind')}>
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
                <Button type="submit" variant="primary" busy={keyBusy} disabled={!keyForm.name.trim()} className="align-end">
                  Create key
                </Button>
              </div>
              {keyError && keyIssues.size === 0 ? (
                <p className="field-error" role="alert">
                  {keyError}
                </p>
              ) : null}
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
                          {k.revokedAt ? (
                            <Badge tone="warning" title={dateTime(k.revokedAt)}>
                              revoked
                            </Badge>
                          ) : (
                            <Badge tone="success">active</Badge>
                          )}
                        </td>
                        <td className="actions">
                          {k.revokedAt ? null : (
                            <Button
                              size="small"
                              variant="danger"
                              onClick={() => {
                                setRevoking(k);
                                setRevokeError(undefined);
                              }}
                              aria-label={`Revoke key ${k.name}`}
                            >
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

      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke the key “${revoking?.name ?? ''}”?`}
        confirmLabel="Revoke key"
        danger
        busy={revokeBusy}
        error={revokeError}
        onCancel={() => setRevoking(null)}
        onConfirm={() => void revoke()}
      >
        <p>
          SDKs using it ({revoking?.kind} key for {revoking?.environment}, starting {revoking?.prefix}) lose access at once and keep their
          last flags until they get a new key.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the environment ${deleting ?? ''}?`}
        confirmLabel="Delete environment"
        danger
        busy={deleteBusy}
        error={deleteError}
        confirmDisabled={deleteTyped !== deleting}
        onCancel={() => setDeleting(null)}
        onConfirm={() => void deleteEnv()}
      >
        <Banner tone="danger">
          <p>Every flag loses its configuration in this environment, and its SDK keys stop working.</p>
        </Banner>
        <Field label={`Type ${deleting ?? ''} to confirm`}>
          {(p) => (
            <input {...p} className="input mono" value={deleteTyped} onChange={(e) => setDeleteTyped(e.target.value)} autoComplete="off" />
          )}
        </Field>
      </ConfirmDialog>
    </div>
  );
}
