import { numberOption } from '../args.ts';
import { type CommandSpec, type Context, requireEnv, requireOption } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { apiPath } from '../http.ts';
import { describeRule, describeVariants, formatTime, onOff, table } from '../output.ts';
import { allPages } from '../pages.ts';
import type { Environment, FlagEnvironmentView, FlagView, Rollout } from '../types.ts';
import { changeConfig, readConfig } from './config-change.ts';

function allFlags(ctx: Context, filter: { tag?: string | undefined; q?: string | undefined }): Promise<FlagView[]> {
  return allPages<FlagView>(ctx.client, '/api/admin/flags', 'flags', filter);
}

export async function environments(ctx: Context): Promise<Environment[]> {
  return (await ctx.client.get<{ environments: Environment[] }>('/api/admin/environments')).environments;
}

/** A typo in `--env` should fail loudly, not print a column of dashes. */
export function checkEnvironment(known: readonly Environment[], env: string | undefined): void {
  if (env !== undefined && !known.some((e) => e.key === env)) {
    throw new CliError(`Environment ${env} not found (there are: ${known.map((e) => e.key).join(', ')})`, 'NOT_FOUND');
  }
}

/** Environments in the server's order (development, staging, production), unknown ones last. */
function order(known: readonly Environment[], key: string): number {
  const i = known.findIndex((e) => e.key === key);
  return i === -1 ? known.length : i;
}

function lastChanged(flag: FlagView, envs: readonly string[]): string {
  const times = [flag.updatedAt, ...envs.map((e) => flag.environments[e]?.updatedAt)].filter((t): t is string => t !== undefined);
  // ISO 8601 UTC timestamps of one format sort as text in time order.
  return times.sort().at(-1) ?? flag.updatedAt;
}

async function list(ctx: Context): Promise<void> {
  const env = ctx.opts.env;
  const [flags, known] = await Promise.all([allFlags(ctx, { tag: ctx.opts.tag, q: ctx.opts.search }), environments(ctx)]);
  checkEnvironment(known, env);
  if (ctx.json) {
    ctx.out.json({ flags, total: flags.length });
    return;
  }
  if (flags.length === 0) {
    ctx.out.line('No flags.');
    return;
  }
  const shown = env !== undefined ? [env] : known.map((e) => e.key);
  ctx.out.line(
    table(
      ['KEY', 'NAME', ...shown.map((e) => e.toUpperCase()), 'LAST CHANGED'],
      flags.map((f) => [f.key, f.name, ...shown.map((e) => onOff(f.environments[e]?.enabled)), formatTime(lastChanged(f, shown))]),
    ),
  );
}

function printConfig(ctx: Context, config: FlagEnvironmentView): void {
  ctx.out.line(`${config.environment}: ${onOff(config.enabled)}, version ${config.version}, changed ${formatTime(config.updatedAt)}`);
  if (config.rules.length === 0) {
    ctx.out.line(config.enabled ? '  no rules: on for everyone' : '  no rules');
  } else {
    ctx.out.line('  rules (the first that matches decides; no match is off):');
    config.rules.forEach((r, i) => {
      ctx.out.line(`  ${i + 1}. ${r.id}  ${describeRule(r)}`);
    });
  }
  if (config.variants.length > 0) ctx.out.line(`  variants: ${describeVariants(config.variants)}`);
  for (const d of config.dependencies) {
    const wants = d.variants?.length ? `variant ${d.variants.join(', ')}` : d.enabled === false ? 'off' : 'on';
    ctx.out.line(`  requires ${d.flag} ${wants}`);
  }
}

async function show(ctx: Context): Promise<void> {
  const [key = ''] = ctx.args;
  const env = ctx.opts.env;
  // The flag first, so an unknown key is reported as such rather than as "not in ENV".
  const flag = await ctx.client.get<FlagView>(apiPath`/api/admin/flags/${key}`);
  const known = await environments(ctx);
  checkEnvironment(known, env);
  const config = env !== undefined ? await readConfig(ctx, key, env) : null;
  if (ctx.json) {
    ctx.out.json({ flag, environment: config });
    return;
  }
  ctx.out.line(`${flag.key}  ${flag.name}${flag.archived ? '  (archived)' : ''}`);
  if (flag.description) ctx.out.line(`  ${flag.description}`);
  ctx.out.line(
    `  kind ${flag.kind}; tags ${flag.tags.length > 0 ? flag.tags.join(', ') : '-'}; ${flag.clientVisible ? 'visible to client SDKs' : 'server SDKs only'}; version ${flag.version}`,
  );
  ctx.out.line();
  ctx.out.line(
    table(
      ['ENVIRONMENT', 'STATE', 'RULES', 'VERSION', 'LAST CHANGED', 'LAST EVALUATED'],
      Object.entries(flag.environments)
        .sort(([a], [b]) => order(known, a) - order(known, b))
        .map(([name, e]) => [
          name,
          onOff(e.enabled),
          String(e.ruleCount),
          String(e.version),
          formatTime(e.updatedAt),
          e.lastEvaluatedAt ? formatTime(e.lastEvaluatedAt) : 'never',
        ]),
    ),
  );
  if (config) {
    ctx.out.line();
    printConfig(ctx, config);
  }
}

function setEnabled(enabled: boolean) {
  return async (ctx: Context): Promise<void> => {
    const [key = ''] = ctx.args;
    const env = requireEnv(ctx);
    const { view, changed } = await changeConfig(ctx, key, env, (current) => (current.enabled === enabled ? null : { enabled }));
    if (ctx.json) ctx.out.json(view);
    else if (changed) ctx.out.line(`${key} is now ${onOff(enabled)} in ${env} (version ${view.version})`);
    else ctx.out.line(`${key} was already ${onOff(enabled)} in ${env} (version ${view.version}); nothing changed`);
  };
}

async function rollout(ctx: Context): Promise<void> {
  const [key = ''] = ctx.args;
  const env = requireEnv(ctx);
  const percentage = numberOption('percentage', requireOption(ctx, 'percentage'), 0, 100, ctx.usage);
  const ruleId = ctx.opts.rule;
  const stickiness = ctx.opts.stickiness;
  let target = ruleId;

  const { view, changed } = await changeConfig(ctx, key, env, (current) => {
    const rules = current.rules;
    if (ruleId === undefined) {
      // With no rules there is nothing to choose between; with rules, guessing could widen the wrong audience.
      if (rules.length > 0) {
        throw new UsageError(
          `${key} has rules in ${env}; name the one to change with --rule (${rules.map((r) => r.id).join(', ')})`,
          ctx.usage,
        );
      }
      const created: Rollout = stickiness !== undefined ? { percentage, stickiness } : { percentage };
      return { rules: [{ rollout: created }] };
    }
    const rule = rules.find((r) => r.id === ruleId);
    if (!rule) {
      const ids = rules.length > 0 ? `its rules: ${rules.map((r) => r.id).join(', ')}` : 'it has no rules';
      throw new CliError(`${key} has no rule ${ruleId} in ${env} (${ids})`, 'NOT_FOUND');
    }
    const next: Rollout = { ...rule.rollout, percentage };
    if (stickiness !== undefined) next.stickiness = stickiness;
    if (rule.rollout && rule.rollout.percentage === next.percentage && rule.rollout.stickiness === next.stickiness) return null;
    // The other rules go back exactly as read; only this rule's rollout differs.
    return { rules: rules.map((r) => (r.id === ruleId ? { ...r, rollout: next } : r)) };
  });

  if (target === undefined) target = view.rules[0]?.id;
  if (ctx.json) ctx.out.json(view);
  else if (changed) ctx.out.line(`${key} in ${env}: rule ${target} now rolls out to ${percentage}% (version ${view.version})`);
  else ctx.out.line(`${key} in ${env}: rule ${target} already rolls out to ${percentage}% (version ${view.version}); nothing changed`);
}

const PAYLOAD_TYPES = ['string', 'number', 'json', 'csv'];
const VARIANT_SPEC = /^(?<name>[^=]+?)(?::(?<weight>\d+))?(?:=(?<type>[a-z]+):(?<value>[\s\S]*))?$/;

interface VariantInput {
  name: string;
  weight: number;
  payload?: { type: string; value: string };
}

/** `blue`, `blue:30`, `blue=string:Blue`, `banner-a:1=json:{"title":"A"}`: a variant from the command line. */
export function parseVariant(spec: string, usage: string): VariantInput {
  const m = VARIANT_SPEC.exec(spec);
  const groups = m?.groups;
  if (!groups?.name) {
    throw new UsageError(`--variant ${JSON.stringify(spec)} is not NAME[:WEIGHT][=TYPE:VALUE]`, usage);
  }
  if (spec.includes('=') && groups.type === undefined) {
    throw new UsageError(`--variant ${JSON.stringify(spec)}: a payload is TYPE:VALUE, TYPE one of ${PAYLOAD_TYPES.join(', ')}`, usage);
  }
  const variant: VariantInput = { name: groups.name, weight: groups.weight === undefined ? 1 : Number(groups.weight) };
  if (groups.type !== undefined) {
    if (!PAYLOAD_TYPES.includes(groups.type)) {
      throw new UsageError(`--variant ${JSON.stringify(spec)}: payload type must be one of ${PAYLOAD_TYPES.join(', ')}`, usage);
    }
    const value = groups.value ?? '';
    // The server stores payloads as text; SDKs parse json and number ones, so a bad one would
    // only show up in an application. Caught here instead.
    if (groups.type === 'json') {
      try {
        JSON.parse(value);
      } catch (err) {
        throw new UsageError(`--variant ${groups.name}: the json payload does not parse: ${(err as Error).message}`, usage);
      }
    }
    if (groups.type === 'number' && (value.trim() === '' || !Number.isFinite(Number(value)))) {
      throw new UsageError(`--variant ${groups.name}: the number payload ${JSON.stringify(value)} is not a number`, usage);
    }
    variant.payload = { type: groups.type, value };
  }
  return variant;
}

async function create(ctx: Context): Promise<void> {
  const [key = ''] = ctx.args;
  const variants = (ctx.opts.variant ?? []).map((v) => parseVariant(v, ctx.usage));
  const tags = ctx.opts.tags
    ?.split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const body: Record<string, unknown> = { key, clientVisible: ctx.opts['client-visible'] === true };
  if (ctx.opts.name !== undefined) body.name = ctx.opts.name;
  if (ctx.opts.description !== undefined) body.description = ctx.opts.description;
  if (tags !== undefined) body.tags = tags;
  if (variants.length > 0) {
    body.kind = 'multivariate';
    body.variants = variants;
  }
  const flag = await ctx.client.post<FlagView>('/api/admin/flags', body);
  if (ctx.json) {
    ctx.out.json(flag);
    return;
  }
  const split = variants.length > 0 ? ` with variants ${describeVariants(variants)}` : '';
  ctx.out.line(`created ${flag.key}${split}: off in every environment (switchboard flags enable ${flag.key} -e ENV)`);
  ctx.out.line(
    flag.clientVisible
      ? '  visible to client SDKs (browsers) and server SDKs'
      : '  server SDKs only: browsers (client keys) never see it; pass --client-visible to create it for browsers',
  );
}

export const flagCommands: CommandSpec[] = [
  {
    words: ['flags', 'create'],
    args: ['KEY'],
    synopsis: 'KEY [--name NAME] [--description TEXT] [--tags A,B] [--client-visible] [--variant NAME[:WEIGHT][=TYPE:VALUE]]... [--json]',
    summary:
      'Creates a flag, off in every environment. --client-visible lets browsers (client keys) see it; without it only\n' +
      'server SDKs do. Each --variant adds a variant (weight 1 unless given; payload TYPE string, number, json or csv),\n' +
      'e.g. --variant \'blue:50=json:{"title":"Hi"}\' --variant green:50. Needs editor.',
    options: ['name', 'description', 'tags', 'client-visible', 'variant'],
    run: create,
  },
  {
    words: ['flags', 'list'],
    args: [],
    synopsis: '[-e ENV] [--tag TAG] [--search TEXT] [--json]',
    summary: 'Lists active flags: key, name, on/off in each environment (or only ENV), last change.',
    options: ['env', 'tag', 'search'],
    run: list,
  },
  {
    words: ['flags', 'show'],
    args: ['KEY'],
    synopsis: 'KEY [-e ENV] [--json]',
    summary: 'Shows a flag and its state per environment; with -e, also the rules in that environment.',
    options: ['env'],
    run: show,
  },
  {
    words: ['flags', 'enable'],
    args: ['KEY'],
    synopsis: 'KEY -e ENV [--retry] [--json]',
    summary: 'Turns the flag on in ENV (nothing is written when it already is on).',
    options: ['env', 'retry'],
    run: setEnabled(true),
  },
  {
    words: ['flags', 'disable'],
    args: ['KEY'],
    synopsis: 'KEY -e ENV [--retry] [--json]',
    summary: 'Turns the flag off in ENV (nothing is written when it already is off).',
    options: ['env', 'retry'],
    run: setEnabled(false),
  },
  {
    words: ['flags', 'rollout'],
    args: ['KEY'],
    synopsis: 'KEY -e ENV [--rule RULE_ID] --percentage P [--stickiness ATTR] [--retry] [--json]',
    summary:
      "Sets one rule's rollout percentage (0-100) in ENV; the other rules stay as they are. Without --rule,\n" +
      'a flag with no rules gets one rule rolling out to P% of everyone.',
    options: ['env', 'rule', 'percentage', 'stickiness', 'retry'],
    run: rollout,
  },
];
