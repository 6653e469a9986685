import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { AuditTimeline } from '../components/audit-timeline.tsx';
import { EnvironmentFilter } from '../components/environment-filter.tsx';
import { Field, PageHeader } from '../components/ui.tsx';
import { isFlagConfig } from '../describe.ts';
import { configBefore } from '../describe-plans.ts';
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
  const { query } = useLocation();
  const type = query.get('type') ?? '';
  const env = query.get('env') ?? '';
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

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
        <EnvironmentFilter value={env} />
      </div>
      <AuditTimeline
        entries={entries}
        error={error}
        onRetry={() => void refresh()}
        emptyTitle="Nothing here yet"
        label="Changes, newest first"
        renderEntry={(e) => <AuditEntryView entry={e} showResource base={configBefore(e, entries ?? [], isFlagConfig)} />}
        onOlder={
          next !== null && entries
            ? async () => {
                const page = await load(next);
                setEntries([...entries, ...page.entries]);
                setNext(page.nextBefore);
              }
            : undefined
        }
      />
    </div>
  );
}
