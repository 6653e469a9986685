import type { Issues } from '../issues.ts';

/** A failure without field issues (those show at their fields instead). */
export function FormError({ error, issues }: { error: string | undefined; issues?: Issues }) {
  if (!error || (issues && issues.size > 0)) return null;
  return (
    <p className="field-error" role="alert">
      {error}
    </p>
  );
}
