import type { FlagEnvironmentSummary } from '../types.ts';

/**
 * One formatter for every cell: `toLocaleString` builds a new one per call, which a page of 100
 * flags in three environments pays hundreds of times on first paint.
 */
const COUNT = new Intl.NumberFormat('en-US');
export const formatCount = (n: number): string => COUNT.format(n);

/** 1234 → "1.2k", 2_500_000 → "2.5M": a count that fits a table cell; the exact figure is in the title. */
export function shortCount(n: number): string {
  if (n < 1000) return String(n);
  const [value, unit] = n < 1_000_000 ? [n / 1000, 'k'] : n < 1_000_000_000 ? [n / 1_000_000, 'M'] : [n / 1_000_000_000, 'B'];
  return `${value < 10 ? Math.floor(value * 10) / 10 : Math.floor(value)}${unit}`;
}

/**
 * The flags list's evaluation counts for one environment (issue 16, point 5): the last 24 hours
 * on screen, both windows in words for screen readers and the tooltip. Nothing when the server did
 * not send counts (an older server, or a write's answer).
 */
export function EnvEvaluations({ counts, envName }: { counts: FlagEnvironmentSummary['evaluations']; envName: string }) {
  if (!counts) return null;
  const words = `${formatCount(counts.last24h)} evaluations in ${envName} in the last 24 hours, ${formatCount(counts.last7d)} in 7 days`;
  return (
    <span className="env-detail env-evaluations" title={words}>
      <span aria-hidden="true">
        {counts.last7d === 0 ? 'no evaluations' : `${shortCount(counts.last24h)} / 24 h · ${shortCount(counts.last7d)} / 7 d`}
      </span>
      <span className="visually-hidden">{counts.last7d === 0 ? `No evaluations in ${envName} in 7 days` : words}</span>
    </span>
  );
}
