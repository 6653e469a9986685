import { useState } from 'react';
import { api, messageOf } from '../api.ts';
import {
  approvalsText,
  CHANGE_REQUEST_TABS,
  type ChangeRequest,
  type ChangeRequestPage,
  stateLabel,
  summarize,
  tabOf,
} from '../change-requests.ts';
import { EnvironmentFilter } from '../components/environment-filter.tsx';
import { Badge, Button, EmptyState, ErrorState, Loading, PageHeader } from '../components/ui.tsx';
import { useAppData } from '../data.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { useDocumentTitle, useResource } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { Link, useLocation } from '../router.tsx';

/**
 * Change requests (issue 17): tabs for the open ones, those waiting for my review and my own, all
 * filtered by environment; the tab and the environment live in the URL.
 */
export function ChangeRequestsPage() {
  useDocumentTitle('Change requests');
  const { query } = useLocation();
  const { environments } = useAppData();
  const tab = tabOf(query.get('tab'));
  const env = query.get('env') ?? '';
  const spec = CHANGE_REQUEST_TABS.find((t) => t.key === tab) ?? CHANGE_REQUEST_TABS[0];
  const [more, setMore] = useState<{ items: ChangeRequest[]; cursor: string | null; error?: string } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const list = useResource(async () => {
    setMore(null);
    return api.get<ChangeRequestPage>('/change-requests', { query: { ...spec.query, environment: env, limit: 50 } });
  }, [tab, env]);
  useActivity(
    (a) => a.resourceType === 'change_request',
    () => void list.reload(),
  );
  const items = [...(list.data?.items ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.cursor : (list.data?.nextCursor ?? null);
  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await api.get<ChangeRequestPage>('/change-requests', { query: { ...spec.query, environment: env, limit: 50, cursor } });
      setMore({ items: [...(more?.items ?? []), ...page.items], cursor: page.nextCursor });
    } catch (err) {
      setMore({ items: more?.items ?? [], cursor, error: messageOf(err) });
    } finally {
      setLoadingMore(false);
    }
  };
  const envName = (key: string) => environments.find((e) => e.key === key)?.name ?? key;
  const link = (t: string) => {
    const q = new URLSearchParams();
    if (t !== 'open') q.set('tab', t);
    if (env) q.set('env', env);
    const s = q.toString();
    return `/change-requests${s ? `?${s}` : ''}`;
  };

  return (
    <div className="page">
      <PageHeader
        title="Change requests"
        subtitle="Changes to environments that need approval: proposed by an editor, reviewed by others, then applied."
      />
      <nav className="tabs" aria-label="Change request views">
        {CHANGE_REQUEST_TABS.map((t) => (
          <Link key={t.key} to={link(t.key)} aria-current={t.key === tab ? 'page' : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
      <div className="filters">
        <EnvironmentFilter value={env} />
      </div>
      {list.error ? <ErrorState error={list.error} onRetry={() => void list.reload()} /> : null}
      {!list.data && !list.error ? <Loading /> : null}
      {list.data && items.length === 0 ? (
        <EmptyState title={tab === 'to-review' ? 'Nothing waits for your review' : 'No change requests here'}>
          <p className="muted">
            Requests are made from the flag page when an environment needs approvals (an admin sets that on the Environments page).
          </p>
        </EmptyState>
      ) : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Change requests ({spec.label})</caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Environment</th>
                <th scope="col">State</th>
                <th scope="col">Approvals</th>
                <th scope="col">Author</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((cr) => {
                const s = stateLabel(cr.state);
                return (
                  <tr key={cr.id}>
                    <th scope="row">
                      <Link to={`/change-requests/${encodeURIComponent(cr.id)}`}>{cr.title}</Link>
                      <div className="muted small">
                        {summarize(cr.change, cr.current)}
                        {cr.conflict ? (
                          <>
                            {' '}
                            <Badge tone="warning" title="The target changed since it was proposed">
                              conflict
                            </Badge>
                          </>
                        ) : null}
                      </div>
                    </th>
                    <td data-label="Environment">{envName(cr.environment)}</td>
                    <td data-label="State">
                      <Badge tone={s.tone}>{s.label}</Badge>
                    </td>
                    <td data-label="Approvals">{approvalsText(cr)}</td>
                    <td data-label="Author">{cr.author.name}</td>
                    <td data-label="Updated" title={dateTime(cr.updatedAt)}>
                      {timeAgo(cr.updatedAt)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {more?.error ? <p className="field-error">{more.error}</p> : null}
      {cursor ? (
        <Button onClick={() => void loadMore()} busy={loadingMore}>
          Show more
        </Button>
      ) : null}
    </div>
  );
}
