import type { IssueDetail } from './api.ts';

/**
 * Freeze windows (issue 17) in words: why a save is refused (423 ENVIRONMENT_FROZEN), what a window
 * does, and the checks of the form an admin fills in. Pure, so it is unit-tested without a server.
 */

export const FREEZE_RECURRENCES = ['none', 'weekly'] as const;
export const FREEZE_MODES = ['refuse', 'defer'] as const;

export interface FreezeWindow {
  id: string;
  environment: string;
  start: string;
  end: string;
  reason: string;
  recurrence: (typeof FREEZE_RECURRENCES)[number];
  mode: (typeof FREEZE_MODES)[number];
  createdBy: string;
  createdAt: string;
  version: number;
  activeNow: boolean;
}

/** The details of a 423 ENVIRONMENT_FROZEN answer. */
export interface FrozenInfo {
  windowId: string;
  start: string;
  end: string;
  reason: string;
  /** The server's own sentence ("production is frozen until … (…)"). */
  message: string;
}

/** The least an override's justification must say (the server's limit, too). */
export const OVERRIDE_MIN = 10;
export const OVERRIDE_HEADER = 'X-Freeze-Override';

/** A refused write's freeze, or null when it was refused for another reason. */
export function frozenInfo(err: unknown): FrozenInfo | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { status?: unknown; code?: unknown; message?: unknown; details?: unknown };
  if (e.code !== 'ENVIRONMENT_FROZEN' && e.status !== 423) return null;
  const d = (e.details && typeof e.details === 'object' ? e.details : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    windowId: text(d.windowId),
    start: text(d.start),
    end: text(d.end),
    reason: text(d.reason),
    message: typeof e.message === 'string' ? e.message : 'This environment is frozen.',
  };
}

export interface TimeOptions {
  /** For tests; the viewer's own by default. */
  locale?: string;
  timeZone?: string;
}

/** "25 Dec 2026, 08:00 (2026-12-25 07:00 UTC)": the viewer's zone and UTC, as ramps and schedules show times. */
export function whenText(iso: string, o: TimeOptions = {}): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso || 'an unknown time';
  const local = new Intl.DateTimeFormat(o.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: o.timeZone }).format(t);
  return `${local} (${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
}

/** "3 days 4 h", "2 h 5 min", "under a minute": how long something still lasts. */
export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 60_000) return 'under a minute';
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return hours > 0 ? `${days} day${days === 1 ? '' : 's'} ${hours} h` : `${days} day${days === 1 ? '' : 's'}`;
  if (hours > 0) return mins > 0 ? `${hours} h ${mins} min` : `${hours} h`;
  return `${mins} min`;
}

/**
 * Why Save was refused, for the banner: the title names the environment and the end, the text the
 * window, its reason, and what is left to do.
 */
export function frozenExplanation(
  info: FrozenInfo,
  envName: string,
  options: TimeOptions & { now?: number; admin?: boolean } = {},
): { title: string; lines: string[] } {
  const now = options.now ?? Date.now();
  const end = Date.parse(info.end);
  const until = info.end ? ` until ${whenText(info.end, options)}` : '';
  const left = Number.isNaN(end) ? '' : ` (${durationText(end - now)} from now)`;
  const lines = [
    `A freeze window${info.reason ? ` (“${info.reason}”)` : ''} runs from ${info.start ? whenText(info.start, options) : 'an earlier time'}${until ? ` to ${whenText(info.end, options)}` : ''}: changes to ${envName} are refused while it lasts.`,
    'Nothing was saved. Your changes are still here; save them again once the window has ended.',
  ];
  if (options.admin)
    lines.push(
      `As an admin you can override the freeze with a written justification (at least ${OVERRIDE_MIN} characters); it is kept in the audit log.`,
    );
  else lines.push('An admin can override the freeze with a written justification if the change cannot wait.');
  return { title: `${envName} is frozen${until}${left}`, lines };
}

/** Whether a justification is long enough; the reason when not. */
export function checkOverride(text: string): string | undefined {
  const n = text.trim().length;
  if (n >= OVERRIDE_MIN) return undefined;
  return n === 0 ? 'Write why this change cannot wait' : `At least ${OVERRIDE_MIN} characters (${n} so far)`;
}

const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function weeklyPoint(iso: string): string {
  const d = new Date(iso);
  return `${WEEKDAY[d.getUTCDay()]} ${d.toISOString().slice(11, 16)}`;
}

/** What a window covers: "Every week from Fri 18:00 to Mon 06:00 UTC" or "From … to …". */
export function windowText(w: Pick<FreezeWindow, 'start' | 'end' | 'recurrence'>, o: TimeOptions = {}): string {
  if (w.recurrence === 'weekly')
    return `Every week from ${weeklyPoint(w.start)} to ${weeklyPoint(w.end)} UTC, first from ${whenText(w.start, o)}`;
  return `From ${whenText(w.start, o)} to ${whenText(w.end, o)}`;
}

export function modeText(mode: FreezeWindow['mode']): string {
  return mode === 'defer'
    ? 'Changes are refused; ramp steps and scheduled changes wait until it ends'
    : 'Changes, ramp steps and scheduled changes are refused';
}

export type WindowStatus = 'active' | 'upcoming' | 'ended' | 'recurring';

/** The server's `activeNow` decides whether it is on; the rest is read from the dates. */
export function windowStatus(w: Pick<FreezeWindow, 'start' | 'end' | 'recurrence' | 'activeNow'>, now = Date.now()): WindowStatus {
  if (w.activeNow) return 'active';
  if (w.recurrence === 'weekly') return 'recurring';
  return Date.parse(w.end) <= now ? 'ended' : 'upcoming';
}

export interface FreezeForm {
  start: string;
  end: string;
  reason: string;
  recurrence: FreezeWindow['recurrence'];
  mode: FreezeWindow['mode'];
}

/** The form's problems before it is sent, with the body's paths (as the server reports them). */
export function checkFreezeForm(f: FreezeForm, now = Date.now()): IssueDetail[] {
  const issues: IssueDetail[] = [];
  const start = Date.parse(f.start);
  const end = Date.parse(f.end);
  if (!f.start || Number.isNaN(start)) issues.push({ path: '/start', message: 'Choose when it starts' });
  if (!f.end || Number.isNaN(end)) issues.push({ path: '/end', message: 'Choose when it ends' });
  if (!Number.isNaN(start) && !Number.isNaN(end)) {
    if (end <= start) issues.push({ path: '/end', message: 'It has to end after it starts' });
    else if (f.recurrence === 'weekly' && end - start > 7 * 86400_000)
      issues.push({ path: '/end', message: 'A weekly window lasts a week at most' });
    else if (f.recurrence === 'none' && end <= now) issues.push({ path: '/end', message: 'This time has passed' });
  }
  if (!f.reason.trim()) issues.push({ path: '/reason', message: 'Say why (people whose save is refused read it)' });
  return issues;
}
