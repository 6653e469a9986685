import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';

/**
 * A tiny router over the History API: the URL is the state. The server answers every non-API path
 * with index.html, so any URL here survives a reload and can be shared.
 */

const CHANGE = 'switchboard:navigate';
const guards = new Set<() => string | null>();

function subscribe(callback: () => void): () => void {
  window.addEventListener('popstate', callback);
  window.addEventListener(CHANGE, callback);
  return () => {
    window.removeEventListener('popstate', callback);
    window.removeEventListener(CHANGE, callback);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

export interface Location {
  path: string;
  query: URLSearchParams;
  href: string;
}

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(href, window.location.origin);
  return { path: url.pathname, query: url.searchParams, href };
}

/**
 * Registers a check run before in-app navigation; it returns a question ("Discard your unsaved
 * changes?") to confirm, or null to let the navigation through.
 */
export function addNavigationGuard(guard: () => string | null): () => void {
  guards.add(guard);
  return () => guards.delete(guard);
}

function allowed(): boolean {
  for (const g of guards) {
    const question = g();
    if (question && !window.confirm(question)) return false;
  }
  return true;
}

export function navigate(to: string, options: { replace?: boolean; force?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (!options.force && !allowed()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
  if (!options.replace) window.scrollTo(0, 0);
}

/** Sets query parameters of the current URL (empty values are removed), replacing the entry. */
export function setQuery(values: Record<string, string | undefined>): void {
  const url = new URL(window.location.href);
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === '') url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  navigate(url.pathname + url.search, { replace: true, force: true });
}

/** Matches `/flags/:key/history` against a path; params are decoded. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] as string;
    const value = s[i] as string;
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(value);
      } catch {
        return null;
      }
    } else if (part !== value) return null;
  }
  return params;
}

export interface LinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  to: string;
}

export function Link({ to, onClick, ...rest }: LinkProps) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
