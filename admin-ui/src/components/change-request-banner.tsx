import { useState } from 'react';
import { api } from '../api.ts';
import { type ChangeRequestPage, isFinal, stateLabel, summarize } from '../change-requests.ts';
import { timeAgo } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { Link } from '../router.tsx';
import type { Environment } from '../types.ts';
import { Banner } from './ui.tsx';

/**
 * On the flag page: this flag has change requests not yet applied in this environment (issue 17),
 * so whoever edits it sees what others proposed before proposing again. `count` comes with the
 * flag (`openChangeRequests`); the titles are fetched only when there are some.
 */
export function ChangeRequestBanner({ flagKey, env, count }: { flagKey: string; env: Environment; count: number }) {
  // A request made while the page is open arrives as activity; from then on the list is fetched even
  // though the flag's count was 0 when it loaded.
  const [heard, setHeard] = useState(0);
  const requests = useResource(
    () =>
      count > 0 || heard > 0
        ? api.get<ChangeRequestPage>('/change-requests', { query: { environment: env.key, flag: flagKey, view: 'all', limit: 100 } })
        : Promise.resolve({ items: [], nextCursor: null } as ChangeRequestPage),
    [count, env.key, flagKey, heard],
  );
  useActivity(
    (a) => a.resourceType === 'change_request' && a.environment === env.key,
    () => setHeard((n) => n + 1),
  );
  // Approved but not yet applied counts as open here: it still waits for someone.
  const mine = (requests.data?.items ?? []).filter((cr) => !isFinal(cr.state) && 'flagKey' in cr.change && cr.change.flagKey === flagKey);
  const n = heard > 0 && requests.data ? mine.length : Math.max(count, mine.length);
  if (n === 0) return null;
  return (
    <Banner tone="info" role="status" title={`${n} open change request${n === 1 ? '' : 's'} for ${flagKey} in ${env.name}`}>
      {mine.length > 0 ? (
        <ul className="plain-list">
          {mine.map((cr) => (
            <li key={cr.id}>
              <Link to={`/change-requests/${encodeURIComponent(cr.id)}`}>{cr.title}</Link>{' '}
              <span className="muted small">
                ({stateLabel(cr.state).label.toLowerCase()}, {summarize(cr.change, cr.current)}, by {cr.author.name} {timeAgo(cr.createdAt)}
                )
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      <p className="small">
        <Link to={`/change-requests?env=${encodeURIComponent(env.key)}`}>All change requests in {env.name}</Link>
      </p>
    </Banner>
  );
}
