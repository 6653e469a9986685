import type { CommandSpec, Context } from '../command.ts';
import { requireEnv } from '../command.ts';
import { UsageError } from '../errors.ts';
import { onOff, table } from '../output.ts';

interface PlaygroundResult {
  flag: string;
  name: string;
  enabled: boolean;
  reason: string;
  rule: { id: string; index: number; description?: string } | null;
  variant: { name: string; enabled: boolean; payload?: { type: string; value: string } };
  errorCode?: string;
}

interface EvaluateResponse {
  environment: string;
  revision: number;
  evaluatedAt: string;
  results: PlaygroundResult[];
}

const KNOWN = new Set(['userId', 'sessionId', 'remoteAddress', 'appName', 'currentTime']);

/**
 * `--context` as one flat JSON object, as people write it (`{"userId":"u1","country":"DE"}`): the
 * known fields stay fields (`targetingKey` is taken for userId, as in OpenFeature), anything else
 * becomes a property; a `properties` object is merged in as well.
 */
export function contextFromJson(raw: string, usage: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UsageError('--context must be a JSON object, e.g. \'{"userId":"u1","country":"DE"}\'', usage);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError('--context must be a JSON object', usage);
  const context: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (k === 'properties' && typeof v === 'object' && v !== null && !Array.isArray(v)) Object.assign(properties, v);
    else if (k === 'targetingKey') context.userId = v;
    else if (KNOWN.has(k)) context[k] = v;
    else properties[k] = v;
  }
  if (Object.keys(properties).length > 0) context.properties = properties;
  return context;
}

function ruleText(r: PlaygroundResult): string {
  if (!r.rule) return '';
  return `rule ${r.rule.index}${r.rule.description ? `: ${r.rule.description}` : ''}`;
}

async function run(ctx: Context): Promise<void> {
  const environment = requireEnv(ctx);
  const context = contextFromJson(ctx.opts.context ?? '{}', ctx.usage);
  const body = { environment, context, ...(ctx.opts.flag ? { flags: [ctx.opts.flag] } : {}) };
  const answer = await ctx.client.post<EvaluateResponse>('/api/admin/evaluate', body);
  if (ctx.json) {
    ctx.out.json(answer);
    return;
  }
  ctx.out.line(`${answer.environment} at revision ${answer.revision}, for ${JSON.stringify(context)}:`);
  if (answer.results.length === 0) {
    ctx.out.line('No flags.');
    return;
  }
  ctx.out.line(
    table(
      ['FLAG', 'RESULT', 'VARIANT', 'REASON', 'DECIDED BY'],
      answer.results.map((r) => [
        r.flag,
        onOff(r.enabled),
        r.variant.name,
        r.errorCode ? `${r.reason} (${r.errorCode})` : r.reason,
        ruleText(r),
      ]),
    ),
  );
}

export const evaluateCommands: CommandSpec[] = [
  {
    words: ['evaluate'],
    args: [],
    synopsis: '-e ENV [--context \'{"userId":"u1","country":"DE"}\'] [--flag KEY]',
    summary:
      'What a user gets in an environment, and why: every flag (or one, with --flag) evaluated on the server for the context, with the reason and the rule that decided. The context is flat JSON: userId (or targetingKey), sessionId, remoteAddress, appName, currentTime, and any other key as a property.',
    options: ['env', 'context', 'flag'],
    run,
  },
];
