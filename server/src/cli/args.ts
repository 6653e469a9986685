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
  'guard-metric': { type: 'string' },
  direction: { type: 'string' },
  'min-effect': { type: 'string' },
  action: { type: 'string' },
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
    throw new UsageError(dashValueMessage(err, argv) ?? (err as Error).message, usageFor(positionals));
  }
}

/**
 * parseArgs refuses `--min-effect -1` (the value could be an option) in three lines of its own that
 * suggest `--min-effect=-XYZ`; said here in one line with the value given, or, when what follows
 * is one of our options, as the missing value it probably is. Undefined for other errors.
 */
function dashValueMessage(err: unknown, argv: readonly string[]): string | undefined {
  if ((err as { code?: unknown }).code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return undefined;
  const token = /^Option '(-{1,2}[^']+)' argument is ambiguous/.exec((err as Error).message)?.[1];
  if (token === undefined) return undefined;
  const name = token.startsWith('--')
    ? token.slice(2)
    : Object.entries(OPTIONS).find(([, o]) => (o as { short?: string }).short === token.slice(1))?.[0];
  if (name === undefined || !(name in OPTIONS)) return undefined;
  // The first place the option is followed by a dash word, as parseArgs reads left to right
  // (short options grouped as in `-je` are not looked into).
  const at = argv.findIndex((word, i) => word === token && argv[i + 1]?.startsWith('-'));
  const value = at < 0 ? undefined : argv[at + 1];
  if (value === undefined) return `${token}: a value starting with "-" goes after "=", as in --${name}=-1`;
  if (isOption(value)) return `${optionLabel(name as OptionName)} needs a value, but ${value} follows it`;
  return `${token} ${value}: a value starting with "-" goes after "=", as in --${name}=${value}`;
}

/** `--json`, `--json=x`, `-h`: one of our options, rather than a value that starts with a dash. */
function isOption(word: string): boolean {
  if (word.startsWith('--')) return (word.slice(2).split('=')[0] as string) in OPTIONS;
  return word.length === 2 && Object.values(OPTIONS).some((o) => (o as { short?: string }).short === word[1]);
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
