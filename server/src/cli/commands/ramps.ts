import { parseDuration } from '../args.ts';
import { type CommandSpec, type Context, requireEnv, requireOption } from '../command.ts';
import { ApiError, CliError, UsageError } from '../errors.ts';
import { apiPath } from '../http.ts';
import { formatDuration, formatTime, table } from '../output.ts';
import { allPages } from '../pages.ts';
import type { RampGuard, RampStep, RampView } from '../types.ts';

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

function stepText(ramp: RampView): string {
  const step = ramp.steps[ramp.currentStep];
  return step ? `${ramp.currentStep + 1}/${ramp.steps.length} (${step.percentage}%)` : `0/${ramp.steps.length}`;
}

function printRamp(ctx: Context, ramp: RampView): void {
  ctx.out.line(`ramp ${ramp.id}: ${ramp.state}`);
  ctx.out.line(`  ${ramp.flag} in ${ramp.environment}, rule ${ramp.ruleId}; step ${stepText(ramp)}`);
  ctx.out.line(`  steps: ${ramp.steps.map((s) => `${s.percentage}% for ${formatDuration(s.holdSeconds)}`).join(', ')}`);
  if (ramp.guard) {
    const g = ramp.guard;
    ctx.out.line(`  guard: ${g.action} when ${g.metric} ${g.comparator === 'gt' ? '>' : '<'} ${g.threshold}`);
  }
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
  const guard = ctx.opts.guard !== undefined ? parseGuard(ctx.opts.guard, ctx.usage) : undefined;
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
    synopsis: 'KEY -e ENV --rule RULE_ID --steps P:HOLD,... [--guard METRIC:gt|lt:THRESHOLD:pause|rollback] [--json]',
    summary:
      "Creates a ramp of one rule's rollout and starts it: e.g. --steps 1:1h,5:1h,25:0 holds 1% for an hour,\n" +
      'then 5% for an hour, then stays at 25%. Holds are seconds, or with a unit (s, m, h, d).\n' +
      'A guard pauses or rolls the ramp back when a reported metric crosses the threshold.',
    options: ['env', 'rule', 'steps', 'guard'],
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
