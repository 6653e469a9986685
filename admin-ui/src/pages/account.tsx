import { useState } from 'react';
import { api } from '../api.ts';
import { FormError } from '../components/form-error.tsx';
import { Button, Field, useToast } from '../components/ui.tsx';
import { useDocumentTitle } from '../hooks.ts';
import type { Me } from '../types.ts';
import { submitWith, useAction } from '../use-action.ts';

/** Your own account: change your password (every role), proving the current one. */
export function AccountPage({ me }: { me: Me }) {
  useDocumentTitle('Your account');
  const notify = useToast();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useAction(async () => {
    await api.post('/me/password', { currentPassword: current, newPassword: next });
    setCurrent('');
    setNext('');
    notify('Password changed; your other sessions have ended', 'success');
  });
  if (me.kind !== 'user') {
    return (
      <div className="page">
        <h1>Your account</h1>
        <p>You are using an API token; it has no password.</p>
      </div>
    );
  }
  return (
    <div className="page">
      <h1>Your account</h1>
      <p className="muted">{me.email}</p>
      <form className="card" onSubmit={submitWith(change)} noValidate>
        <h2>Change password</h2>
        <Field label="Current password">
          {(p) => (
            <input
              {...p}
              className="input"
              type="password"
              autoComplete="current-password"
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          )}
        </Field>
        <Field label="New password" hint="At least 8 characters">
          {(p) => (
            <input
              {...p}
              className="input"
              type="password"
              autoComplete="new-password"
              minLength={8}
              value={next}
              onChange={(e) => setNext(e.target.value)}
            />
          )}
        </Field>
        <FormError error={change.error} />
        <Button type="submit" variant="primary" busy={change.busy} disabled={!current || next.length < 8}>
          Change password
        </Button>
      </form>
    </div>
  );
}
