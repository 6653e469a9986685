import { type Change, describeCondition, diffConfig, diffRecord } from './describe.ts';
import { formatNumber } from './format.ts';
import { editable, rebase } from './merge.ts';
import type { Condition, FlagConfig, Me, Role, Rule } from './types.ts';

/**
 * Change requests (issue 17) as the UI sees them: the API's shapes (/work/wt/notes/17-contract.md),
 * which actions a request offers to whom, and its proposed change in words. Pure: no React, no
 * fetch, so test/src/admin-ui/change-requests-logic.test.ts runs it without a server.
 */

export const CHANGE_REQUEST_STATES = ['open', 'approved', 'changes_requested', 'rejected', 'applied', 'withdrawn'] as const;
export type ChangeRequestState = (typeof CHANGE_REQUEST_STATES)[number];
export type ReviewDecision = 'approve' | 'request_changes' | 'reject' | 'comment';

export interface RampStep {
  percentage: number;
  holdSeconds: number;
}

/** What a request would write: the body the direct route takes, plus the version it was based on. */
export type ChangeRequestChange =
  | { kind: 'flag-config'; flagKey: string; baseVersion: number; config: Partial<FlagConfig> }
  | { kind: 'segment'; segmentKey: string; baseVersion: number; segment: { name?: string; description?: string; conditions?: Condition[] } }
  | { kind: 'ramp-start'; flagKey: string; ruleId: string; steps: RampStep[]; guard?: unknown }
  | { kind: 'ramp-update'; rampId: string; baseVersion: number; action: 'start' | 'pause' | 'resume' | 'abort'; reason?: string }
  | { kind: 'schedule'; flagKey: string; runAt: string; patch: Partial<FlagConfig> };

export interface Person {
  id: string;
  name: string;
}

export interface Review {
  id: string;
  reviewer: Person;
  decision: ReviewDecision;
  comment: string | null;
  /** A rebase starts a new round; reviews of earlier rounds stay but no longer count. */
  round?: number;
  createdAt: string;
}

export interface ChangeRequest {
  id: string;
  environment: string;
  title: string;
  reason: string | null;
  change: ChangeRequestChange;
  state: ChangeRequestState;
  author: Person;
  createdAt: string;
  updatedAt: string;
  version: number;
  approvals: number;
  requiredApprovals: number;
  round?: number;
  /** Absent in lists. */
  reviews?: Review[];
  /** The target as it is now (a flag's environment config, a segment, a ramp), with its version. */
  current?: ({ version?: number } & Record<string, unknown>) | (object & { version?: number }) | null;
  conflict: boolean;
  appliedAt?: string | null;
  appliedBy?: Person | string | null;
  resultVersion?: number | null;
}

export interface ChangeRequestPage {
  items: ChangeRequest[];
  nextCursor: string | null;
}

/** The tabs of the change-requests page and the list query each one makes. */
export const CHANGE_REQUEST_TABS = [
  { key: 'open', label: 'Open', query: { view: 'all', state: 'open' } },
  { key: 'to-review', label: 'To review', query: { view: 'to-review', state: 'open' } },
  { key: 'mine', label: 'Mine', query: { view: 'mine' } },
  { key: 'all', label: 'All', query: { view: 'all' } },
] as const;
export type ChangeRequestTab = (typeof CHANGE_REQUEST_TABS)[number]['key'];

export function tabOf(value: string | null): ChangeRequestTab {
  return CHANGE_REQUEST_TABS.find((t) => t.key === value)?.key ?? 'open';
}

const STATE_LABELS: Record<ChangeRequestState, { label: string; tone: string }> = {
  open: { label: 'Open', tone: 'info' },
  approved: { label: 'Approved', tone: 'success' },
  changes_requested: { label: 'Changes requested', tone: 'warning' },
  rejected: { label: 'Rejected', tone: 'danger' },
  applied: { label: 'Applied', tone: 'accent' },
  withdrawn: { label: 'Withdrawn', tone: 'neutral' },
};

export function stateLabel(state: ChangeRequestState): { label: string; tone: string } {
  return STATE_LABELS[state] ?? { label: state, tone: 'neutral' };
}

/** No more reviews, applies or rebases once a request is here. */
export function isFinal(state: ChangeRequestState): boolean {
  return state === 'applied' || state === 'rejected' || state === 'withdrawn';
}

export interface Allowed {
  allowed: boolean;
  /** Why not, as a control's description. */
  reason?: string;
}

export interface ChangeRequestActions {
  approve: Allowed;
  requestChanges: Allowed;
  reject: Allowed;
  comment: Allowed;
  apply: Allowed;
  rebase: Allowed;
  withdraw: Allowed;
}

const yes: Allowed = { allowed: true };
const no = (reason: string): Allowed => ({ allowed: false, reason });

/** The role that counts in one environment: a per-environment role overrides the global one. */
const ROLE_ORDER: Role[] = ['viewer', 'editor', 'admin'];
const roleAtLeast = (role: Role, required: Role) => ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(required);

export function roleIn(me: Pick<Me, 'role'> & { environmentRoles?: Record<string, Role> }, env: string): Role {
  return me.environmentRoles?.[env] ?? me.role;
}

/**
 * What `me` may do with a request now. The server decides in the end (SELF_APPROVAL, NOT_APPROVED,
 * SELF_APPLY_FORBIDDEN, CONFLICT); this only keeps buttons that would be refused disabled, with the
 * reason next to them.
 */
export function actionsFor(
  cr: Pick<
    ChangeRequest,
    'state' | 'author' | 'conflict' | 'reviews' | 'environment' | 'change' | 'approvals' | 'requiredApprovals' | 'round'
  >,
  me: Pick<Me, 'id' | 'role'> & { environmentRoles?: Record<string, Role> },
  env: { allowSelfApply?: boolean } | undefined,
): ChangeRequestActions {
  const role = roleIn(me, cr.environment);
  const editor = roleAtLeast(role, 'editor');
  const author = cr.author.id === me.id;
  if (isFinal(cr.state)) {
    // A closed request still takes comments (the server refuses other reviews with 409).
    const n = no(`This request is ${stateLabel(cr.state).label.toLowerCase()}`);
    const comment = editor || author ? yes : no(`Only editors in ${cr.environment} can comment`);
    return { approve: n, requestChanges: n, reject: n, comment, apply: n, rebase: n, withdraw: n };
  }
  const notEditor = no(`Only editors in ${cr.environment} can review changes`);
  const mineApproved = (cr.reviews ?? []).some(
    (r) => r.reviewer.id === me.id && r.decision === 'approve' && (cr.round === undefined || r.round === undefined || r.round === cr.round),
  );
  const review = (): Allowed => (!editor ? notEditor : author ? no('You cannot review your own request') : yes);
  let apply: Allowed;
  if (!editor) apply = no(`Only editors in ${cr.environment} can apply changes`);
  else if (cr.state !== 'approved')
    apply = no(`It needs ${cr.requiredApprovals} approval${cr.requiredApprovals === 1 ? '' : 's'} first (has ${cr.approvals})`);
  else if (cr.conflict) apply = no('The target changed since this request was made: rebase it first');
  else if (author && env?.allowSelfApply === false) apply = no('In this environment someone other than the author applies a request');
  else apply = yes;
  return {
    approve: !editor ? notEditor : author ? no('You cannot approve your own request') : mineApproved ? no('You approved it') : yes,
    requestChanges: review(),
    reject: review(),
    comment: editor || author ? yes : notEditor,
    apply,
    rebase: !author
      ? no('Only its author can rebase a request')
      : !cr.conflict
        ? no('Nothing to rebase: the target has not changed')
        : cr.change.kind !== 'flag-config'
          ? no('Only flag configurations can be rebased here; withdraw it and propose again')
          : yes,
    withdraw: author ? yes : no('Only its author can withdraw a request'),
  };
}

function stepsText(steps: RampStep[]): string {
  return steps.map((s) => `${formatNumber(s.percentage)}%`).join(' → ');
}

function holdText(seconds: number): string {
  if (seconds % 86400 === 0 && seconds > 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function utc(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** What a change targets, in a few words: "flag new-checkout", "segment beta". */
export function targetOf(change: ChangeRequestChange): string {
  switch (change.kind) {
    case 'flag-config':
    case 'schedule':
    case 'ramp-start':
      return `flag ${change.flagKey}`;
    case 'segment':
      return `segment ${change.segmentKey}`;
    case 'ramp-update':
      return `ramp ${change.rampId}`;
  }
}

/** Where the request's target lives in the UI. */
export function targetLink(change: ChangeRequestChange, environment: string): string | null {
  switch (change.kind) {
    case 'flag-config':
    case 'schedule':
    case 'ramp-start':
      return `/flags/${encodeURIComponent(change.flagKey)}?env=${encodeURIComponent(environment)}`;
    case 'segment':
      return `/segments/${encodeURIComponent(change.segmentKey)}`;
    case 'ramp-update':
      return null;
  }
}

/**
 * One line for lists: "new-checkout: Rule 1 rollout 10% by userId → 25% by userId", "Ramp
 * new-checkout rule main: 25% → 50%". With the target's current state the flag's line names what
 * changes (the body always carries rules, variants and dependencies); without it, which parts it sets.
 */
export function summarize(change: ChangeRequestChange, current?: ChangeRequest['current']): string {
  switch (change.kind) {
    case 'flag-config': {
      if (current) {
        const changes = proposedChanges({ change, current });
        const first = changes[0];
        if (!first) return `${change.flagKey}: no change against the current version`;
        const what =
          first.before !== undefined && first.after !== undefined
            ? `${first.before} → ${first.after}`
            : (first.after ?? first.before ?? '');
        const more = changes.length > 1 ? ` (+${changes.length - 1} more)` : '';
        return `${change.flagKey}: ${first.label} ${what}${more}`;
      }
      const parts: string[] = [];
      const c = change.config;
      if (c.enabled !== undefined) parts.push(c.enabled ? 'turn on' : 'turn off');
      if (c.rules) parts.push('rules');
      if (c.variants) parts.push('variants');
      if (c.dependencies) parts.push('dependencies');
      return `${change.flagKey}: ${parts.length > 0 ? parts.join(', ') : 'configuration'}`;
    }
    case 'segment':
      return `Segment ${change.segmentKey}`;
    case 'ramp-start':
      return `Ramp ${change.flagKey} rule ${change.ruleId}: ${stepsText(change.steps)}`;
    case 'ramp-update':
      return `${change.action[0]?.toUpperCase()}${change.action.slice(1)} ramp ${change.rampId}`;
    case 'schedule':
      return `Scheduled change of ${change.flagKey} at ${utc(change.runAt)}`;
  }
}

function asConfig(v: unknown): Partial<FlagConfig> {
  return v && typeof v === 'object' ? (v as Partial<FlagConfig>) : {};
}

/** The flag configuration the request would leave: the current one with the proposed fields on top. */
export function proposedConfig(current: Partial<FlagConfig>, config: Partial<FlagConfig>): Partial<FlagConfig> {
  const out: Partial<FlagConfig> = { ...current };
  for (const [k, v] of Object.entries(config)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * The proposed change against the target as it is now, in the words of the editor's diff: what
 * applying it would change. For ramps and schedules (which change nothing at once) the plan itself.
 */
export function proposedChanges(cr: Pick<ChangeRequest, 'change' | 'current'>): Change[] {
  const change = cr.change;
  const current = cr.current ?? null;
  switch (change.kind) {
    case 'flag-config': {
      const now = asConfig(current);
      return diffConfig(now, proposedConfig(now, change.config));
    }
    case 'segment': {
      const now = current ?? {};
      return diffRecord(now, { ...now, ...change.segment });
    }
    case 'ramp-start': {
      const rule = (asConfig(current).rules ?? []).find((r) => r.id === change.ruleId);
      const from = rule?.rollout ? `${formatNumber(rule.rollout.percentage)}%` : rule ? '100%' : undefined;
      const out: Change[] = [
        {
          kind: 'added',
          label: `Ramp on rule ${change.ruleId}`,
          after: `${stepsText(change.steps)}, holding ${change.steps.map((s) => holdText(s.holdSeconds)).join(', ')}`,
        },
      ];
      const first = change.steps[0];
      if (first && from !== undefined)
        out.push({
          kind: 'changed',
          label: `Rule ${change.ruleId} rollout at the start`,
          before: from,
          after: `${formatNumber(first.percentage)}%`,
        });
      if (change.guard) out.push({ kind: 'added', label: 'Guard', after: JSON.stringify(change.guard) });
      return out;
    }
    case 'ramp-update': {
      const raw = (current as { state?: unknown } | null)?.state;
      const state = typeof raw === 'string' ? raw : undefined;
      const after = change.action === 'pause' ? 'paused' : change.action === 'resume' || change.action === 'start' ? 'running' : 'aborted';
      const out: Change[] = [{ kind: 'changed', label: `Ramp ${change.rampId}`, before: state ?? '(its state now)', after }];
      if (change.reason) out.push({ kind: 'added', label: 'Reason', after: change.reason });
      return out;
    }
    case 'schedule': {
      const now = asConfig(current);
      return diffConfig(now, proposedConfig(now, change.patch)).map((c) => ({ ...c, label: `At ${utc(change.runAt)}: ${c.label}` }));
    }
  }
}

export interface ConflictView {
  /** Base → current: what others saved since the request was made. */
  theirs: Change[];
  /** Base → proposed: what the request changes. */
  mine: Change[];
  /** The request's change moved onto the current version (rules merged by id, as the editor's conflict panel). */
  rebased: Partial<FlagConfig>;
}

/** A flag-config request whose base moved: both diffs and the rebased proposal. */
export function conflictView(base: FlagConfig, current: FlagConfig, config: Partial<FlagConfig>): ConflictView {
  const mine = proposedConfig(base, config) as FlagConfig;
  const merged = rebase(editable(base), editable(current), editable(mine));
  const rebased: Partial<FlagConfig> = {};
  // Only the fields the request set: a request that only flipped the switch stays a switch.
  if (config.rules !== undefined) rebased.rules = merged.rules;
  if (config.variants !== undefined) rebased.variants = merged.variants;
  if (config.dependencies !== undefined) rebased.dependencies = merged.dependencies;
  if (config.variantStickiness !== undefined && merged.variantStickiness !== undefined)
    rebased.variantStickiness = merged.variantStickiness;
  if (config.enabled !== undefined) rebased.enabled = config.enabled;
  return { theirs: diffConfig(base, current), mine: diffConfig(base, mine), rebased };
}

/** "1 of 2 approvals", the progress line of a request. */
export function approvalsText(cr: Pick<ChangeRequest, 'approvals' | 'requiredApprovals'>): string {
  return `${cr.approvals} of ${cr.requiredApprovals} approval${cr.requiredApprovals === 1 ? '' : 's'}`;
}

export const DECISION_LABELS: Record<ReviewDecision, string> = {
  approve: 'approved',
  request_changes: 'requested changes',
  reject: 'rejected',
  comment: 'commented',
};

/** The title a new request gets unless its author writes one. */
export function defaultTitle(flagKey: string, envName: string, changes: Change[]): string {
  const first = changes[0];
  if (!first) return `Change ${flagKey} in ${envName}`;
  const what = first.after !== undefined ? `${first.label}: ${first.after}` : first.label;
  const more = changes.length > 1 ? ` (+${changes.length - 1} more)` : '';
  const text = `${flagKey} in ${envName}: ${what}${more}`;
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** Segments the given rules use, with their conditions in words, for a confirmation. */
export function segmentsUsed(
  rules: Rule[],
  segments: Array<{ key: string; conditions: Condition[] }>,
): Array<{ key: string; text: string }> {
  const keys = [...new Set(rules.flatMap((r) => r.segments ?? []))];
  return keys.map((key) => {
    const s = segments.find((x) => x.key === key);
    const text = !s
      ? '(unknown segment)'
      : s.conditions.length === 0
        ? '(no conditions)'
        : s.conditions.map(describeCondition).join(' and ');
    return { key, text };
  });
}
