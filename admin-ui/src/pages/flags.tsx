import { memo, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, messageOf, seg } from '../api.ts';
import { EnvironmentFilter } from '../components/environment-filter.tsx';
import { EnvEvaluations } from '../components/evaluation-counts.tsx';
import { needsApproval, useProposal } from '../components/propose-host.tsx';
import { Badge, Button, ConfirmDialog, EmptyState, ErrorState, Field, Loading, PageHeader, Switch, useToast } from '../components/ui.tsx';
import { useAppData } from '../data.tsx';
import { dateTime, isProduction, plural, timeAgo } from '../format.ts';
import { useDocumentTitle } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { Link, navigate, setQuery, useLocation } from '../router.tsx';
import { type Permission, usePermission } from '../session.tsx';
import type { Environment, Flag, FlagEnvironment } from '../types.ts';

/** Rows per request: what one screen or two shows; more come as the list is scrolled. */
export const FLAG_PAGE = 100;

export const SORTS = [
  { value: 'updated:desc', label: 'Last changed, newest first' },
  { value: 'updated:asc', label: 'Last changed, oldest first' },
  { value: 'name:asc', label: 'Name, A to Z' },
  { value: 'name:desc', label: 'Name, Z to A' },
  { value: 'created:desc', label: 'Created, newest first' },
  { value: 'created:asc', label: 'Created, oldest first' },
  { value: 'evaluated:desc', label: 'Last evaluated, most recent first' },
  { value: 'evaluated:asc', label: 'Last evaluated, never first' },
] as const;

interface FlagPage {
  flags: Flag[];
  total: number;
  nextCursor: string | null;
}

interface ListState {
  flags: Flag[];
  total: number;
  nextCursor: string | null;
}

/**
 * The list as far as it was scrolled: the first page, then the next cursor's on request. A change
 * heard live refetches as many rows as are shown (in pages of at most 500), so the place in a long
 * list is kept and a flag that moved in the order moves on screen too.
 */
function useFlagPages(query: Record<string, string | number | boolean | undefined>) {
  const [state, setState] = useState<ListState | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  const generation = useRef(0);
  const shown = useRef(0);
  shown.current = state?.flags.length ?? 0;
  const key = JSON.stringify(query);
  const queryRef = useRef(query);
  queryRef.current = query;

  const fetchRows = useCallback(async (rows: number): Promise<ListState> => {
    const flags: Flag[] = [];
    let cursor: string | null | undefined;
    let total = 0;
    do {
      const page: FlagPage = await api.get<FlagPage>('/flags', {
        query: { ...queryRef.current, limit: Math.min(500, rows - flags.length), cursor: cursor ?? undefined },
      });
      flags.push(...page.flags);
      total = page.total;
      cursor = page.nextCursor;
    } while (cursor && flags.length < rows);
    return { flags, total, nextCursor: cursor ?? null };
  }, []);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const next = await fetchRows(Math.max(FLAG_PAGE, shown.current));
      if (mine === generation.current) {
        setState((old) => (old ? { ...next, flags: keepUnchanged(old.flags, next.flags) } : next));
        setError(undefined);
      }
    } catch (err) {
      if (mine === generation.current) setError(err);
    }
  }, [fetchRows]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the query's values
  useEffect(() => {
    setState(undefined);
    setError(undefined);
    shown.current = 0;
    void reload();
  }, [key, reload]);

  const more = useCallback(async () => {
    if (!state?.nextCursor || loadingMore) return;
    const mine = generation.current;
    setLoadingMore(true);
    try {
      const page = await api.get<FlagPage>('/flags', { query: { ...queryRef.current, limit: FLAG_PAGE, cursor: state.nextCursor } });
      if (mine === generation.current) {
        setState((s) => (s ? { flags: [...s.flags, ...page.flags], total: page.total, nextCursor: page.nextCursor } : s));
      }
    } catch (err) {
      if (mine === generation.current) setError(err);
    } finally {
      setLoadingMore(false);
    }
  }, [state?.nextCursor, loadingMore]);

  /** One environment's state of one flag, as a write answered it (no refetch needed). */
  const patch = useCallback((key: string, env: string, saved: FlagEnvironment) => {
    setState((s) =>
      s
        ? {
            ...s,
            flags: s.flags.map((f) => {
              const old = f.key === key ? f.environments[env] : undefined;
              return old
                ? {
                    ...f,
                    environments: {
                      ...f.environments,
                      [env]: { ...old, enabled: saved.enabled, version: saved.version, updatedAt: saved.updatedAt },
                    },
                  }
                : f;
            }),
          }
        : s,
    );
  }, []);

  return { data: state, error, loadingMore, reload, more, patch };
}

/** Scrolling to the end of the list asks for the next page (the button stays for keyboards). */
function useLoadOnScroll(onVisible: () => void, active: boolean) {
  const ref = useRef<HTMLDivElement>(null);
  const latest = useRef(onVisible);
  latest.current = onVisible;
  useEffect(() => {
    const el = ref.current;
    if (!el || !active || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) latest.current();
      },
      { rootMargin: '400px' },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [active]);
  return ref;
}

const WEEK = 7 * 24 * 3600 * 1000;
const ARCHIVED: Permission = { allowed: false, reason: 'Archived flags cannot change; restore it first' };

/** The list's reading of "stale" (the server's filter): older than a week, not evaluated for a week. */
export function isStale(f: Flag, now = Date.now()): boolean {
  if (now - Date.parse(f.createdAt) < WEEK) return false;
  return !Object.values(f.environments).some((e) => e.lastEvaluatedAt && now - Date.parse(e.lastEvaluatedAt) < WEEK);
}

function lastEvaluated(f: Flag): string | null {
  let best: string | null = null;
  for (const e of Object.values(f.environments)) {
    if (e.lastEvaluatedAt && (!best || e.lastEvaluatedAt > best)) best = e.lastEvaluatedAt;
  }
  return best;
}

interface FlagRowProps {
  flag: Flag;
  columns: Environment[];
  environments: Environment[];
  /** The environment whose switch is saving, if any. */
  busyEnv: string | null;
  /** Why the switches are off limits, if they are. */
  denied: string | undefined;
  onToggle: (flag: Flag, env: Environment, enabled: boolean) => void;
}

/** One row; memoized, so a page appended or one switch flipped renders only the rows it touches. */
const FlagRow = memo(function FlagRow({ flag: f, columns, environments, busyEnv, denied, onToggle }: FlagRowProps) {
  const evaluated = lastEvaluated(f);
  const perm: Permission = { allowed: denied === undefined, reason: denied };
  return (
    <tr className={f.archived ? 'row-archived' : ''}>
      <th scope="row" className="flag-cell">
        <Link to={`/flags/${encodeURIComponent(f.key)}`} className="flag-link">
          {f.name}
        </Link>
        <div className="flag-meta">
          <code className="key">{f.key}</code>
          {f.kind === 'multivariate' ? <Badge tone="info">multivariate</Badge> : null}
          {f.archived ? <Badge tone="warning">archived</Badge> : null}
          {isStale(f) && !f.archived ? (
            <Badge tone="warning" title="Created over a week ago and not evaluated for a week">
              stale
            </Badge>
          ) : null}
          {f.tags.map((t) => (
            <button type="button" key={t} className="tag" onClick={() => setQuery({ tag: t })} aria-label={`Show flags tagged ${t}`}>
              {t}
            </button>
          ))}
        </div>
      </th>
      {columns.map((e) => {
        const s = f.environments[e.key];
        return (
          <td key={e.key} data-label={e.name} className="env-cell">
            {s ? (
              <span className="env-state">
                <Switch
                  checked={s.enabled}
                  onChange={(next) => onToggle(f, e, next)}
                  label={`${f.key} in ${e.name}`}
                  busy={busyEnv === e.key}
                  perm={perm}
                  text={s.enabled ? 'On' : 'Off'}
                />
                <span className="env-detail" title={`Version ${s.version}, changed ${dateTime(s.updatedAt)}`}>
                  {s.ruleCount === 0 ? (s.enabled ? 'everyone' : 'no rules') : plural(s.ruleCount, 'rule')}
                </span>
                <EnvEvaluations counts={s.evaluations} envName={e.name} />
              </span>
            ) : (
              <span className="muted">—</span>
            )}
          </td>
        );
      })}
      <td data-label="Last changed" title={dateTime(f.updatedAt)}>
        {timeAgo(f.updatedAt)}
      </td>
      <td
        data-label="Last evaluated"
        title={environments
          .map((e) => `${e.name}: ${f.environments[e.key]?.lastEvaluatedAt ? dateTime(f.environments[e.key]?.lastEvaluatedAt) : 'never'}`)
          .join('\n')}
      >
        {evaluated ? timeAgo(evaluated) : <span className="muted">never</span>}
      </td>
    </tr>
  );
});

/** Keeps the objects of rows that did not change, so a refetch re-renders only what changed. */
function keepUnchanged(old: Flag[], next: Flag[]): Flag[] {
  const byKey = new Map(old.map((f) => [f.key, f]));
  return next.map((f) => {
    const o = byKey.get(f.key);
    return o && JSON.stringify(o) === JSON.stringify(f) ? o : f;
  });
}

export function FlagsPage() {
  useDocumentTitle('Flags');
  const { environments } = useAppData();
  const { query } = useLocation();
  const canCreate = usePermission('editor', 'create flags');
  const q = query.get('q') ?? '';
  const tag = query.get('tag') ?? '';
  const env = query.get('env') ?? '';
  const status = query.get('status') ?? '';
  const stale = query.get('stale') === '1';
  const state = query.get('state') ?? 'active';
  const [search, setSearch] = useState(q);

  useEffect(() => setSearch(q), [q]);
  useEffect(() => {
    if (search === q) return;
    const t = setTimeout(() => setQuery({ q: search }), 250);
    return () => clearTimeout(t);
  }, [search, q]);

  const [sort, order] = (query.get('sort') ?? 'updated:desc').split(':');
  const sortValue = `${sort}:${order}`;
  const list = useFlagPages({
    q,
    tag,
    state,
    environment: env && status ? env : undefined,
    enabled: env && status ? status === 'on' : undefined,
    stale: stale ? true : undefined,
    sort: sort === 'updated' && order === 'desc' ? undefined : sort,
    order: sort === 'updated' && order === 'desc' ? undefined : order,
  });
  useActivity(
    (a) => a.resourceType === 'flag',
    () => void list.reload(),
  );
  const sentinel = useLoadOnScroll(() => void list.more(), Boolean(list.data?.nextCursor) && !list.loadingMore);
  const editPerm = usePermission('editor', 'change flags');
  const [pending, setPending] = useState<{ flag: Flag; env: Environment; enabled: boolean } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [toggleError, setToggleError] = useState<string | null>(null);
  const notify = useToast();
  // Issue 17: where the environment needs approvals, a switch proposes a `flag-config` request.
  const proposal = useProposal();
  const proposeToggle = (flag: Flag, e: Environment, enabled: boolean) => {
    const s = flag.environments[e.key];
    if (!s) return;
    const verb = enabled ? 'on' : 'off';
    proposal.open(e, {
      title: `Turn ${verb} ${flag.key} in ${e.name}?`,
      confirmLabel: `Turn ${verb} in ${e.name}`,
      changes: [{ kind: 'changed', label: 'Status', before: enabled ? 'Off' : 'On', after: enabled ? 'On' : 'Off' }],
      flagKey: flag.key,
      proposalTitle: `Turn ${verb} ${flag.key} in ${e.name}`,
      run: () => toggle(flag, e, enabled),
      change: { kind: 'flag-config', flagKey: flag.key, baseVersion: s.version, config: { enabled } },
    });
  };

  const toggle = async (flag: Flag, e: Environment, enabled: boolean) => {
    const s = flag.environments[e.key];
    if (!s) return;
    const id = `${flag.key}/${e.key}`;
    setBusy(id);
    setToggleError(null);
    try {
      const saved = await api.patch<FlagEnvironment>(
        `/flags/${seg(flag.key)}/environments/${seg(e.key)}`,
        { enabled },
        { version: s.version },
      );
      list.patch(flag.key, e.key, saved);
      setPending(null);
      notify(`${flag.key} is ${enabled ? 'on' : 'off'} in ${e.name}`, 'success');
    } catch (err) {
      setPending(null);
      if (err instanceof ApiError && err.code === 'APPROVAL_REQUIRED') {
        // The environment started to need approvals after the list loaded.
        proposeToggle(flag, e, enabled);
        return;
      }
      await list.reload();
      setToggleError(
        err instanceof ApiError && err.isConflict
          ? `${flag.key} changed in ${e.name} a moment ago; the list now shows its current state. Nothing was overwritten; check it and try again.`
          : `${flag.key} in ${e.name}: ${messageOf(err)}`,
      );
    } finally {
      setBusy(null);
    }
  };
  const requestToggle = (flag: Flag, e: Environment, enabled: boolean) => {
    // As on the flag page: protected environments ask first, others switch at once.
    if (needsApproval(e)) proposeToggle(flag, e, enabled);
    else if (isProduction(e)) setPending({ flag, env: e, enabled });
    else void toggle(flag, e, enabled);
  };
  const latestToggle = useRef(requestToggle);
  latestToggle.current = requestToggle;
  const onToggle = useCallback((flag: Flag, e: Environment, enabled: boolean) => latestToggle.current(flag, e, enabled), []);

  const filtered = Boolean(q || tag || status || stale || state !== 'active');
  // One environment picked: its column only.
  const columns = env ? environments.filter((e) => e.key === env) : environments;
  const flags = list.data?.flags ?? [];

  return (
    <div className="page">
      <PageHeader
        title="Flags"
        subtitle="Turn features on and off per environment, target users, and ramp up gradually."
        actions={
          <Button variant="primary" perm={canCreate} onClick={() => navigate('/flags/new')}>
            <span aria-hidden="true">+</span> New flag
          </Button>
        }
      />
      <search className="filters" aria-label="Filter flags">
        <Field label="Search" className="filters-search" hint="Key, name, description or tag">
          {(p) => (
            <input
              {...p}
              type="search"
              className="input"
              placeholder="Search flags…"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') setQuery({ q: search });
              }}
            />
          )}
        </Field>
        <EnvironmentFilter value={env} />
        <Field label="On or off" hint={env ? undefined : 'Pick an environment first'}>
          {(p) => (
            <select {...p} className="input" value={status} disabled={!env} onChange={(e) => setQuery({ status: e.target.value })}>
              <option value="">On or off</option>
              <option value="on">On</option>
              <option value="off">Off</option>
            </select>
          )}
        </Field>
        <Field label="Archived">
          {(p) => (
            <select
              {...p}
              className="input"
              value={state}
              onChange={(e) => setQuery({ state: e.target.value === 'active' ? '' : e.target.value })}
            >
              <option value="active">Active flags</option>
              <option value="archived">Archived flags</option>
              <option value="all">Active and archived</option>
            </select>
          )}
        </Field>
        <Field label="Sort by">
          {(p) => (
            <select
              {...p}
              className="input"
              value={sortValue}
              onChange={(e) => setQuery({ sort: e.target.value === 'updated:desc' ? '' : e.target.value })}
            >
              {SORTS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <label className="check filters-check" title="Created over a week ago and not evaluated by any SDK for a week">
          <input type="checkbox" checked={stale} onChange={(e) => setQuery({ stale: e.target.checked ? '1' : '' })} />
          Only stale flags
        </label>
      </search>
      {tag ? (
        <p className="active-filters">
          Tagged{' '}
          <span className="chip">
            {tag}
            <button type="button" className="chip-remove" aria-label={`Stop filtering by tag ${tag}`} onClick={() => setQuery({ tag: '' })}>
              ×
            </button>
          </span>
        </p>
      ) : null}

      {list.error ? <ErrorState error={list.error} onRetry={() => void list.reload()} /> : null}
      {list.data === undefined && !list.error ? <Loading /> : null}
      {list.data ? (
        flags.length === 0 ? (
          filtered ? (
            <EmptyState title="No flags match these filters">
              <Button onClick={() => navigate('/flags', { replace: true })}>Clear the filters</Button>
            </EmptyState>
          ) : (
            <EmptyState title="No flags yet">
              <p>A flag lets you ship code dark and release it when you are ready.</p>
              <Button variant="primary" perm={canCreate} onClick={() => navigate('/flags/new')}>
                Create your first flag
              </Button>
            </EmptyState>
          )
        ) : (
          <>
            <p className="muted small" aria-live="polite">
              {plural(list.data.total, 'flag')}
              {list.data.total > flags.length ? `, showing the first ${flags.length}` : ''}
            </p>
            {toggleError ? (
              <p className="field-error" role="alert">
                {toggleError}
              </p>
            ) : null}
            <div className="table-wrap">
              <table className="table flags-table">
                <caption className="visually-hidden">Flags and their state in each environment</caption>
                <thead>
                  <tr>
                    <th scope="col">Flag</th>
                    {columns.map((e) => (
                      <th scope="col" key={e.key} className="env-col">
                        {e.name}
                      </th>
                    ))}
                    <th scope="col">Last changed</th>
                    <th scope="col">Last evaluated</th>
                  </tr>
                </thead>
                <tbody>
                  {flags.map((f) => (
                    <FlagRow
                      key={f.key}
                      flag={f}
                      columns={columns}
                      environments={environments}
                      busyEnv={busy?.startsWith(`${f.key}/`) ? busy.slice(f.key.length + 1) : null}
                      denied={f.archived ? ARCHIVED.reason : editPerm.reason}
                      onToggle={onToggle}
                    />
                  ))}
                </tbody>
              </table>
            </div>
            {list.data.nextCursor ? (
              <div ref={sentinel} className="list-more">
                <Button onClick={() => void list.more()} busy={list.loadingMore}>
                  Show {Math.min(FLAG_PAGE, list.data.total - flags.length)} more
                </Button>
              </div>
            ) : list.data.total > FLAG_PAGE ? (
              <p className="muted small list-more">All {plural(list.data.total, 'flag')} shown.</p>
            ) : null}
            <ConfirmDialog
              open={pending !== null}
              title={pending ? `Turn ${pending.enabled ? 'on' : 'off'} ${pending.flag.key} in ${pending.env.name}?` : ''}
              confirmLabel={pending ? `Turn ${pending.enabled ? 'on' : 'off'} in ${pending.env.name}` : ''}
              danger={pending ? !pending.enabled : false}
              busy={busy !== null}
              onCancel={() => setPending(null)}
              onConfirm={() => pending && void toggle(pending.flag, pending.env, pending.enabled)}
            >
              {pending ? (
                <>
                  <p>
                    <strong>{pending.flag.name}</strong> (<code>{pending.flag.key}</code>) changes for the users of{' '}
                    <strong>{pending.env.name}</strong> as soon as you confirm.
                  </p>
                  <p className="muted">
                    {pending.enabled
                      ? (pending.flag.environments[pending.env.key]?.ruleCount ?? 0) === 0
                        ? 'With no rules, everyone gets it.'
                        : 'Its rules decide who gets it.'
                      : 'Nobody will get it until it is turned on again.'}
                  </p>
                </>
              ) : null}
            </ConfirmDialog>
            {proposal.element}
          </>
        )
      ) : null}
    </div>
  );
}
