import type { CommandSpec, Context } from '../command.ts';
import { UsageError } from '../errors.ts';
import { apiPath } from '../http.ts';
import { formatTime, sanitizeInline, table } from '../output.ts';
import { allPages } from '../pages.ts';

/** What the server answers for a change request (`GET /api/admin/change-requests/:id`). */
interface ChangeRequestView {
  id: string;
  environment: string;
  title: string;
  reason: string;
  change: { kind: string; flagKey?: string; segmentKey?: string; rampId?: string; baseVersion?: number };
  state: string;
  author: { id: string; name: string };
  createdAt: string;
  version: number;
  approvals: number;
  requiredApprovals: number;
  conflict: boolean;
  appliedAt?: string;
  appliedBy?: string;
  resultVersion?: number;
  reviews?: Array<{ reviewer: { name: string }; decision: string; comment: string; createdAt: string }>;
}

const STATES = ['open', 'approved', 'changes_requested', 'rejected', 'applied', 'withdrawn'];
const VIEWS = ['mine', 'to-review', 'all'];

function target(cr: ChangeRequestView): string {
  const c = cr.change;
  const what = c.flagKey ? `flag ${c.flagKey}` : c.segmentKey ? `segment ${c.segmentKey}` : c.rampId ? `ramp ${c.rampId}` : '';
  return `${c.kind} ${what}`.trim();
}

function print(ctx: Context, cr: ChangeRequestView): void {
  if (ctx.json) {
    ctx.out.json(cr);
    return;
  }
  ctx.out.line(`change request ${cr.id}: ${cr.state}${cr.conflict ? ' (CONFLICT: the target moved; the author rebases it)' : ''}`);
  ctx.out.line(`  ${sanitizeInline(cr.title)} — ${target(cr)} in ${cr.environment}`);
  if (cr.reason) ctx.out.line(`  reason: ${sanitizeInline(cr.reason)}`);
  ctx.out.line(`  by ${sanitizeInline(cr.author.name)} at ${formatTime(cr.createdAt)}; approvals ${cr.approvals}/${cr.requiredApprovals}`);
  if (cr.appliedAt)
    ctx.out.line(`  applied by ${sanitizeInline(cr.appliedBy ?? '')} at ${formatTime(cr.appliedAt)} (version ${cr.resultVersion ?? '-'})`);
  for (const r of cr.reviews ?? []) {
    ctx.out.line(
      `  - ${sanitizeInline(r.reviewer.name)} ${r.decision}${r.comment ? `: ${sanitizeInline(r.comment)}` : ''} (${formatTime(r.createdAt)})`,
    );
  }
}

async function list(ctx: Context): Promise<void> {
  const { state, view } = ctx.opts;
  if (state !== undefined && !STATES.includes(state)) throw new UsageError(`--state is one of ${STATES.join(', ')}`, ctx.usage);
  if (view !== undefined && !VIEWS.includes(view)) throw new UsageError(`--view is one of ${VIEWS.join(', ')}`, ctx.usage);
  const items = await allPages<ChangeRequestView>(ctx.client, '/api/admin/change-requests', 'items', {
    environment: ctx.opts.env,
    state,
    view,
    flag: ctx.opts.flag,
  });
  if (ctx.json) {
    ctx.out.json({ items });
    return;
  }
  if (items.length === 0) {
    ctx.out.line('No change requests.');
    return;
  }
  ctx.out.line(
    table(
      ['ID', 'ENVIRONMENT', 'STATE', 'APPROVALS', 'AUTHOR', 'TARGET', 'TITLE'],
      items.map((cr) => [
        cr.id,
        cr.environment,
        cr.conflict ? `${cr.state} (conflict)` : cr.state,
        `${cr.approvals}/${cr.requiredApprovals}`,
        cr.author.name,
        target(cr),
        cr.title,
      ]),
    ),
  );
}

async function show(ctx: Context): Promise<void> {
  const [id = ''] = ctx.args;
  print(ctx, await ctx.client.get<ChangeRequestView>(apiPath`/api/admin/change-requests/${id}`));
}

function review(decision: 'approve' | 'reject') {
  return async (ctx: Context): Promise<void> => {
    const [id = ''] = ctx.args;
    const body = { decision, ...(ctx.opts.comment !== undefined ? { comment: ctx.opts.comment } : {}) };
    print(ctx, await ctx.client.post<ChangeRequestView>(apiPath`/api/admin/change-requests/${id}/reviews`, body));
  };
}

/** Applies the request as it is now (its current version), once; a freeze needs an admin's --override. */
async function apply(ctx: Context): Promise<void> {
  const [id = ''] = ctx.args;
  const current = await ctx.client.get<ChangeRequestView>(apiPath`/api/admin/change-requests/${id}`);
  const headers = ctx.opts.override !== undefined ? { 'x-freeze-override': ctx.opts.override } : undefined;
  const res = await ctx.client.request<ChangeRequestView>('POST', apiPath`/api/admin/change-requests/${id}/apply`, {
    body: { version: current.version },
    ...(headers ? { headers } : {}),
  });
  print(ctx, res.body);
}

export const changeCommands: CommandSpec[] = [
  {
    words: ['changes', 'list'],
    args: [],
    synopsis: '[-e ENV] [--state STATE] [--view mine|to-review|all] [--flag KEY] [--json]',
    summary: 'Lists change requests, newest first: writes proposed to environments that need approvals.',
    options: ['env', 'state', 'view', 'flag'],
    run: list,
  },
  {
    words: ['changes', 'show'],
    args: ['ID'],
    synopsis: 'ID [--json]',
    summary: 'Shows a change request: what it changes, its state, approvals and reviews.',
    options: [],
    run: show,
  },
  {
    words: ['changes', 'approve'],
    args: ['ID'],
    synopsis: 'ID [--comment TEXT] [--json]',
    summary: 'Approves a change request (not your own).',
    options: ['comment'],
    run: review('approve'),
  },
  {
    words: ['changes', 'reject'],
    args: ['ID'],
    synopsis: 'ID [--comment TEXT] [--json]',
    summary: 'Rejects a change request; it can no longer be applied.',
    options: ['comment'],
    run: review('reject'),
  },
  {
    words: ['changes', 'apply'],
    args: ['ID'],
    synopsis: 'ID [--override JUSTIFICATION] [--json]',
    summary:
      'Applies an approved change request, exactly once. During a freeze window an admin may apply it anyway\n' +
      'with --override and a justification of 10 characters or more, which is written to the audit log.',
    options: ['override'],
    run: apply,
  },
];
