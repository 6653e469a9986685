import { type OptionName, type OptionValues, optionLabel } from './args.ts';
import { UsageError } from './errors.ts';
import type { ApiClient } from './http.ts';
import type { Output } from './output.ts';

/** What a command runs with: the API, where to print, and its own part of the command line. */
export interface Context {
  client: ApiClient;
  out: Output;
  opts: OptionValues;
  /** The positional arguments after the command's words (`KEY`, `ID`, `FILE`). */
  args: string[];
  json: boolean;
  /** This command's usage, for usage errors found while it runs. */
  usage: string;
}

export interface CommandSpec {
  /** The words that name it: `['flags', 'list']`, `['export']`. */
  words: readonly string[];
  /** Its positional arguments, all required, e.g. `['KEY']`. */
  args: readonly string[];
  /** The synopsis after the command's words, e.g. `KEY -e ENV [--retry]`. */
  synopsis: string;
  summary: string;
  /** Options it takes besides the global ones. */
  options: readonly OptionName[];
  run(ctx: Context): Promise<void>;
}

export function usageOf(spec: CommandSpec): string {
  return `usage: switchboard ${spec.words.join(' ')}${spec.synopsis ? ` ${spec.synopsis}` : ''}\n\n${spec.summary}`;
}

export function requireOption(ctx: Context, name: OptionName): string {
  const value = ctx.opts[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`${optionLabel(name)} is required`, ctx.usage);
  return value;
}

/** The environment a command acts on: `--env`/`-e`, required for every write to a flag's config. */
export function requireEnv(ctx: Context): string {
  return requireOption(ctx, 'env');
}
