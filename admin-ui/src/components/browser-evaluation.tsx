import type { BrowserEvaluation } from '../types.ts';
import { Badge } from './ui.tsx';

function describe(reason: BrowserEvaluation['reasons'][number]): string {
  const rule = reason.ruleId ? ` in rule ${reason.ruleId}` : '';
  switch (reason.code) {
    case 'SENSITIVE_CONDITION':
      return reason.segment
        ? `segment ${reason.segment} (used${rule}) compares the sensitive attribute ${reason.attribute}`
        : `a condition${rule} compares the sensitive attribute ${reason.attribute}`;
    case 'SENSITIVE_OVERRIDE':
      return `a variant override${rule} lists values of the sensitive attribute ${reason.attribute}`;
    case 'SERVER_DEPENDENCY':
      return `it depends on ${reason.flag}, which browsers get from the server`;
    case 'HIDDEN_DEPENDENCY':
      return `it depends on ${reason.flag}, which browsers do not see`;
    default:
      return reason.code.toLowerCase().replaceAll('_', ' ');
  }
}

/**
 * One line on the flag page: whether browsers (client keys) evaluate the flag themselves from its
 * rules, or get its answer from the server because the rules would reveal identifying values.
 */
export function BrowserEvaluationNote({ browser }: { browser: BrowserEvaluation | undefined }) {
  if (!browser) return null;
  if (browser.mode === 'hidden') return <p className="muted small">Browsers: not client-visible, so client keys never see this flag.</p>;
  if (browser.mode === 'local') {
    const disabled = browser.reasons.some((r) => r.code === 'DISABLED');
    return (
      <p className="muted small">
        <Badge tone="success">evaluated in the browser</Badge>{' '}
        {disabled ? 'Off: browsers receive it without its rules.' : 'Browsers receive its rules and evaluate it themselves.'}
      </p>
    );
  }
  return (
    <div className="muted small">
      <Badge tone="info">evaluated on the server</Badge> Browsers receive only its name; their answer comes from the server, because:
      <ul>
        {browser.reasons.map((r) => (
          <li key={`${r.code}:${r.attribute ?? ''}:${r.ruleId ?? ''}:${r.segment ?? ''}:${r.flag ?? ''}`}>{describe(r)}</li>
        ))}
      </ul>
    </div>
  );
}
