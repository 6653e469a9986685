import { type ComponentType, lazy, type ReactNode, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, onUnauthenticated } from './api.ts';
import { Badge, Button, Loading, ToastProvider } from './components/ui.tsx';
import { AppDataProvider } from './data.tsx';
import { startLive, stopLive, useLiveStatus } from './live.ts';
import { LoginPage } from './pages/login.tsx';
import { Link, type Location, match, navigate, useLocation } from './router.tsx';
import { SessionContext } from './session.tsx';
import type { Me } from './types.ts';

/**
 * Each page is a chunk of its own, fetched on first visit (and the flags list right after log-in),
 * so the first screen loads the shell and one page rather than the whole app.
 */
function page<P>(load: () => Promise<ComponentType<P>>) {
  return lazy(async () => ({ default: await load() }));
}
const AccountPage = page(() => import('./pages/account.tsx').then((m) => m.AccountPage));
const AuditPage = page(() => import('./pages/audit.tsx').then((m) => m.AuditPage));
const ChangeRequestPage = page(() => import('./pages/change-request.tsx').then((m) => m.ChangeRequestPage));
const ChangeRequestsPage = page(() => import('./pages/change-requests.tsx').then((m) => m.ChangeRequestsPage));
const EnvironmentsPage = page(() => import('./pages/environments.tsx').then((m) => m.EnvironmentsPage));
const FlagPage = page(() => import('./pages/flag.tsx').then((m) => m.FlagPage));
const FlagsPage = page(() => import('./pages/flags.tsx').then((m) => m.FlagsPage));
const NewFlagPage = page(() => import('./pages/new-flag.tsx').then((m) => m.NewFlagPage));
const PlaygroundPage = page(() => import('./pages/playground.tsx').then((m) => m.PlaygroundPage));
const SegmentsPage = page(() => import('./pages/segments.tsx').then((m) => m.SegmentsPage));
const SegmentPage = page(() => import('./pages/segments.tsx').then((m) => m.SegmentPage));
const TokensPage = page(() => import('./pages/tokens.tsx').then((m) => m.TokensPage));
const UsersPage = page(() => import('./pages/users.tsx').then((m) => m.UsersPage));

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [startupError, setStartupError] = useState<string | null>(null);

  const loadMe = useCallback(async () => {
    try {
      setMe(await api.get<Me>('/me', { quiet401: true }));
      setStartupError(null);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setMe(null);
      else setStartupError(err instanceof Error ? err.message : String(err));
    }
  }, []);

  useEffect(() => {
    void loadMe();
    return onUnauthenticated(() => setMe(null));
  }, [loadMe]);

  useEffect(() => {
    if (!me) return;
    startLive();
    return () => stopLive();
  }, [me]);

  const logout = useCallback(async () => {
    try {
      await api.post('/logout');
    } finally {
      setMe(null);
      navigate('/login', { force: true });
    }
  }, []);

  if (startupError) {
    return (
      <main className="center-page">
        <div className="card narrow">
          <h1>Switchboard cannot reach its server</h1>
          <p>{startupError}</p>
          <Button variant="primary" onClick={() => void loadMe()}>
            Try again
          </Button>
        </div>
      </main>
    );
  }
  if (me === undefined) return <Loading label="Starting…" />;
  return (
    <ToastProvider>
      {me === null ? (
        <LoginPage onLoggedIn={setMe} />
      ) : (
        <SessionContext.Provider value={{ me, logout }}>
          <AppDataProvider>
            <Shell me={me} logout={logout} />
          </AppDataProvider>
        </SessionContext.Provider>
      )}
    </ToastProvider>
  );
}

const NAV = [
  { to: '/flags', label: 'Flags', prefix: '/flags' },
  { to: '/segments', label: 'Segments', prefix: '/segments' },
  { to: '/change-requests', label: 'Change requests', prefix: '/change-requests' },
  { to: '/playground', label: 'Playground', prefix: '/playground' },
  { to: '/environments', label: 'Environments & keys', prefix: '/environments' },
  { to: '/tokens', label: 'API tokens', prefix: '/tokens' },
  { to: '/users', label: 'Users', prefix: '/users' },
  { to: '/audit', label: 'Audit log', prefix: '/audit' },
];

function LiveIndicator() {
  const status = useLiveStatus();
  const text = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline';
  return (
    <span
      className={`live live-${status}`}
      title={status === 'live' ? 'Changes by others appear as they happen' : 'Live updates paused; reconnecting'}
    >
      <span className="live-dot" aria-hidden="true" />
      <span>{text}</span>
    </span>
  );
}

function Shell({ me, logout }: { me: Me; logout: () => Promise<void> }) {
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const [loggingOut, setLoggingOut] = useState(false);

  // A login page URL left in the address bar after logging in goes to the flags.
  useEffect(() => {
    if (location.path === '/' || location.path === '/login') {
      const next = location.query.get('next');
      navigate(next?.startsWith('/') && !next.startsWith('//') ? next : '/flags', { replace: true, force: true });
    }
  }, [location.path, location.query]);

  // Move focus to the page on navigation, so keyboard and screen reader users start at its top.
  const lastPath = useRef(location.path);
  useEffect(() => {
    if (lastPath.current !== location.path) {
      lastPath.current = location.path;
      setMenuOpen(false);
      mainRef.current?.focus({ preventScroll: true });
    }
  }, [location.path]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/flags" className="brand" aria-label="Switchboard home">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-text">Switchboard</span>
        </Link>
        <button
          type="button"
          className="menu-toggle btn btn-ghost btn-small"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <div className="topbar-right">
          <LiveIndicator />
          <Link to="/account" className="whoami" title="Your account">
            <span className="whoami-name">{me.name}</span>
            {me.email && me.email !== me.name ? <span className="whoami-email">{me.email}</span> : null}
          </Link>
          <Badge tone={me.role === 'admin' ? 'accent' : me.role === 'editor' ? 'info' : 'neutral'} title={`Your role is ${me.role}`}>
            <span className="visually-hidden">Role: </span>
            {me.role}
          </Badge>
          <Button
            size="small"
            busy={loggingOut}
            onClick={async () => {
              setLoggingOut(true);
              await logout();
            }}
          >
            Log out
          </Button>
        </div>
      </header>
      <nav id="main-nav" className={`sidebar ${menuOpen ? 'open' : ''}`} aria-label="Main">
        <ul>
          {NAV.map((n) => {
            const active = location.path === n.prefix || location.path.startsWith(`${n.prefix}/`);
            return (
              <li key={n.to}>
                <Link to={n.to} aria-current={active ? 'page' : undefined} className={active ? 'active' : ''}>
                  {n.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        <Suspense fallback={<Loading />}>
          <Routes location={location} me={me} />
        </Suspense>
      </main>
    </div>
  );
}

const ROUTES: Array<[string, (p: Record<string, string>) => ReactNode]> = [
  ['/', () => <FlagsPage />],
  ['/login', () => <FlagsPage />],
  ['/flags', () => <FlagsPage />],
  ['/flags/new', () => <NewFlagPage />],
  ['/flags/:key', (p) => <FlagPage flagKey={p.key ?? ''} tab="targeting" />],
  ['/flags/:key/history', (p) => <FlagPage flagKey={p.key ?? ''} tab="history" />],
  ['/flags/:key/settings', (p) => <FlagPage flagKey={p.key ?? ''} tab="settings" />],
  ['/segments', () => <SegmentsPage />],
  ['/segments/new', () => <SegmentPage segmentKey={null} />],
  ['/segments/:key', (p) => <SegmentPage segmentKey={p.key ?? ''} />],
  ['/change-requests', () => <ChangeRequestsPage />],
  ['/change-requests/:id', (p) => <ChangeRequestPage id={p.id ?? ''} />],
  ['/playground', () => <PlaygroundPage />],
  ['/environments', () => <EnvironmentsPage />],
  ['/tokens', () => <TokensPage />],
  ['/users', () => <UsersPage />],
  ['/audit', () => <AuditPage />],
];

function Routes({ location, me }: { location: Location; me: Me }) {
  const path = location.path.replace(/\/+$/, '') || '/';
  if (path === '/account') return <AccountPage me={me} />;
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params) return <>{render(params)}</>;
  }
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link to="/flags">Go to the flags</Link>.
      </p>
    </div>
  );
}
