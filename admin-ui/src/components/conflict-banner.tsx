import type { Change } from '../describe.ts';
import { ChangeList } from './changes.tsx';
import { Banner, Button } from './ui.tsx';

export interface ConflictBannerProps {
  title: string;
  theirs: Change[];
  mine: Change[];
  keepLabel: string;
  onKeep: () => void;
  onDiscard: () => void;
}

/** A save refused because someone else saved first: both changes side by side, and the two ways on. */
export function ConflictBanner({ title, theirs, mine, keepLabel, onKeep, onDiscard }: ConflictBannerProps) {
  return (
    <Banner tone="danger" role="alert" title={title}>
      <p>Their change:</p>
      <ChangeList changes={theirs} />
      <p>Your change:</p>
      <ChangeList changes={mine} />
      <div className="row gap-small">
        <Button variant="primary" onClick={onKeep}>
          {keepLabel}
        </Button>
        <Button onClick={onDiscard}>Discard mine, show theirs</Button>
      </div>
    </Banner>
  );
}
