import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { Button, EmptyState, ErrorState, Field, Loading, PageHeader } from '../components/ui.tsx';
import { useAppData } from '../data.tsx';
import { useDocumentTitle } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { setQuery, useLocation } from '../router.tsx';
import type { AuditEntry, AuditPage as Page } from '../types.ts';
import { AuditEntryView } from './history.tsx';

const TYPES = [
  { value: '', label: 'Everything' },
  { value: 'flag', label: 'Flags' },
  { value: 'segment', label: 'Segments' },
  { value: 'environment', label: 'Environments' },
  { value: 'sdk_key', label: 'SDK keys' },
  { value: 'token', label: 'API tokens' },
  { value: 'user', label: 'Users' },
  { value: 'attribute', label: 'Attributes' },
];

/** Every audited change across the workspace, newest first, updating live. */
export function AuditPage() {
  useDocumentTitle('Audit log');
  const { environments } = useAppData();
  const { query } = useLocation();
  const type = query.get('type') ?? '';
  const env = query.get('env') ?? '';
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [more, setMore] = useState(false);

  const load = (before?: number) =>
    api.get<Page>('/audit', { query: { resourceType: type || undefined, environment: env || undefined, limit: 50, before } });
  const refresh = async () => {
    try {
      const page = await load();
      setEntries(page.entries);
      setNext(page.nextBefore);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: refetch when the filters change
  useEffect(() => {
    setEntries(null);
    void refresh();
  }, [type, env]);
  useActivity(
    () => true,
    () => void refresh(),
    300,
  );

  return (
    <div className="page">
      <PageHeader title="Audit log" subtitle="Who changed what, and when. Flags also have their own history with one-click revert." />
      <div className="filters">
        <Field label="What">
          {(p) => (
            <select {...p} className="input" value={type} onChange={(e) => setQuery({ type: e.target.value })}>
              {TYPES.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Environment">
          {(p) => (
            <select {...p} className="input" value={env} onChange={(e) => setQuery({ env: e.target.value })}>
              <option value="">All environments</option>
              {environments.map((e) => (
                <option key={e.key} value={e.key}>
                  {e.name}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {error ? <ErrorState error={error} onRetry={() => void refresh()} /> : null}
      {entries === null && !error ? <Loading /> : null}
      {entries && entries.length === 0 ? <EmptyState title="Nothing here yet" /> : null}
      {entries && entries.length > 0 ? (
        <ol className="timeline" aria-label="Changes, newest first">
          {entries.map((e) => (
            <li key={e.id}>
              <AuditEntryView entry={e} showResource />
            </li>
          ))}
        </ol>
      ) : null}
      {next !== null && entries ? (
        <Button
          busy={more}
          onClick={async () => {
            setMore(true);
            try {
              const page = await load(next);
              setEntries([...entries, ...page.entries]);
              setNext(page.nextBefore);
            } finally {
              setMore(false);
            }
          }}
        >
          Show older changes
        </Button>
      ) : null}
    </div>
  );
}
