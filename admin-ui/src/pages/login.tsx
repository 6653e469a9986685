import { type FormEvent, useEffect, useState } from 'react';
import { ApiError, api } from '../api.ts';
import { Button, Field } from '../components/ui.tsx';
import { useDocumentTitle } from '../hooks.ts';
import { navigate, useLocation } from '../router.tsx';
import type { Me } from '../types.ts';

export function LoginPage({ onLoggedIn }: { onLoggedIn: (me: Me) => void }) {
  useDocumentTitle('Log in');
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Remember where the visitor was going, so logging in takes them there.
  useEffect(() => {
    if (location.path !== '/login') {
      const next = location.href;
      navigate(`/login${next && next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`, { replace: true, force: true });
    }
  }, [location.path, location.href]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post('/login', { email: email.trim(), password }, { quiet401: true });
      onLoggedIn(await api.get<Me>('/me', { quiet401: true }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError('That email and password do not match an account.');
      else if (err instanceof ApiError && err.code === 'RATE_LIMITED') setError(err.message);
      else setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <main className="center-page login-page">
      <div className="login-card card">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Switchboard
        </div>
        <h1 className="login-title">Log in</h1>
        <p className="muted">Release features with flags: turn them on, ramp them up, roll them back.</p>
        <form onSubmit={submit} noValidate>
          <Field label="Email">
            {(p) => (
              <input
                {...p}
                className="input"
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                // biome-ignore lint/a11y/noAutofocus: the only thing to do on this page
                autoFocus
              />
            )}
          </Field>
          <Field label="Password">
            {(p) => (
              <input
                {...p}
                className="input"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            )}
          </Field>
          {error ? (
            <p className="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <Button type="submit" variant="primary" className="btn-block" busy={busy} disabled={!email || !password}>
            Log in
          </Button>
        </form>
        <p className="muted small">
          First start? The server creates an admin from <code>ADMIN_EMAIL</code> and <code>ADMIN_PASSWORD</code>, or prints a password for{' '}
          <code>admin@localhost</code> in its log.
        </p>
      </div>
    </main>
  );
}
