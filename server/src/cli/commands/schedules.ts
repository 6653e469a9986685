import { type CommandSpec, type Context, requireEnv, requireOption } from '../command.ts';
import { UsageError } from '../errors.ts';
import { apiPath } from '../http.ts';
import { formatTime, table } from '../output.ts';
import { allPages } from '../pages.ts';
import { readJsonFile } from './files.ts';

interface ScheduleView {
  id: string;
  flag: string;
  environment: string;
  patch: { enabled?: boolean; rules?: unknown[] };
  runAt: string;
  state: string;
  appliedAt: string | null;
  error: string | null;
}

/** An explicit offset is required: `10:00` means a different instant on a laptop and on a CI runner. */
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;

function parseAt(text: string, usage: string): string {
  const time = new Date(text);
  if (!ZONED_TIME.test(text) || Number.isNaN(time.getTime())) {
    throw new UsageError(
      `--at must be an ISO 8601 time with a zone, e.g. 2030-01-31T09:00:00Z or 2030-01-31T10:00+01:00, not ${JSON.stringify(text)}`,
      usage,
    );
  }
  return time.toISOString();
}

/** A rules file is a list of rules, or anything with a `rules` list (a `flags show --json` environment). */
function rulesOf(value: unknown, file: string, usage: string): unknown[] {
  if (Array.isArray(value)) return value;
  const rules = (value as { rules?: unknown } | null)?.rules;
  if (Array.isArray(rules)) return rules;
  throw new UsageError(`${file} holds neither a JSON array of rules nor an object with a "rules" array`, usage);
}

function describePatch(patch: ScheduleView['patch']): string {
  const parts: string[] = [];
  if (patch.enabled !== undefined) parts.push(patch.enabled ? 'enable' : 'disable');
  if (patch.rules !== undefined) parts.push(`set ${patch.rules.length} rule${patch.rules.length === 1 ? '' : 's'}`);
  for (const k of Object.keys(patch)) if (k !== 'enabled' && k !== 'rules') parts.push(`set ${k}`);
  return parts.join(', ');
}

async function create(ctx: Context): Promise<void> {
  const [key = ''] = ctx.args;
  const env = requireEnv(ctx);
  const at = parseAt(requireOption(ctx, 'at'), ctx.usage);
  const { enable, disable } = ctx.opts;
  const rulesFile = ctx.opts['rules-file'];
  if (enable && disable) throw new UsageError('--enable and --disable exclude each other', ctx.usage);
  if (!enable && !disable && rulesFile === undefined)
    throw new UsageError('say what to change: --enable, --disable or --rules-file', ctx.usage);
  const patch: ScheduleView['patch'] = {};
  if (enable || disable) patch.enabled = enable === true;
  if (rulesFile !== undefined) patch.rules = rulesOf(await readJsonFile(rulesFile), rulesFile, ctx.usage);

  const created = await ctx.client.post<ScheduleView>(apiPath`/api/admin/flags/${key}/environments/${env}/schedule`, { at, patch });
  if (ctx.json) ctx.out.json(created);
  else
    ctx.out.line(
      `scheduled ${created.id}: ${describePatch(created.patch)} ${created.flag} in ${created.environment} at ${formatTime(created.runAt)}`,
    );
}

async function list(ctx: Context): Promise<void> {
  const schedules = await allPages<ScheduleView>(ctx.client, '/api/admin/schedules', 'schedules', {
    flag: ctx.opts.flag,
    environment: ctx.opts.env,
  });
  if (ctx.json) {
    ctx.out.json({ schedules });
    return;
  }
  if (schedules.length === 0) {
    ctx.out.line('No scheduled changes.');
    return;
  }
  ctx.out.line(
    table(
      ['ID', 'FLAG', 'ENVIRONMENT', 'AT', 'CHANGE', 'STATE'],
      schedules.map((s) => [
        s.id,
        s.flag,
        s.environment,
        formatTime(s.runAt),
        describePatch(s.patch),
        s.error ? `${s.state}: ${s.error}` : s.state,
      ]),
    ),
  );
}

async function cancel(ctx: Context): Promise<void> {
  const [id = ''] = ctx.args;
  const cancelled = await ctx.client.delete<ScheduleView>(apiPath`/api/admin/schedules/${id}`);
  if (ctx.json) ctx.out.json(cancelled);
  else
    ctx.out.line(
      `cancelled ${cancelled.id}: ${describePatch(cancelled.patch)} ${cancelled.flag} in ${cancelled.environment} at ${formatTime(cancelled.runAt)}`,
    );
}

export const scheduleCommands: CommandSpec[] = [
  {
    words: ['schedule'],
    args: ['KEY'],
    synopsis: 'KEY -e ENV --at TIME (--enable | --disable | --rules-file FILE) [--json]',
    summary:
      'Schedules a change of the flag in ENV at TIME (ISO 8601 with a zone, e.g. 2030-01-31T09:00:00Z).\n' +
      'FILE is JSON: an array of rules, or an object with a "rules" array (as `flags show -e ENV --json` prints under "environment").',
    options: ['env', 'at', 'enable', 'disable', 'rules-file'],
    run: create,
  },
  {
    words: ['schedules', 'list'],
    args: [],
    synopsis: '[--flag KEY] [-e ENV] [--json]',
    summary: 'Lists scheduled changes: pending, applied, cancelled and failed.',
    options: ['flag', 'env'],
    run: list,
  },
  {
    words: ['schedules', 'cancel'],
    args: ['ID'],
    synopsis: 'ID [--json]',
    summary: 'Cancels a pending scheduled change.',
    options: [],
    run: cancel,
  },
];
