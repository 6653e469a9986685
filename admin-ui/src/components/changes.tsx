import type { Change } from '../describe.ts';

const KIND: Record<Change['kind'], string> = { added: 'Added', removed: 'Removed', changed: 'Changed' };

/** A readable diff: one line per change, the old value struck out and the new one inserted. */
export function ChangeList({ changes, empty = 'No changes to the configuration.' }: { changes: Change[]; empty?: string }) {
  if (changes.length === 0) return <p className="muted small">{empty}</p>;
  return (
    <ul className="changes">
      {changes.map((c, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a static list
        <li key={i} className={`change change-${c.kind}`}>
          <span className="change-kind">{KIND[c.kind]}</span>
          <span className="change-label">{c.label}</span>
          <span className="change-values">
            {c.before !== undefined ? (
              <del>
                <span className="visually-hidden">from </span>
                {c.before}
              </del>
            ) : null}
            {c.before !== undefined && c.after !== undefined ? (
              <span className="change-arrow" aria-hidden="true">
                →
              </span>
            ) : null}
            {c.after !== undefined ? (
              <ins>
                <span className="visually-hidden">to </span>
                {c.after}
              </ins>
            ) : null}
          </span>
        </li>
      ))}
    </ul>
  );
}
