import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { EnvironmentFilter } from '../components/environment-filter.tsx';
import { Badge, Button, EmptyState, ErrorState, Field, Loading, PageHeader, StatusPill } from '../components/ui.tsx';
import { useAppData } from '../data.tsx';
import { dateTime, plural, timeAgo } from '../format.ts';
import { useDocumentTitle, useResource } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { Link, navigate, setQuery, useLocation } from '../router.tsx';
import { usePermission } from '../session.tsx';
import type { Flag } from '../types.ts';

const WEEK = 7 * 24 * 3600 * 1000;

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

  const list = useResource(
    () =>
      api.get<{ flags: Flag[]; total: number }>('/flags', {
        query: {
          q,
          tag,
          state,
          environment: env && status ? env : undefined,
          enabled: env && status ? status === 'on' : undefined,
          stale: stale ? true : undefined,
          limit: 500,
        },
      }),
    [q, tag, env, status, stale, state],
  );
  useActivity(
    (a) => a.resourceType === 'flag',
    () => void list.reload(),
  );

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
              {list.data.total > flags.length ? `, showing ${flags.length}` : ''}
            </p>
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
                  {flags.map((f) => {
                    const evaluated = lastEvaluated(f);
                    return (
                      <tr key={f.key} className={f.archived ? 'row-archived' : ''}>
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
                              <button
                                type="button"
                                key={t}
                                className="tag"
                                onClick={() => setQuery({ tag: t })}
                                aria-label={`Show flags tagged ${t}`}
                              >
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
                                  <StatusPill on={s.enabled} />
                                  <span className="visually-hidden"> in {e.name}</span>
                                  <span className="env-detail" title={`Version ${s.version}, changed ${dateTime(s.updatedAt)}`}>
                                    {s.ruleCount === 0 ? (s.enabled ? 'everyone' : 'no rules') : plural(s.ruleCount, 'rule')}
                                  </span>
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
                            .map(
                              (e) =>
                                `${e.name}: ${f.environments[e.key]?.lastEvaluatedAt ? dateTime(f.environments[e.key]?.lastEvaluatedAt) : 'never'}`,
                            )
                            .join('\n')}
                        >
                          {evaluated ? timeAgo(evaluated) : <span className="muted">never</span>}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </>
        )
      ) : null}
    </div>
  );
}
