import { dateTime } from '../format.ts';
import { Badge } from './ui.tsx';

/** "active", or the state (revoked, disabled) that ended it, dated on hover. */
export function StatusBadge({ endedAt, ended }: { endedAt: string | null | undefined; ended: string }) {
  return endedAt ? (
    <Badge tone="warning" title={dateTime(endedAt)}>
      {ended}
    </Badge>
  ) : (
    <Badge tone="success">active</Badge>
  );
}
