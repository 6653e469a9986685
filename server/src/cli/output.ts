import type { Condition, Rule, Variant } from './types.ts';

/** Where results go: stdout for the answer (what a script pipes on), stderr for everything else. */
export interface Output {
  /** Prints a line of human output. */
  line(text?: string): void;
  /** Prints a value as JSON, the `--json` output. */
  json(value: unknown): void;
  /** Progress and warnings, kept off stdout so `--json` output stays parseable. */
  note(text: string): void;
}

/**
 * Terminal controls: C0 (ESC, BEL, CR, backspace...), DEL, C1 (0x9b is CSI on some terminals) and
 * the bidirectional overrides that make text read differently than it is. Names, descriptions and
 * error messages come from the server, which anyone with editor rights writes to; printed raw, an
 * ESC sequence could retitle the terminal, hide lines or forge output in a CI log.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS_AND_BREAKS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Text for the terminal: line breaks and tabs kept, every other control character removed. */
export function sanitize(text: string): string {
  return text.replace(CONTROLS, '');
}

/** One table cell or inline value: breaks and tabs become spaces, so a name cannot forge a row. */
export function sanitizeInline(text: string): string {
  return text.replace(CONTROLS_AND_BREAKS, (c) => (c === '\n' || c === '\t' || c === '\r' ? ' ' : ''));
}

/** JSON escapes C0 itself; C1 and the bidi controls are escaped here, so the output stays valid JSON. */
function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function processOutput(): Output {
  return {
    line: (text = '') => process.stdout.write(`${sanitize(text)}\n`),
    json: (value) => process.stdout.write(`${safeJson(value)}\n`),
    note: (text) => process.stderr.write(`${sanitize(text)}\n`),
  };
}

/** Left-aligned columns two spaces apart; no colours or box drawing, so CI logs stay readable. */
export function table(headers: readonly string[], rawRows: ReadonlyArray<readonly string[]>): string {
  const rows = rawRows.map((r) => r.map(sanitizeInline));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [format(headers), ...rows.map(format)].join('\n');
}

/** `2025-11-26 14:02:11Z`: UTC, to the second, the same on every runner whatever its time zone. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function onOff(enabled: boolean | undefined): string {
  if (enabled === undefined) return '-';
  return enabled ? 'on' : 'off';
}

/** `90`, `5m`, `1h30m`: hold times as people write them. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

function describeCondition(c: Condition): string {
  const values = c.values.length > 5 ? `${c.values.slice(0, 5).join(', ')}, ... (${c.values.length} values)` : c.values.join(', ');
  return `${c.attribute} ${c.inverted ? 'NOT ' : ''}${c.operator} ${values}${c.caseInsensitive ? ' (any case)' : ''}`;
}

export function describeVariants(variants: readonly Variant[]): string {
  return variants.map((v) => `${v.name}=${v.weight}`).join(', ');
}

/** One line per rule: who it matches, then how much of them get the flag. */
export function describeRule(rule: Rule): string {
  const who: string[] = [];
  if (rule.segments?.length) who.push(`segment ${rule.segments.join(', ')}`);
  for (const c of rule.conditions ?? []) who.push(describeCondition(c));
  let text = who.length > 0 ? who.join(' AND ') : 'everyone';
  if (rule.rollout) {
    text += ` -> ${rule.rollout.percentage}%`;
    if (rule.rollout.stickiness) text += ` by ${rule.rollout.stickiness}`;
  } else {
    text += ' -> 100%';
  }
  if (rule.variants?.length) text += `; variants ${describeVariants(rule.variants)}`;
  if (rule.description) text += `  # ${rule.description}`;
  return sanitizeInline(text);
}

/** Error details as lines: validation issues by JSON path, anything else as compact JSON. */
export function describeDetails(details: unknown): string[] {
  return detailLines(details).map(sanitizeInline);
}

function detailLines(details: unknown): string[] {
  if (details === undefined || details === null) return [];
  if (Array.isArray(details)) {
    return details.map((d) => {
      if (d && typeof d === 'object') {
        const { path, message, code } = d as { path?: unknown; message?: unknown; code?: unknown };
        if (typeof message === 'string') {
          const where = typeof path === 'string' && path !== '' ? `${path}: ` : '';
          return `${where}${message}${typeof code === 'string' ? ` (${code})` : ''}`;
        }
      }
      return JSON.stringify(d);
    });
  }
  if (typeof details === 'object') {
    return Object.entries(details as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return [String(details)];
}
