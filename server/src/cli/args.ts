import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

/**
 * Every option of every command, parsed in one pass; each command then says which of them it takes
 * (`CommandSpec.options`), so a misplaced option is an error rather than silently ignored.
 */
export const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  env: { type: 'string', short: 'e' },
  tag: { type: 'string' },
  search: { type: 'string' },
  rule: { type: 'string' },
  percentage: { type: 'string' },
  stickiness: { type: 'string' },
  retry: { type: 'boolean' },
  steps: { type: 'string' },
  guard: { type: 'string' },
  flag: { type: 'string' },
  to: { type: 'string' },
  at: { type: 'string' },
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
  'rules-file': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'dry-run': { type: 'boolean' },
  'from-env': { type: 'string' },
  kind: { type: 'string' },
  name: { type: 'string' },
  description: { type: 'string' },
  tags: { type: 'string' },
  'client-visible': { type: 'boolean' },
  variant: { type: 'string', multiple: true },
  context: { type: 'string' },
  state: { type: 'string' },
  view: { type: 'string' },
  comment: { type: 'string' },
  override: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export type OptionName = keyof typeof OPTIONS;
export type OptionValues = {
  [K in OptionName]?: (typeof OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof OPTIONS)[K]['type'] extends 'string'
      ? string
      : boolean;
};

/** Options every command takes. */
export const GLOBAL_OPTIONS: readonly OptionName[] = ['url', 'token', 'json', 'help'];

export interface ParsedArgs {
  values: OptionValues;
  positionals: string[];
}

/**
 * Parses the command line; an unknown option or a missing value is a usage error, shown with the
 * usage of the command it was meant for (`usageFor` gets the words that were given).
 */
export function parseCommandLine(argv: readonly string[], usageFor: (positionals: string[]) => string | undefined): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    return { values: values as OptionValues, positionals };
  } catch (err) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes; a lenient pass still finds the command.
    const { positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: false });
    throw new UsageError((err as Error).message, usageFor(positionals));
  }
}

export function optionLabel(name: OptionName): string {
  const short = (OPTIONS[name] as { short?: string }).short;
  return short ? `--${name} (-${short})` : `--${name}`;
}

/** A number option within bounds, or a usage error naming it. */
export function numberOption(name: OptionName, raw: string, min: number, max: number, usage: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, not ${JSON.stringify(raw)}`, usage);
  }
  return value;
}

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/;

/** Seconds from `90`, `90s`, `5m`, `1h30m` or `2d`; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || text.trim() === '') return undefined;
  const [, d = '0', h = '0', min = '0', s = '0'] = m;
  return Number(d) * 86_400 + Number(h) * 3_600 + Number(min) * 60 + Number(s);
}
