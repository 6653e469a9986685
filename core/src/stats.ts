/**
 * The statistics behind guarded ramps (`@switchboard/core/stats`): pure functions, no I/O.
 *
 * What is compared. The server knows, per minute, how many tracked events (errors, conversions...)
 * came from contexts served the ramped rule's result (treatment) and from contexts that fell
 * through it (control), but not how many users or evaluations each group had: the SDKs send counts
 * of events, never rows per user. It does know the allocation: the rule's rollout percentage `p`
 * decides, by hash, which share of the traffic reaching the rule gets the new result. With events
 * arriving as Poisson processes at rate `p * lambdaT` and `(1 - p) * lambdaC` (per unit of
 * traffic), each event is, given the events so far, a treatment event with probability
 * `pi(theta) = p e^theta / (p e^theta + 1 - p)`, where `theta = log(lambdaT / lambdaC)` is the log
 * of the rate ratio (the approach of Lindon, Sanden & Shirikian, "Rapid regression detection in
 * software deployments through sequential testing", KDD 2022). So the unit is events per unit of
 * traffic, the effect is relative (`e^theta - 1`: +0.5 is 50% more events per user than control),
 * and no exposure counts are needed. Minutes with different allocations are separate binomial
 * periods; periods with the same allocation add up (their counts are sufficient statistics).
 *
 * The test. A mixture sequential probability ratio test (Robbins; Johari, Pekelis & Walsh, "Always
 * valid inference", 2017) on that exact binomial likelihood: for a candidate `theta0`,
 * `Lambda(theta0) = integral of L(theta0 + u) / L(theta0) over u ~ Normal(0, tau^2)`. Under
 * `theta0` it is a nonnegative martingale with mean 1, so by Ville's inequality it ever reaches
 * `1 / alpha` with probability at most `alpha`, however often it is looked at. The confidence
 * sequence is the set of `theta0` where `Lambda(theta0) < 1 / alpha`: it holds the true ratio at
 * all times at once with probability `1 - alpha`. The integral is computed numerically (Simpson on
 * a window around the integrand's mode); no distribution library is needed for a normal density.
 *
 * The decision. Harm is declared when the whole interval lies beyond the smallest change that
 * matters in the harmful direction: for `lower_is_better`, the ratio's lower bound above
 * `1 + minEffect`; for `higher_is_better`, its upper bound below `1 - minEffect`. Smaller changes,
 * however certain, do not trip a guard. Under no real difference this happens in at most `alpha`
 * of runs (test/stats.test.ts simulates it).
 */

export const GuardDirection = { LowerIsBetter: 'lower_is_better', HigherIsBetter: 'higher_is_better' } as const;
export type GuardDirection = (typeof GuardDirection)[keyof typeof GuardDirection];

export const GuardDecision = {
  /** The treatment is worse than control by more than `minEffect`, with confidence `1 - alpha`. */
  Harm: 'harm',
  /** Nothing shows harm (yet): the ramp may go on. */
  NoHarm: 'no_harm',
  /** Not a single event in a period where both groups had traffic. */
  NoData: 'no_data',
} as const;
export type GuardDecision = (typeof GuardDecision)[keyof typeof GuardDecision];

/** Events of one period (a minute, or all minutes with the same allocation). */
export interface GroupCounts {
  /** Share of the traffic reaching the rule that was served the new result, in (0, 1). */
  share: number;
  /** Events from contexts served the new result. */
  treatment: number;
  /** Events from contexts that were not. */
  control: number;
}

export interface GuardTestOptions {
  direction: GuardDirection;
  /** The smallest relative change that matters (0.1: 10% more errors or 10% fewer conversions). */
  minEffect: number;
  /** Default 0.05. */
  alpha?: number;
  /**
   * Standard deviation of the mixture over the log rate ratio. Default: a function of `minEffect`
   * that keeps the test quick on effects a few times the smallest one that matters.
   */
  mixtureScale?: number;
}

export interface GuardTestResult {
  decision: GuardDecision;
  /** Relative change of the treatment's rate against control's (0.5: 50% higher); null with no data. */
  estimate: number | null;
  /** Always-valid `1 - alpha` interval of the relative change; bounds are null where unbounded. */
  interval: { lower: number | null; upper: number | null } | null;
  treatmentEvents: number;
  controlEvents: number;
}

/** Largest |theta| considered: a rate ratio of e^12 (~160,000) is beyond anything a guard needs. */
const THETA_MAX = 12;
const SIMPSON_POINTS = 80; // even: Simpson's rule takes an even number of intervals
const WINDOW_SDS = 10;

interface Period {
  logitShare: number;
  x: number;
  n: number;
}

/** log(1 + e^a) without overflow. */
function softplus(a: number): number {
  return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a));
}

function logistic(a: number): number {
  return a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a));
}

/** Groups the counts by allocation (their sums are sufficient), dropping periods without contrast. */
export function periodsOf(counts: readonly GroupCounts[]): Period[] {
  const byShare = new Map<number, Period>();
  for (const c of counts) {
    const { share } = c;
    const x = Number.isFinite(c.treatment) && c.treatment > 0 ? c.treatment : 0;
    const y = Number.isFinite(c.control) && c.control > 0 ? c.control : 0;
    // A period where everyone (or no one) had the new result says nothing about the difference.
    if (!(share > 0 && share < 1) || x + y === 0) continue;
    const held = byShare.get(share);
    if (held) {
      held.x += x;
      held.n += x + y;
    } else {
      byShare.set(share, { logitShare: Math.log(share / (1 - share)), x, n: x + y });
    }
  }
  return [...byShare.values()];
}

/** Binomial log-likelihood of `theta` (up to a constant). */
function logLik(periods: readonly Period[], theta: number): number {
  let l = 0;
  for (const p of periods) {
    const a = theta + p.logitShare;
    // log pi = -softplus(-a), log(1 - pi) = -softplus(a)
    l -= p.x * softplus(-a) + (p.n - p.x) * softplus(a);
  }
  return l;
}

/** First derivative (score) and Fisher information at `theta`. */
function scoreAndInfo(periods: readonly Period[], theta: number): [number, number] {
  let s = 0;
  let info = 0;
  for (const p of periods) {
    const pi = logistic(theta + p.logitShare);
    s += p.x - p.n * pi;
    info += p.n * pi * (1 - pi);
  }
  return [s, info];
}

/** Maximum-likelihood log rate ratio, clamped to [-THETA_MAX, THETA_MAX] (the score falls in theta). */
function mle(periods: readonly Period[]): number {
  let lo = -THETA_MAX;
  let hi = THETA_MAX;
  if (scoreAndInfo(periods, lo)[0] <= 0) return lo;
  if (scoreAndInfo(periods, hi)[0] >= 0) return hi;
  let theta = 0;
  for (let i = 0; i < 100; i++) {
    const [s, info] = scoreAndInfo(periods, theta);
    if (s > 0) lo = theta;
    else hi = theta;
    let next = info > 0 ? theta + s / info : Number.NaN;
    // Newton where it stays inside the bracket, bisection where it would not.
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - theta) < 1e-10) return next;
    theta = next;
  }
  return theta;
}

/** log Lambda(theta0): the mixture's log likelihood ratio against `theta0`. */
export function logMixtureRatio(periods: readonly Period[], theta0: number, tau: number): number {
  const l0 = logLik(periods, theta0);
  const inv = 1 / (tau * tau);
  // g(u) = logLik(theta0 + u) - l0 - u^2 / (2 tau^2) is concave: find its mode by safeguarded Newton.
  let lo = -THETA_MAX - Math.abs(theta0);
  let hi = THETA_MAX + Math.abs(theta0);
  let u = 0;
  let curvature = inv;
  for (let i = 0; i < 100; i++) {
    const [s, info] = scoreAndInfo(periods, theta0 + u);
    const grad = s - u * inv;
    curvature = info + inv;
    if (grad > 0) lo = u;
    else hi = u;
    let next = u + grad / curvature;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - u) < 1e-9) {
      u = next;
      break;
    }
    u = next;
  }
  const sd = 1 / Math.sqrt(curvature);
  const width = Math.min(WINDOW_SDS * sd, 2 * WINDOW_SDS * tau);
  const a = u - width;
  const h = (2 * width) / SIMPSON_POINTS;
  const g = (v: number) => logLik(periods, theta0 + v) - l0 - (v * v * inv) / 2;
  const peak = g(u);
  let total = 0;
  for (let i = 0; i <= SIMPSON_POINTS; i++) {
    const w = i === 0 || i === SIMPSON_POINTS ? 1 : i % 2 === 1 ? 4 : 2;
    total += w * Math.exp(g(a + i * h) - peak);
  }
  const integral = (total * h) / 3;
  // The normal density's constant: 1 / (tau sqrt(2 pi)).
  return peak + Math.log(integral) - Math.log(tau * Math.sqrt(2 * Math.PI));
}

/** The mixture's scale for a smallest effect: wide enough that effects a few times larger are found fast. */
export function defaultMixtureScale(minEffect: number): number {
  return Math.min(1, Math.max(0.2, 2 * Math.abs(Math.log1p(minEffect))));
}

function checkOptions(options: GuardTestOptions): { alpha: number; tau: number; boundary: number; harmAbove: boolean } {
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const m = options.minEffect;
  const harmAbove = options.direction === GuardDirection.LowerIsBetter;
  if (!(m >= 0) || (!harmAbove && m >= 1)) throw new RangeError(`minEffect must be >= 0 (and < 1 when higher is better), got ${m}`);
  const tau = options.mixtureScale ?? defaultMixtureScale(m);
  if (!(tau > 0)) throw new RangeError(`mixtureScale must be > 0, got ${tau}`);
  return { alpha, tau, boundary: harmAbove ? Math.log1p(m) : Math.log1p(-m), harmAbove };
}

/**
 * Whether the counts show harm, without the interval: the check the simulation runs after every
 * event. Equal to `guardTest(...).decision === 'harm'`.
 */
export function showsHarm(counts: readonly GroupCounts[], options: GuardTestOptions): boolean {
  const { alpha, tau, boundary, harmAbove } = checkOptions(options);
  const periods = periodsOf(counts);
  return harmFromPeriods(periods, tau, boundary, harmAbove, Math.log(1 / alpha));
}

function harmFromPeriods(periods: readonly Period[], tau: number, boundary: number, harmAbove: boolean, threshold: number): boolean {
  if (periods.length === 0) return false;
  // The estimate must lie beyond the boundary (the score's sign there says on which side it is) ...
  const [s] = scoreAndInfo(periods, boundary);
  if (harmAbove ? s <= 0 : s >= 0) return false;
  // ... and the boundary itself must be outside the confidence sequence. The mixture never exceeds
  // the maximum likelihood ratio, so a small one settles it without the integral.
  if (logLik(periods, mle(periods)) - logLik(periods, boundary) < threshold) return false;
  return logMixtureRatio(periods, boundary, tau) >= threshold;
}

/** Where the confidence sequence ends on one side of the estimate; null past THETA_MAX. */
function bound(periods: readonly Period[], estimate: number, tau: number, threshold: number, sign: 1 | -1): number | null {
  const inside = (theta: number) => logMixtureRatio(periods, theta, tau) < threshold;
  let near = estimate;
  let step = 0.05;
  let far = estimate + sign * step;
  while (inside(far)) {
    near = far;
    step *= 2;
    far = estimate + sign * step;
    if (sign * far > THETA_MAX) return null;
  }
  for (let i = 0; i < 50 && Math.abs(far - near) > 1e-6; i++) {
    const mid = (near + far) / 2;
    if (inside(mid)) near = mid;
    else far = mid;
  }
  return (near + far) / 2;
}

/**
 * The guard's test on everything seen so far: the estimate of the relative change, its always-valid
 * interval and the decision. Never throws for counts (bad options do: they are the caller's bug).
 */
export function guardTest(counts: readonly GroupCounts[], options: GuardTestOptions): GuardTestResult {
  const { alpha, tau, boundary, harmAbove } = checkOptions(options);
  const periods = periodsOf(counts);
  let treatmentEvents = 0;
  let controlEvents = 0;
  for (const c of counts) {
    if (Number.isFinite(c.treatment) && c.treatment > 0) treatmentEvents += c.treatment;
    if (Number.isFinite(c.control) && c.control > 0) controlEvents += c.control;
  }
  if (periods.length === 0) return { decision: GuardDecision.NoData, estimate: null, interval: null, treatmentEvents, controlEvents };
  const threshold = Math.log(1 / alpha);
  const theta = mle(periods);
  const lower = bound(periods, theta, tau, threshold, -1);
  const upper = bound(periods, theta, tau, threshold, 1);
  const harm = harmFromPeriods(periods, tau, boundary, harmAbove, threshold);
  const rel = (t: number | null) => (t === null ? null : Math.expm1(t));
  return {
    decision: harm ? GuardDecision.Harm : GuardDecision.NoHarm,
    estimate: Math.abs(theta) >= THETA_MAX ? null : Math.expm1(theta),
    interval: { lower: rel(lower), upper: rel(upper) },
    treatmentEvents,
    controlEvents,
  };
}
