import { parseDuration } from '../args.ts';
import { type CommandSpec, type Context, requireEnv, requireOption } from '../command.ts';
import { ApiError, CliError, UsageError } from '../errors.ts';
import { apiPath } from '../http.ts';
import { formatDuration, formatTime, table } from '../output.ts';
import { allPages } from '../pages.ts';
import type { GuardMetricView, MetricGuard, RampGuard, RampStep, RampView } from '../types.ts';

/** `1:60,5:10m,25:0`: percentage and hold time per step, the hold in seconds or with a unit. */
export function parseSteps(text: string, usage: string): RampStep[] {
  return text.split(',').map((part, i) => {
    const m = /^\s*([^:\s]+)\s*:\s*(\S+)\s*$/.exec(part);
    const percentage = m ? Number(m[1]) : Number.NaN;
    const holdSeconds = m?.[2] !== undefined ? parseDuration(m[2]) : undefined;
    if (!m || !Number.isFinite(percentage) || percentage <= 0 || percentage > 100 || holdSeconds === undefined) {
      throw new UsageError(
        `--steps: step ${i + 1} (${JSON.stringify(part)}) is not PERCENT:HOLD, e.g. 5:60 or 5:10m (a percentage above 0 and at most 100)`,
        usage,
      );
    }
    return { percentage, holdSeconds };
  });
}

/**
 * `error_rate:gt:0.05:rollback`. Read from the right, so a metric name may itself contain colons
 * (`http:5xx:ratio:gt:0.01:pause`).
 */
export function parseGuard(text: string, usage: string): RampGuard {
  const parts = text.split(':');
  const action = parts.pop();
  const threshold = Number(parts.pop());
  const comparator = parts.pop();
  const metric = parts.join(':');
  if (
    metric === '' ||
    (comparator !== 'gt' && comparator !== 'lt') ||
    !Number.isFinite(threshold) ||
    (action !== 'pause' && action !== 'rollback')
  ) {
    throw new UsageError(
      `--guard must be METRIC:gt|lt:THRESHOLD:pause|rollback, e.g. error_rate:gt:0.05:rollback, not ${JSON.stringify(text)}`,
      usage,
    );
  }
  return { metric, comparator, threshold, action };
}

/** `--guard-metric errors --direction lower --min-effect 0.1 --action rollback`: a metric guard. */
export function parseMetricGuard(ctx: Context): MetricGuard | undefined {
  const metric = ctx.opts['guard-metric'];
  const { direction, action } = ctx.opts;
  const minEffectText = ctx.opts['min-effect'];
  if (metric === undefined) {
    if (direction !== undefined || action !== undefined || minEffectText !== undefined) {
      throw new UsageError('--direction, --min-effect and --action go with --guard-metric', ctx.usage);
    }
    return undefined;
  }
  if (ctx.opts.guard !== undefined) throw new UsageError('a ramp has one guard: --guard or --guard-metric, not both', ctx.usage);
  if (direction !== 'lower' && direction !== 'higher') {
    throw new UsageError('--direction is lower (errors, latency: lower is better) or higher (conversions)', ctx.usage);
  }
  const minEffect = minEffectText === undefined ? 0.1 : Number(minEffectText);
  if (!Number.isFinite(minEffect) || minEffect <= 0) {
    throw new UsageError(`--min-effect is a relative change above 0 (0.1 is 10%), not ${JSON.stringify(minEffectText)}`, ctx.usage);
  }
  if (action !== undefined && action !== 'pause' && action !== 'rollback') {
    throw new UsageError(`--action is pause or rollback, not ${JSON.stringify(action)}`, ctx.usage);
  }
  return { kind: 'metric', metric, direction: `${direction}_is_better`, minEffect, action: action ?? 'pause' };
}

const percent = (v: number | null) => (v === null ? 'unbounded' : `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`);

function guardText(g: RampGuard): string {
  if (g.kind === 'metric') {
    return `${g.action} when ${g.metric} is ${g.direction === 'lower_is_better' ? 'higher' : 'lower'} by more than ${percent(g.minEffect).slice(1)} than without the rule`;
  }
  return `${g.action} when ${g.metric} ${g.comparator === 'gt' ? '>' : '<'} ${g.threshold}`;
}

function stepText(ramp: RampView): string {
  const step = ramp.steps[ramp.currentStep];
  return step ? `${ramp.currentStep + 1}/${ramp.steps.length} (${step.percentage}%)` : `0/${ramp.steps.length}`;
}

function printRamp(ctx: Context, ramp: RampView): void {
  ctx.out.line(`ramp ${ramp.id}: ${ramp.state}`);
  ctx.out.line(`  ${ramp.flag} in ${ramp.environment}, rule ${ramp.ruleId}; step ${stepText(ramp)}`);
  ctx.out.line(`  steps: ${ramp.steps.map((s) => `${s.percentage}% for ${formatDuration(s.holdSeconds)}`).join(', ')}`);
  if (ramp.guard) ctx.out.line(`  guard: ${guardText(ramp.guard)}`);
  if (ramp.nextStepAt) ctx.out.line(`  next step at ${formatTime(ramp.nextStepAt)}`);
  if (ramp.reason) ctx.out.line(`  reason: ${ramp.reason}`);
}

function report(ctx: Context, ramp: RampView): void {
  if (ctx.json) ctx.out.json(ramp);
  else printRamp(ctx, ramp);
}

async function start(ctx: Context): Promise<void> {
  const [flag = ''] = ctx.args;
  const environment = requireEnv(ctx);
  const ruleId = requireOption(ctx, 'rule');
  const steps = parseSteps(requireOption(ctx, 'steps'), ctx.usage);
  const guard = parseMetricGuard(ctx) ?? (ctx.opts.guard !== undefined ? parseGuard(ctx.opts.guard, ctx.usage) : undefined);
  const plan = await ctx.client.post<RampView>('/api/admin/ramps', { flag, environment, ruleId, steps, ...(guard ? { guard } : {}) });
  let started: RampView;
  try {
    started = await ctx.client.post<RampView>(apiPath`/api/admin/ramps/${plan.id}/start`);
  } catch (err) {
    // The plan exists now; say which, so it can be inspected or aborted rather than left behind unseen.
    if (err instanceof ApiError) {
      throw new CliError(`ramp ${plan.id} was created but did not start: ${err.message}`, err.code, err.details);
    }
    throw err;
  }
  report(ctx, started);
}

async function guard(ctx: Context): Promise<void> {
  const [id = ''] = ctx.args;
  const view = await ctx.client.get<{ ramp: RampView; metrics: GuardMetricView[] }>(apiPath`/api/admin/ramps/${id}/guard`);
  if (ctx.json) {
    ctx.out.json(view);
    return;
  }
  printRamp(ctx, view.ramp);
  if (view.metrics.length === 0) ctx.out.line('  (no metric guard)');
  for (const m of view.metrics) {
    const interval = m.interval ? `${percent(m.interval.lower)} to ${percent(m.interval.upper)}` : 'none yet';
    ctx.out.line(`  ${m.metric}: ${m.decision}; estimate ${percent(m.estimate)}, ${(1 - m.alpha) * 100}% interval ${interval}`);
    ctx.out.line(
      `  events: ${m.treatmentEvents} with the new result, ${m.controlEvents} without${m.since ? ` since ${formatTime(m.since)}` : ''}`,
    );
  }
}

async function list(ctx: Context): Promise<void> {
  const ramps = await allPages<RampView>(ctx.client, '/api/admin/ramps', 'ramps', { flag: ctx.opts.flag, environment: ctx.opts.env });
  if (ctx.json) {
    ctx.out.json({ ramps });
    return;
  }
  if (ramps.length === 0) {
    ctx.out.line('No ramps.');
    return;
  }
  ctx.out.line(
    table(
      ['ID', 'FLAG', 'ENVIRONMENT', 'RULE', 'STATE', 'STEP', 'NEXT STEP'],
      ramps.map((r) => [r.id, r.flag, r.environment, r.ruleId, r.state, stepText(r), formatTime(r.nextStepAt)]),
    ),
  );
}

function transition(verb: 'pause' | 'resume') {
  return async (ctx: Context): Promise<void> => {
    const [id = ''] = ctx.args;
    report(ctx, await ctx.client.post<RampView>(apiPath`/api/admin/ramps/${id}/${verb}`));
  };
}

async function abort(ctx: Context): Promise<void> {
  const [id = ''] = ctx.args;
  const to = ctx.opts.to;
  if (to !== undefined && to !== 'previous' && to !== 'zero') {
    throw new UsageError(`--to is previous (the percentage before the ramp) or zero, not ${JSON.stringify(to)}`, ctx.usage);
  }
  report(ctx, await ctx.client.post<RampView>(apiPath`/api/admin/ramps/${id}/abort`, to !== undefined ? { to } : {}));
}

export const rampCommands: CommandSpec[] = [
  {
    words: ['ramps', 'start'],
    args: ['KEY'],
    synopsis:
      'KEY -e ENV --rule RULE_ID --steps P:HOLD,... [--guard METRIC:gt|lt:THRESHOLD:pause|rollback |\n' +
      '    --guard-metric EVENT --direction lower|higher [--min-effect 0.1] [--action pause|rollback]] [--json]',
    summary:
      "Creates a ramp of one rule's rollout and starts it: e.g. --steps 1:1h,5:1h,25:0 holds 1% for an hour,\n" +
      'then 5% for an hour, then stays at 25%. Holds are seconds, or with a unit (s, m, h, d).\n' +
      'A guard pauses or rolls the ramp back when a reported metric crosses the threshold (--guard), or when\n' +
      'an event the SDKs track() is more frequent (--direction lower) or rarer (higher) with the new result\n' +
      'than without it, by more than --min-effect (relative, default 0.1), with 95% confidence (--guard-metric).',
    options: ['env', 'rule', 'steps', 'guard', 'guard-metric', 'direction', 'min-effect', 'action'],
    run: start,
  },
  {
    words: ['ramps', 'list'],
    args: [],
    synopsis: '[--flag KEY] [-e ENV] [--json]',
    summary: 'Lists ramps, optionally of one flag or environment.',
    options: ['flag', 'env'],
    run: list,
  },
  {
    words: ['ramps', 'guard'],
    args: ['ID'],
    synopsis: 'ID [--json]',
    summary: "Shows a ramp's metric guard: the estimate, its always-valid interval and the decision so far.",
    options: [],
    run: guard,
  },
  {
    words: ['ramps', 'pause'],
    args: ['ID'],
    synopsis: 'ID [--json]',
    summary: 'Pauses a running ramp at its current step.',
    options: [],
    run: transition('pause'),
  },
  {
    words: ['ramps', 'resume'],
    args: ['ID'],
    synopsis: 'ID [--json]',
    summary: 'Resumes a paused ramp.',
    options: [],
    run: transition('resume'),
  },
  {
    words: ['ramps', 'abort'],
    args: ['ID'],
    synopsis: 'ID [--to previous|zero] [--json]',
    summary: "Stops a ramp and sets the rule's rollout back to what it was before (previous, the default) or to 0%.",
    options: ['to'],
    run: abort,
  },
];
