const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "3 minutes ago", "just now". */
export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unknown';
  const seconds = Math.round((t - now) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(Math.round(seconds / 60), 'minute');
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : absolute.format(t);
}

/** 125 (out of 1000) → "12.5%". */
export function weightPercent(weight: number, total = 1000): string {
  return `${formatNumber((weight / total) * 100)}%`;
}

export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

/** A count with thousands separators: 20,000. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "New checkout" → "new-checkout". */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
}

/**
 * Whether writes to an environment are confirmed with their diff: its `protected` setting, which an
 * admin edits (issue 17). The name no longer decides ("prod" in it was a guess).
 */
export function isProduction(env: { key: string; name?: string; protected?: boolean } | undefined): boolean {
  return env?.protected === true;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The `user:<id>` refs the server stores become readable when a name is known. */
export function actorLabel(ref: string): string {
  if (ref === 'system' || ref.startsWith('system:')) return 'system';
  return ref;
}

/** The server's limit on descriptions. */
export const DESCRIPTION_MAX = 2000;

/** "1,234 of 2,000 characters", and how many too many past the limit. */
export function lengthHint(text: string, max = DESCRIPTION_MAX): string {
  const n = [...text].length;
  return n > max
    ? `${formatCount(n)} of ${formatCount(max)} characters: ${formatCount(n - max)} too many`
    : `${formatCount(n)} of ${formatCount(max)} characters`;
}
