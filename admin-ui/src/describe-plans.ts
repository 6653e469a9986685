import { type Change, describeDependency, describeRule, describeVariants, diffConfig } from './describe.ts';
import { dateTime, formatNumber, plural } from './format.ts';
import type { Dependency, FlagConfig, Rule, Variant } from './types.ts';

/**
 * Scheduled changes and ramps in words, for history, the audit log and the planned-work panel:
 * a schedule's patch is "turn it off; set rule 2 to 25%", never its JSON; a ramp's plan is "rule
 * main: 50% for 1 hour, then 100% for 1 hour"; times in the viewer's zone and UTC.
 */

/** What a scheduled change sets (`POST /flags/:key/environments/:env/schedule`'s `patch`). */
export interface PlannedPatch {
  enabled?: boolean;
  rules?: Rule[];
  variants?: Variant[];
  dependencies?: Dependency[];
}

/** A time in the viewer's zone and in UTC: people in several zones read the same trail. */
export function inBothZones(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  return `${dateTime(iso)} (${t.toISOString().slice(0, 16).replace('T', ' ')} UTC)`;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** "25% by userId" → "25%" when the stickiness stays; the whole text when it changes. */
function rolloutTo(before: string | undefined, after: string | undefined): string {
  const pct = /^([\d.]+%)(.*)$/;
  const b = before?.match(pct);
  const a = after?.match(pct);
  return a?.[1] && b && b[2] === a[2] ? a[1] : (after ?? '');
}

/** One change of a patch as a phrase: "set rule 2 to 25%", "add rule 3: If … → 100%". */
function phrase(c: Change): string {
  const rollout = c.label.match(/^Rule (\d+) rollout$/);
  if (rollout) return `set rule ${rollout[1]} to ${rolloutTo(c.before, c.after)}`;
  const added = c.label.match(/^(Rule \d+|Variant \S+) added$/);
  if (added?.[1]) return `add ${lowerFirst(added[1])}: ${c.after ?? ''}`;
  const removed = c.label.match(/^(Rule \d+|Variant \S+) removed$/);
  if (removed?.[1]) return `remove ${lowerFirst(removed[1])} (${c.before ?? ''})`;
  if (c.kind === 'added') return `${lowerFirst(c.label)}: ${c.after ?? ''}`;
  if (c.kind === 'removed') return `${lowerFirst(c.label)}: no longer ${c.before ?? ''}`;
  return `${lowerFirst(c.label)}: ${c.before ?? ''} → ${c.after ?? ''}`;
}

/**
 * A scheduled patch as phrases. With the configuration it applies to (`base`), only what differs
 * is named ("set rule 2 to 25%"); without it (an old entry whose base is not at hand) each rule it
 * sets is described whole.
 */
export function describePatch(patch: PlannedPatch, base?: Partial<FlagConfig> | null): string[] {
  const parts: string[] = [];
  if (patch.enabled !== undefined && patch.enabled !== base?.enabled) parts.push(patch.enabled ? 'turn it on' : 'turn it off');
  else if (patch.enabled !== undefined) parts.push(patch.enabled ? 'keep it on' : 'keep it off');
  if (patch.rules) {
    if (base?.rules) {
      const changes = diffConfig({ rules: base.rules }, { rules: patch.rules });
      parts.push(...(changes.length > 0 ? changes.map(phrase) : ['leave its rules as they are']));
    } else if (patch.rules.length === 0) {
      parts.push('remove every rule');
    } else {
      parts.push(...patch.rules.map((r, i) => `set rule ${i + 1} to: ${describeRule(r)}`));
    }
  }
  if (patch.variants) {
    if (base?.variants) {
      const changes = diffConfig({ variants: base.variants }, { variants: patch.variants });
      parts.push(...(changes.length > 0 ? changes.map(phrase) : ['leave its variants as they are']));
    } else {
      parts.push(patch.variants.length > 0 ? `set its variants to ${describeVariants(patch.variants)}` : 'remove its variants');
    }
  }
  if (patch.dependencies) {
    parts.push(
      patch.dependencies.length > 0
        ? `make it depend on ${patch.dependencies.map(describeDependency).join(' and ')}`
        : 'remove its dependencies',
    );
  }
  return parts.length > 0 ? parts : ['change nothing'];
}

/** 3600 → "1 hour", 5400 → "90 minutes", 172800 → "2 days". */
export function holdText(seconds: number): string {
  if (seconds % 86_400 === 0) return plural(seconds / 86_400, 'day');
  if (seconds % 3600 === 0) return plural(seconds / 3600, 'hour');
  if (seconds % 60 === 0) return plural(seconds / 60, 'minute');
  return plural(seconds, 'second');
}

interface RampRecord {
  ruleId: string;
  steps: Array<{ percentage: number; holdSeconds: number }>;
  guard: { metric: string; comparator: string; threshold: number; action: string } | null;
  state: string;
  currentStep: number;
  previousPercentage: number | null;
  nextStepAt: string | null;
  reason: string | null;
}

function isRamp(v: unknown): v is RampRecord {
  return typeof v === 'object' && v !== null && Array.isArray((v as RampRecord).steps) && typeof (v as RampRecord).state === 'string';
}

interface ScheduleRecord {
  patch: PlannedPatch;
  runAt: string;
  state: string;
  error: string | null;
}

function isSchedule(v: unknown): v is ScheduleRecord {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ScheduleRecord).patch === 'object' &&
    typeof (v as ScheduleRecord).runAt === 'string'
  );
}

const RAMP_STATES: Record<string, string> = {
  pending: 'planned, not started',
  running: 'running',
  paused: 'paused',
  completed: 'completed',
  aborted: 'aborted',
  rolled_back: 'rolled back',
};

const SCHEDULE_STATES: Record<string, string> = {
  pending: 'waiting',
  applied: 'applied',
  cancelled: 'cancelled',
  failed: 'failed',
};

export function rampPlanText(r: Pick<RampRecord, 'ruleId' | 'steps'>): string {
  return `rule ${r.ruleId}: ${r.steps.map((s) => `${formatNumber(s.percentage)}% for ${holdText(s.holdSeconds)}`).join(', then ')}`;
}

export function guardText(g: RampRecord['guard']): string {
  if (!g) return 'none';
  const cmp = g.comparator === 'gt' ? 'goes above' : g.comparator === 'lt' ? 'goes below' : g.comparator;
  return `${g.action === 'rollback' ? 'roll back' : 'pause'} if ${g.metric} ${cmp} ${formatNumber(g.threshold)}`;
}

function stepText(r: RampRecord): string {
  if (r.currentStep < 0) return 'not started';
  const step = r.steps[r.currentStep];
  return `step ${r.currentStep + 1} of ${r.steps.length}${step ? ` (${formatNumber(step.percentage)}%)` : ''}`;
}

/**
 * The readable changes of an audit entry about a scheduled change or a ramp; null for any other
 * entry. `base` is the flag's configuration in that environment when the entry was written, where
 * the caller has it (see `configBefore`).
 */
export function planChanges(
  entry: { action: string; before: unknown; after: unknown },
  base?: Partial<FlagConfig> | null,
): Change[] | null {
  const { before: b, after: a } = entry;
  if (entry.action.startsWith('schedule.') && isSchedule(a)) {
    const what = describePatch(a.patch, base).join('; ');
    if (!isSchedule(b)) {
      const out: Change[] = [
        { kind: 'added', label: 'Scheduled change', after: what },
        { kind: 'added', label: 'At', after: inBothZones(a.runAt) },
      ];
      if (a.state !== 'pending') out.push({ kind: 'added', label: 'State', after: SCHEDULE_STATES[a.state] ?? a.state });
      if (a.error) out.push({ kind: 'added', label: 'Reason', after: a.error });
      return out;
    }
    const out: Change[] = [];
    if (b.state !== a.state) {
      out.push({
        kind: 'changed',
        label: 'State',
        before: SCHEDULE_STATES[b.state] ?? b.state,
        after: SCHEDULE_STATES[a.state] ?? a.state,
      });
    }
    out.push({ kind: 'added', label: 'The change', after: `${what}, at ${inBothZones(a.runAt)}` });
    if (a.error && a.error !== b.error) out.push({ kind: 'added', label: 'Reason', after: a.error });
    return out;
  }
  if (entry.action.startsWith('ramp.') && isRamp(a)) {
    if (!isRamp(b)) {
      return [
        { kind: 'added', label: 'Plan', after: rampPlanText(a) },
        { kind: 'added', label: 'Guard', after: guardText(a.guard) },
        ...(a.state !== 'pending' ? [{ kind: 'added' as const, label: 'State', after: RAMP_STATES[a.state] ?? a.state }] : []),
      ];
    }
    const out: Change[] = [];
    if (b.state !== a.state)
      out.push({ kind: 'changed', label: 'State', before: RAMP_STATES[b.state] ?? b.state, after: RAMP_STATES[a.state] ?? a.state });
    if (b.currentStep !== a.currentStep) out.push({ kind: 'changed', label: 'Step', before: stepText(b), after: stepText(a) });
    if (b.nextStepAt !== a.nextStepAt) {
      out.push({
        kind: 'changed',
        label: 'Next step',
        before: b.nextStepAt ? inBothZones(b.nextStepAt) : 'none',
        after: a.nextStepAt ? inBothZones(a.nextStepAt) : 'none',
      });
    }
    if (b.previousPercentage === null && a.previousPercentage !== null) {
      out.push({ kind: 'added', label: `Rule ${a.ruleId} before the ramp`, after: `${formatNumber(a.previousPercentage)}%` });
    }
    if (a.reason && a.reason !== b.reason) out.push({ kind: 'added', label: 'Reason', after: a.reason });
    if (rampPlanText(b) !== rampPlanText(a)) out.push({ kind: 'changed', label: 'Plan', before: rampPlanText(b), after: rampPlanText(a) });
    if (guardText(b.guard) !== guardText(a.guard))
      out.push({ kind: 'changed', label: 'Guard', before: guardText(b.guard), after: guardText(a.guard) });
    return out;
  }
  return null;
}

/** The environment's configuration an entry applied to: the nearest older entry in `entries` (newest first) that saved one. */
export function configBefore<E extends { id: number; resourceKey: string; environment: string | null; after: unknown }>(
  entry: E,
  entries: readonly E[],
  isConfig: (v: unknown) => v is Partial<FlagConfig>,
): Partial<FlagConfig> | null {
  const at = entries.indexOf(entry);
  if (at < 0) return null;
  for (let i = at + 1; i < entries.length; i++) {
    const e = entries[i];
    if (e && e.resourceKey === entry.resourceKey && e.environment === entry.environment && isConfig(e.after)) return e.after;
  }
  return null;
}
