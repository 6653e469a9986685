import { type ReactNode, useState } from 'react';
import type { AuditEntry } from '../types.ts';
import { Button, EmptyState, ErrorState, Loading } from './ui.tsx';

export interface AuditTimelineProps {
  /** null while the first page loads. */
  entries: AuditEntry[] | null;
  /** What to list when it differs from `entries` (e.g. with entries made up locally). */
  shown?: AuditEntry[] | null;
  error: unknown;
  onRetry: () => void;
  emptyTitle: string;
  label: string;
  renderEntry: (entry: AuditEntry) => ReactNode;
  /** Loads the next older page; absent once the oldest is shown. */
  onOlder?: () => Promise<void>;
}

/** A trail of audit entries, newest first, with its loading, error and empty states and paging. */
export function AuditTimeline({ entries, shown, error, onRetry, emptyTitle, label, renderEntry, onOlder }: AuditTimelineProps) {
  const [more, setMore] = useState(false);
  return (
    <>
      {error ? <ErrorState error={error} onRetry={onRetry} /> : null}
      {entries === null && !error ? <Loading /> : null}
      {entries && entries.length === 0 ? <EmptyState title={emptyTitle} /> : null}
      {entries && entries.length > 0 ? (
        <ol className="timeline" aria-label={label}>
          {(shown ?? entries).map((entry) => (
            <li key={entry.id}>{renderEntry(entry)}</li>
          ))}
        </ol>
      ) : null}
      {onOlder && entries ? (
        <Button
          busy={more}
          onClick={async () => {
            setMore(true);
            try {
              await onOlder();
            } finally {
              setMore(false);
            }
          }}
        >
          Show older changes
        </Button>
      ) : null}
    </>
  );
}
