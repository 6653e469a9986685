import { useEffect } from 'react';
import { api, seg } from '../api.ts';
import { formatNumber } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { Badge } from './ui.tsx';

/**
 * A ramp's metric guard on the flag page: per minute, how often the tracked event came from users
 * with the rule's new result and from those without (each scaled to all traffic by its share, so
 * the two lines compare), and the test's current estimate, always-valid interval and decision.
 * Plain SVG: two lines and one interval bar need no chart library.
 */

export type RampGuard =
  | { kind: 'metric'; metric: string; direction: string; minEffect: number; action: string }
  | { kind?: 'threshold'; metric: string; comparator: string; threshold: number; action: string };

interface GuardMetric {
  metric: string;
  direction: string;
  minEffect: number;
  alpha: number;
  since: string | null;
  decision: 'harm' | 'no_harm' | 'no_data';
  estimate: number | null;
  interval: { lower: number | null; upper: number | null } | null;
  treatmentEvents: number;
  controlEvents: number;
  series: Array<{ minute: string; share: number; treatment: number; control: number }>;
}

interface GuardedRamp {
  id: string;
  state: string;
  guard: RampGuard | null;
}

const signed = (v: number | null) => (v === null ? 'unbounded' : `${v >= 0 ? '+' : '−'}${formatNumber(Math.abs(v) * 100)}%`);
const roundedSigned = (v: number | null) => signed(v === null ? null : Math.round(v * 1000) / 1000);

/** One line of words for a guard, in the ramp banner. */
export function GuardSummary({ guard }: { guard: RampGuard }) {
  const then = guard.action === 'rollback' ? 'roll back' : 'pause';
  if (guard.kind === 'metric') {
    return (
      <p className="small">
        Guard: {then} when <code>{guard.metric}</code> is {guard.direction === 'lower_is_better' ? 'more' : 'less'} frequent with the new
        result than without it, by more than {formatNumber(guard.minEffect * 100)}% (95% confidence, checked continuously).
      </p>
    );
  }
  return (
    <p className="small">
      Guard: {then} when {guard.metric} is {guard.comparator === 'gt' ? 'above' : 'below'} {formatNumber(guard.threshold)}.
    </p>
  );
}

const DECISION = {
  harm: { label: 'Harm detected', tone: 'danger' },
  no_harm: { label: 'No harm detected', tone: 'success' },
  no_data: { label: 'No data yet', tone: 'neutral' },
} as const;

/** The newest ramp of the flag in `env` with a metric guard, with its evaluation; nothing without one. */
export function GuardMetrics({ flagKey, env }: { flagKey: string; env: string }) {
  const ramps = useResource(
    () => api.get<{ ramps: GuardedRamp[] }>('/ramps', { query: { flag: flagKey, environment: env, limit: 20 } }),
    [flagKey, env],
  );
  const ramp = ramps.data?.ramps.find((r) => r.guard?.kind === 'metric');
  const id = ramp?.id ?? null;
  const view = useResource(
    () => (id ? api.get<{ metrics: GuardMetric[] }>(`/ramps/${seg(id)}/guard`) : Promise.resolve({ metrics: [] })),
    [id],
  );
  useActivity(
    (a) => a.resourceType === 'ramp' || a.resourceKey === flagKey,
    () => {
      void ramps.reload();
      void view.reload();
    },
  );
  const live = ramp?.state === 'running';
  useEffect(() => {
    if (!live) return;
    // Events arrive with usage reports, not as activity: look again every few seconds while it runs.
    const timer = setInterval(() => void view.reload(), 5000);
    return () => clearInterval(timer);
  }, [live, view.reload]);
  if (!ramp || !view.data || view.data.metrics.length === 0) return null;
  return (
    <section className="card guard-metrics" aria-label="Guarded metrics">
      {view.data.metrics.map((m) => (
        <GuardMetricCard key={m.metric} metric={m} state={ramp.state} />
      ))}
    </section>
  );
}

function GuardMetricCard({ metric: m, state }: { metric: GuardMetric; state: string }) {
  const decision = DECISION[m.decision];
  const interval = m.interval ? `${roundedSigned(m.interval.lower)} to ${roundedSigned(m.interval.upper)}` : 'none yet';
  return (
    <article aria-label={`Guard on ${m.metric}`}>
      <h3 className="row gap-small">
        <span>
          Guard on <code>{m.metric}</code> ({state.replace('_', ' ')} ramp)
        </span>
        <Badge tone={decision.tone}>{decision.label}</Badge>
      </h3>
      <p className="small">
        With the new result, <code>{m.metric}</code> is {roundedSigned(m.estimate)} against users without it;{' '}
        {formatNumber((1 - m.alpha) * 100)}% interval {interval} ({m.direction === 'lower_is_better' ? 'lower' : 'higher'} is better;
        changes under {formatNumber(m.minEffect * 100)}% do not count). {formatNumber(m.treatmentEvents)} events with it,{' '}
        {formatNumber(m.controlEvents)} without.
      </p>
      <IntervalBar metric={m} />
      <SeriesChart metric={m} />
    </article>
  );
}

const W = 640;
const H = 160;
const PAD = 36;

/** Events per minute scaled to all traffic, per group: count / share (with) and count / (1 - share) (without). */
function SeriesChart({ metric: m }: { metric: GuardMetric }) {
  const points = m.series
    .filter((p) => p.share > 0 && p.share < 1)
    .map((p) => ({ at: Date.parse(p.minute), with: p.treatment / p.share, without: p.control / (1 - p.share) }));
  if (points.length === 0) return <p className="small muted">No minute yet where both groups had traffic.</p>;
  const first = points[0]?.at ?? 0;
  const last = points.at(-1)?.at ?? first;
  const span = Math.max(60_000, last - first);
  const top = Math.max(1, ...points.map((p) => Math.max(p.with, p.without)));
  const x = (at: number) => PAD + ((at - first) / span) * (W - 2 * PAD);
  const y = (v: number) => H - PAD / 2 - (v / top) * (H - PAD);
  const line = (pick: (p: (typeof points)[number]) => number) =>
    points.map((p) => `${x(p.at).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ');
  const time = (at: number) => new Date(at).toISOString().slice(11, 16);
  const summary = `${m.metric} per minute, scaled to all traffic: with the new result from ${formatNumber(Math.round(points[0]?.with ?? 0))} to ${formatNumber(Math.round(points.at(-1)?.with ?? 0))}, without it from ${formatNumber(Math.round(points[0]?.without ?? 0))} to ${formatNumber(Math.round(points.at(-1)?.without ?? 0))}`;
  return (
    <figure className="guard-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary}>
        <line x1={PAD} y1={H - PAD / 2} x2={W - PAD} y2={H - PAD / 2} className="axis" />
        <text x={4} y={PAD / 2 + 4} className="tick">
          {formatNumber(Math.round(top))}
        </text>
        <text x={4} y={H - PAD / 2} className="tick">
          0
        </text>
        <text x={PAD} y={H - 2} className="tick">
          {time(first)} UTC
        </text>
        <text x={W - PAD} y={H - 2} className="tick" textAnchor="end">
          {time(last)} UTC
        </text>
        <polyline points={line((p) => p.without)} className="series without" />
        <polyline points={line((p) => p.with)} className="series with" />
        {points.map((p) => (
          <g key={p.at}>
            <rect x={x(p.at) - 2.5} y={y(p.without) - 2.5} width={5} height={5} className="series-dot without" />
            <circle cx={x(p.at)} cy={y(p.with)} r={2.5} className="series-dot with" />
          </g>
        ))}
      </svg>
      <figcaption className="small">
        <span className="legend with">— with the new result</span> <span className="legend without">- - without it</span> (events per
        minute, each scaled to all traffic by its share)
      </figcaption>
    </figure>
  );
}

/** The estimate and its interval on a scale of relative change, with 0 and the smallest change that matters. */
function IntervalBar({ metric: m }: { metric: GuardMetric }) {
  if (!m.interval || m.estimate === null) return null;
  const lo = Math.max(-1, Math.min(-0.5, m.interval.lower ?? -1));
  const hi = Math.min(3, Math.max(0.5, m.interval.upper ?? 3));
  const x = (v: number) => PAD + ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * (W - 2 * PAD);
  const boundary = m.direction === 'lower_is_better' ? m.minEffect : -m.minEffect;
  const from = x(m.interval.lower ?? lo);
  const to = x(m.interval.upper ?? hi);
  return (
    <svg
      viewBox={`0 0 ${W} 40`}
      className="guard-interval"
      role="img"
      aria-label={`Estimate ${roundedSigned(m.estimate)}, interval ${roundedSigned(m.interval.lower)} to ${roundedSigned(m.interval.upper)}, harm beyond ${roundedSigned(boundary)}`}
    >
      <line x1={PAD} y1={20} x2={W - PAD} y2={20} className="axis" />
      <rect x={from} y={12} width={Math.max(1, to - from)} height={16} className={`interval ${m.decision}`} />
      <line x1={x(0)} y1={4} x2={x(0)} y2={36} className="zero" />
      <line x1={x(boundary)} y1={4} x2={x(boundary)} y2={36} className="boundary" />
      <circle cx={x(m.estimate)} cy={20} r={4} className="estimate" />
      <text x={x(0)} y={10} className="tick" textAnchor="middle">
        0
      </text>
      <text x={x(boundary)} y={10} className="tick" textAnchor="middle">
        {roundedSigned(boundary)}
      </text>
    </svg>
  );
}
