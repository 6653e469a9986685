import type { IssueDetail } from './api.ts';

/**
 * Validation issues from the server (`details[].path`, a JSON pointer such as
 * `/rules/0/conditions/1/values/0`) or from the UI's own checks, looked up by the field they concern.
 */
export class Issues {
  constructor(readonly list: IssueDetail[] = []) {}

  get size(): number {
    return this.list.length;
  }

  /** The message for exactly this path and, joined, those below it. */
  at(path: string, options: { below?: boolean } = {}): string | undefined {
    const found = this.list.filter((i) => i.path === path || (options.below !== false && i.path.startsWith(`${path}/`)));
    if (found.length === 0) return undefined;
    return found
      .map((i) => {
        const rest = i.path.slice(path.length);
        const index = /^\/(\d+)$/.exec(rest);
        return index ? `Value ${Number(index[1]) + 1}: ${i.message}` : i.message;
      })
      .join(' · ');
  }

  /** Only the issues at exactly this path. */
  exact(path: string): string | undefined {
    return this.at(path, { below: false });
  }

  has(prefix: string): boolean {
    return this.list.some((i) => i.path === prefix || i.path.startsWith(`${prefix}/`));
  }

  concat(other: Issues | IssueDetail[]): Issues {
    return new Issues([...this.list, ...(other instanceof Issues ? other.list : other)]);
  }
}

export const NO_ISSUES = new Issues();

/** A path in words for the summary at the top of a form: "/rules/0/conditions/1/values/0" → "Rule 1 › condition 2 › value 1". */
export function describePath(path: string): string {
  const parts = path.split('/').filter(Boolean);
  const words: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const next = parts[i + 1];
    const n = next !== undefined && /^\d+$/.test(next) ? Number(next) + 1 : undefined;
    const names: Record<string, string> = {
      rules: 'Rule',
      conditions: 'condition',
      values: 'value',
      variants: 'variant',
      dependencies: 'dependency',
      segments: 'segment',
      overrides: 'override',
    };
    if (names[part] && n !== undefined) {
      words.push(`${names[part]} ${n}`);
      i++;
    } else words.push(part);
  }
  const s = words.join(' › ');
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : 'The request';
}
