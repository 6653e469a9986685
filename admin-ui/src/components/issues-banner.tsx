import type { IssueDetail } from '../api.ts';
import { describePath } from '../issues.ts';
import { Banner } from './ui.tsx';

/** Why a save failed, listing the issues no field shows. */
export function IssuesBanner({ title, error, issues }: { title: string; error: string | undefined; issues: IssueDetail[] }) {
  if (!error) return null;
  return (
    <Banner tone="danger" role="alert" title={title}>
      <p>{error}</p>
      {issues.length > 0 ? (
        <ul>
          {issues.map((i) => (
            <li key={i.path + i.message}>
              {describePath(i.path)}: {i.message}
            </li>
          ))}
        </ul>
      ) : null}
    </Banner>
  );
}
