import { useEffect, useId } from 'react';
import { api, seg } from '../api.ts';
import { dateTime, timeAgo } from '../format.ts';
import { useResource } from '../hooks.ts';
import type { Environment } from '../types.ts';
import { formatCount } from './evaluation-counts.tsx';

/** `GET /api/admin/flags/:key/usage`. */
export interface FlagUsage {
  flag: string;
  environment: string;
  to: string;
  lastEvaluatedAt: string | null;
  last24h: UsageWindow;
  last7d: UsageWindow;
  hourly: Array<{ hour: string; on: number; off: number }>;
}

interface UsageWindow {
  from: string;
  total: number;
  byResult: Array<{ enabled: boolean; variant: string | null; count: number }>;
}

/** Counts arrive with SDK reports every few seconds; a minute is fresh enough for a page left open. */
const REFRESH_MS = 60_000;

function resultLabel(r: { enabled: boolean; variant: string | null }): string {
  if (!r.enabled) return 'Off';
  return r.variant === null ? 'On, no variant' : `Variant ${r.variant}`;
}

function percent(n: number, total: number): string {
  if (total === 0) return '0%';
  const p = (n / total) * 100;
  return `${p > 0 && p < 1 ? '<1' : Math.round(p)}%`;
}

/**
 * Evaluations of one flag in one environment on the flag page (issue 16, point 5): totals for the
 * last 24 hours and 7 days, the split by result (off, on, each variant) with a bar per result, and
 * the 7 days hour by hour as a small bar chart (SVG drawn here: no chart library for 168 bars).
 */
export function FlagUsagePanel({ flagKey, env }: { flagKey: string; env: Environment }) {
  const titleId = useId();
  const usage = useResource(
    () => api.get<FlagUsage>(`/flags/${seg(flagKey)}/usage`, { query: { environment: env.key } }),
    [flagKey, env.key],
  );
  const { reload } = usage;
  useEffect(() => {
    const timer = setInterval(() => void reload(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);

  const u = usage.data;
  return (
    <section className="card usage-card" aria-labelledby={titleId}>
      <h2 id={titleId} className="h3">
        Evaluations in {env.name}
      </h2>
      {!u ? (
        <p className="muted small">{usage.error ? 'Evaluation counts could not be loaded.' : 'Loading evaluation counts…'}</p>
      ) : u.last7d.total === 0 ? (
        <p className="muted small">
          No SDK has reported evaluating this flag in {env.name} in the last 7 days
          {u.lastEvaluatedAt ? ` (last evaluated ${timeAgo(u.lastEvaluatedAt)})` : ''}.
        </p>
      ) : (
        <>
          <dl className="usage-totals">
            <div>
              <dt>Last 24 hours</dt>
              <dd>{formatCount(u.last24h.total)}</dd>
            </div>
            <div>
              <dt>Last 7 days</dt>
              <dd>{formatCount(u.last7d.total)}</dd>
            </div>
            <div>
              <dt>Last evaluated</dt>
              <dd title={dateTime(u.lastEvaluatedAt)}>{u.lastEvaluatedAt ? timeAgo(u.lastEvaluatedAt) : 'never'}</dd>
            </div>
          </dl>
          <UsageBreakdown usage={u} />
          <HourlyBars hourly={u.hourly} envName={env.name} />
        </>
      )}
    </section>
  );
}

function UsageBreakdown({ usage: u }: { usage: FlagUsage }) {
  const day = new Map(u.last24h.byResult.map((r) => [`${r.enabled}/${r.variant}`, r.count]));
  return (
    <table className="table usage-table">
      <caption className="visually-hidden">Evaluations by result</caption>
      <thead>
        <tr>
          <th scope="col">Result</th>
          <th scope="col">24 hours</th>
          <th scope="col">7 days</th>
          <th scope="col">Share of 7 days</th>
        </tr>
      </thead>
      <tbody>
        {u.last7d.byResult.map((r) => {
          const share = percent(r.count, u.last7d.total);
          return (
            <tr key={`${r.enabled}/${r.variant}`}>
              <th scope="row">{resultLabel(r)}</th>
              <td>{formatCount(day.get(`${r.enabled}/${r.variant}`) ?? 0)}</td>
              <td>{formatCount(r.count)}</td>
              <td>
                <span className="usage-share">
                  <svg viewBox="0 0 100 8" width="100" height="8" aria-hidden="true" focusable="false">
                    <rect className="usage-track" x="0" y="0" width="100" height="8" rx="2" />
                    <rect
                      className={r.enabled ? 'usage-on' : 'usage-off'}
                      x="0"
                      y="0"
                      width={u.last7d.total ? (r.count / u.last7d.total) * 100 : 0}
                      height="8"
                      rx="2"
                    />
                  </svg>
                  {share}
                </span>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** 168 hours, one bar each: "on" answers stacked on "off" ones. */
function HourlyBars({ hourly, envName }: { hourly: FlagUsage['hourly']; envName: string }) {
  const peak = Math.max(1, ...hourly.map((h) => h.on + h.off));
  const busiest = hourly.reduce((best, h) => (h.on + h.off > best.on + best.off ? h : best), hourly[0] ?? { hour: '', on: 0, off: 0 });
  const H = 40;
  const label =
    `Evaluations in ${envName} per hour over the last 7 days; the busiest hour had ${formatCount(busiest.on + busiest.off)}` +
    (busiest.hour ? `, ${dateTime(busiest.hour)}` : '');
  return (
    <figure className="usage-hourly">
      <svg viewBox={`0 0 ${hourly.length * 3} ${H}`} preserveAspectRatio="none" role="img" aria-label={label}>
        {hourly.map((h, i) => {
          const on = (h.on / peak) * H;
          const off = (h.off / peak) * H;
          return (
            <g key={h.hour}>
              {off > 0 ? <rect className="usage-off" x={i * 3} y={H - off} width="2.4" height={off} /> : null}
              {on > 0 ? <rect className="usage-on" x={i * 3} y={H - off - on} width="2.4" height={on} /> : null}
            </g>
          );
        })}
      </svg>
      <figcaption className="muted small">
        Per hour, 7 days ago to now: <span className="usage-key usage-key-on">on</span> and{' '}
        <span className="usage-key usage-key-off">off</span> answers; busiest hour {formatCount(busiest.on + busiest.off)}.
      </figcaption>
    </figure>
  );
}
