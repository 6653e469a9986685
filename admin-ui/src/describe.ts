import { formatNumber, weightPercent } from './format.ts';
import { canonical, same } from './merge.ts';
import { operatorInfo, typeOfOperator } from './operators.ts';
import type { Condition, Dependency, FlagConfig, Rule, Variant } from './types.ts';

/** Flag configurations and segments in words, and readable differences between two versions. */

function quoteList(values: string[], max = 6): string {
  const shown = values.slice(0, max).join(', ');
  return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}

export function describeCondition(c: Condition): string {
  const info = operatorInfo(c.operator);
  const type = typeOfOperator(c.operator);
  const op = info?.label ?? c.operator;
  const typed = type === 'semver' ? ' (version)' : '';
  const ci = c.caseInsensitive && info?.caseInsensitive ? ' (ignoring case)' : '';
  const text = `${c.attribute}${typed} ${op} ${quoteList(c.values) || '(no value)'}${ci}`;
  return c.inverted ? `NOT (${text})` : text;
}

function stickinessLabel(s: string | undefined): string {
  return !s || s === 'default' ? 'userId' : s === 'random' ? 'chance (no stickiness)' : s;
}

/** How a variant split sticks, in words. */
function variantStickinessText(s: string | undefined): string {
  if (!s || s === 'default') return 'each user keeps their variant (by userId, else sessionId)';
  if (s === 'random') return 'a new variant at random on every evaluation';
  return `everyone with the same ${s} gets the same variant`;
}

function describeOverrides(v: Variant): string {
  if (!v.overrides || v.overrides.length === 0) return '';
  return `; always for ${v.overrides.map((o) => `${o.attribute} ${quoteList(o.values, 4)}`).join(' or ')}`;
}

export function describeVariants(variants: Variant[]): string {
  const total = variants.reduce((n, v) => n + v.weight, 0) || 1000;
  return variants.map((v) => `${v.name} ${weightPercent(v.weight, total)}`).join(', ');
}

export function describeRule(r: Rule): string {
  const parts: string[] = [];
  for (const s of r.segments ?? []) parts.push(`in segment ${s}`);
  for (const c of r.conditions ?? []) parts.push(describeCondition(c));
  const who = parts.length > 0 ? `If ${parts.join(' and ')}` : 'Everyone';
  const pct = r.rollout ? `${formatNumber(r.rollout.percentage)}% by ${stickinessLabel(r.rollout.stickiness)}` : '100%';
  const group = r.rollout?.groupId ? ` (group ${r.rollout.groupId})` : '';
  const variants = r.variants && r.variants.length > 0 ? `; variants ${describeVariants(r.variants)}` : '';
  const name = r.description ? `“${r.description}”: ` : '';
  return `${name}${who} → ${pct}${group}${variants}`;
}

export function describeDependency(d: Dependency): string {
  const state = d.enabled === false ? 'off' : 'on';
  const variants = d.variants && d.variants.length > 0 ? ` with variant ${d.variants.join(' or ')}` : '';
  return `${d.flag} is ${state}${variants}`;
}

function describePayload(v: Variant): string {
  if (!v.payload) return '';
  const value = v.payload.value.length > 60 ? `${v.payload.value.slice(0, 57)}…` : v.payload.value;
  return ` (${v.payload.type} ${value})`;
}

function describeRollout(r: Rule): string {
  const pct = r.rollout ? `${formatNumber(r.rollout.percentage)}% by ${stickinessLabel(r.rollout.stickiness)}` : '100%';
  return r.rollout?.groupId ? `${pct} (group ${r.rollout.groupId})` : pct;
}

/** One rule's changes, part by part: "Rule 2 rollout: 10% → 25%". */
function diffRule(b: Rule, a: Rule, label: string): Change[] {
  const out: Change[] = [];
  if ((b.description ?? '') !== (a.description ?? '')) {
    out.push({ kind: 'changed', label: `${label} name`, before: show(b.description ?? ''), after: show(a.description ?? '') });
  }
  const bSeg = b.segments ?? [];
  const aSeg = a.segments ?? [];
  for (const s of aSeg) if (!bSeg.includes(s)) out.push({ kind: 'added', label: `${label} segment`, after: s });
  for (const s of bSeg) if (!aSeg.includes(s)) out.push({ kind: 'removed', label: `${label} segment`, before: s });
  // Conditions all have to hold, so their order means nothing; each is compared by its words.
  const bCond = (b.conditions ?? []).map(describeCondition);
  const aCond = (a.conditions ?? []).map(describeCondition);
  for (const c of aCond) if (!bCond.includes(c)) out.push({ kind: 'added', label: `${label} condition`, after: c });
  for (const c of bCond) if (!aCond.includes(c)) out.push({ kind: 'removed', label: `${label} condition`, before: c });
  if (describeRollout(b) !== describeRollout(a)) {
    out.push({ kind: 'changed', label: `${label} rollout`, before: describeRollout(b), after: describeRollout(a) });
  }
  const variantsText = (r: Rule) => {
    const vs = r.variants ?? [];
    const total = vs.reduce((n, x) => n + x.weight, 0) || 1000;
    return vs.length > 0
      ? vs.map((v) => `${v.name} ${weightPercent(v.weight, total)}${describePayload(v)}${describeOverrides(v)}`).join(', ')
      : '(the flag’s variants)';
  };
  const bVar = variantsText(b);
  const aVar = variantsText(a);
  if (bVar !== aVar) out.push({ kind: 'changed', label: `${label} variants`, before: bVar, after: aVar });
  if ((b.variantStickiness ?? 'default') !== (a.variantStickiness ?? 'default')) {
    out.push({
      kind: 'changed',
      label: `${label} variant stickiness`,
      before: variantStickinessText(b.variantStickiness),
      after: variantStickinessText(a.variantStickiness),
    });
  }
  if (out.length === 0 && !sameRule(b, a)) {
    // Something the words above do not cover: name the fields, never dump the whole rule.
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter(
      (k) => k !== 'id' && canonical((b as Record<string, unknown>)[k]) !== canonical((a as Record<string, unknown>)[k]),
    );
    for (const k of keys) {
      out.push({
        kind: 'changed',
        label: `${label} ${k}`,
        before: show((b as Record<string, unknown>)[k]),
        after: show((a as Record<string, unknown>)[k]),
      });
    }
  }
  return out;
}

/** Two rules alike in meaning: key order and the order of their conditions (all must hold) aside. */
function sameRule(b: Rule, a: Rule): boolean {
  const norm = (r: Rule) => ({ ...r, id: undefined, conditions: (r.conditions ?? []).map(canonical).sort() });
  return same(norm(b), norm(a));
}

export interface Change {
  kind: 'added' | 'removed' | 'changed';
  label: string;
  before?: string;
  after?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '(none)';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length === 0 ? '(none)' : v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
  if (typeof v === 'string') return v === '' ? '(empty)' : v;
  // Flat maps such as roles per environment read as "production: viewer".
  if (isRecord(v) && Object.values(v).every((x) => typeof x !== 'object' || x === null)) {
    const entries = Object.entries(v);
    return entries.length === 0 ? '(none)' : entries.map(([k, x]) => `${k}: ${show(x)}`).join(', ');
  }
  return JSON.stringify(v);
}

/** Differences between two configurations of one flag in one environment. */
export function diffConfig(before: Partial<FlagConfig> | null | undefined, after: Partial<FlagConfig> | null | undefined): Change[] {
  const changes: Change[] = [];
  const b = before ?? {};
  const a = after ?? {};
  if (b.enabled !== undefined && a.enabled !== undefined && b.enabled !== a.enabled) {
    changes.push({ kind: 'changed', label: 'Status', before: b.enabled ? 'On' : 'Off', after: a.enabled ? 'On' : 'Off' });
  }
  const bRules = b.rules ?? [];
  const aRules = a.rules ?? [];
  // Rules pair up by id; a rule whose id is new takes the place of an unpaired one at its position
  // (a client that sent rules without ids got new ones for the same rules).
  const aIds = new Set(aRules.map((r) => r.id).filter(Boolean));
  const pairOf = (r: Rule, i: number): number => {
    const byId = r.id ? bRules.findIndex((x) => x.id === r.id) : -1;
    if (byId >= 0) return byId;
    const there = bRules[i];
    return there && !(there.id && aIds.has(there.id)) ? i : -1;
  };
  const paired = new Set<number>();
  aRules.forEach((r, i) => {
    const j = pairOf(r, i);
    const old = j >= 0 ? bRules[j] : undefined;
    if (!old) {
      changes.push({ kind: 'added', label: `Rule ${i + 1} added`, after: describeRule(r) });
      return;
    }
    paired.add(j);
    changes.push(...diffRule({ ...old, id: r.id }, r, `Rule ${i + 1}`));
    if (j !== i) changes.push({ kind: 'changed', label: `Rule ${i + 1} moved`, before: `position ${j + 1}`, after: `position ${i + 1}` });
  });
  bRules.forEach((r, i) => {
    if (!paired.has(i)) changes.push({ kind: 'removed', label: `Rule ${i + 1} removed`, before: describeRule(r) });
  });

  const bVariants = b.variants ?? [];
  const aVariants = a.variants ?? [];
  const bTotal = bVariants.reduce((n, v) => n + v.weight, 0) || 1000;
  const aTotal = aVariants.reduce((n, v) => n + v.weight, 0) || 1000;
  for (const v of aVariants) {
    const old = bVariants.find((x) => x.name === v.name);
    const now = `${weightPercent(v.weight, aTotal)}${describePayload(v)}${describeOverrides(v)}`;
    if (!old) changes.push({ kind: 'added', label: `Variant ${v.name} added`, after: now });
    else {
      const was = `${weightPercent(old.weight, bTotal)}${describePayload(old)}${describeOverrides(old)}`;
      if (was !== now) changes.push({ kind: 'changed', label: `Variant ${v.name}`, before: was, after: now });
      else if (!same(old, v))
        changes.push({
          kind: 'changed',
          label: `Variant ${v.name} payload`,
          before: 'the earlier value',
          after: 'a new value (past what is shown)',
        });
    }
  }
  for (const v of bVariants) {
    if (!aVariants.some((x) => x.name === v.name)) changes.push({ kind: 'removed', label: `Variant ${v.name} removed`, before: v.name });
  }
  if ((b.variantStickiness || 'default') !== (a.variantStickiness || 'default') && (before || after)) {
    changes.push({
      kind: 'changed',
      label: 'Variant stickiness',
      before: variantStickinessText(b.variantStickiness),
      after: variantStickinessText(a.variantStickiness),
    });
  }
  const bDeps = (b.dependencies ?? []).map(describeDependency);
  const aDeps = (a.dependencies ?? []).map(describeDependency);
  for (const d of aDeps) if (!bDeps.includes(d)) changes.push({ kind: 'added', label: 'Dependency added', after: d });
  for (const d of bDeps) if (!aDeps.includes(d)) changes.push({ kind: 'removed', label: 'Dependency removed', before: d });
  return changes;
}

const LABELS: Record<string, string> = {
  key: 'Key',
  ip: 'IP address',
  name: 'Name',
  description: 'Description',
  kind: 'Kind',
  tags: 'Tags',
  clientVisible: 'Visible to browser SDKs',
  archived: 'Archived',
  conditions: 'Conditions',
  role: 'Role',
  email: 'Email',
  environment: 'Environment',
  disabledAt: 'Disabled',
  revokedAt: 'Revoked',
  environmentRoles: 'Roles per environment',
  protected: 'Protected',
  requiredApprovals: 'Approvals needed',
  allowSelfApply: 'Authors may apply their own approved changes',
};

const IGNORED = new Set(['version', 'updatedAt', 'createdAt', 'archivedAt', 'environments', 'usedBy', 'id', 'lastUsedAt', 'revision']);

/** Differences between two versions of anything else (flag settings, segments, keys, users). */
export function diffRecord(before: unknown, after: unknown): Change[] {
  const b = isRecord(before) ? before : {};
  const a = isRecord(after) ? after : {};
  const changes: Change[] = [];
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  for (const k of keys) {
    if (IGNORED.has(k)) continue;
    if (same(b[k], a[k])) continue;
    const label = LABELS[k] ?? k;
    if (k === 'conditions' && Array.isArray(b[k]) !== Array.isArray(a[k])) continue;
    if (k === 'conditions') {
      const was = (b[k] as Condition[]).map(describeCondition);
      const now = (a[k] as Condition[]).map(describeCondition);
      for (const c of now) if (!was.includes(c)) changes.push({ kind: 'added', label: 'Condition added', after: c });
      for (const c of was) if (!now.includes(c)) changes.push({ kind: 'removed', label: 'Condition removed', before: c });
      continue;
    }
    // A field that appears empty (no roles per environment, say) adds nothing worth a line.
    if (!(k in b) && isRecord(a[k]) && Object.keys(a[k]).length === 0) continue;
    if (!(k in b)) changes.push({ kind: 'added', label, after: show(a[k]) });
    else if (!(k in a)) changes.push({ kind: 'removed', label, before: show(b[k]) });
    else changes.push({ kind: 'changed', label, before: show(b[k]), after: show(a[k]) });
  }
  return changes;
}

/** Whether an audit entry's before/after is one environment's flag configuration. */
export function isFlagConfig(v: unknown): v is FlagConfig & { version: number; environment: string } {
  return isRecord(v) && Array.isArray(v.rules) && typeof v.enabled === 'boolean';
}

const ACTIONS: Record<string, string> = {
  'flag.created': 'created the flag',
  'flag.updated': 'changed the settings',
  'flag.archived': 'archived the flag',
  'flag.restored': 'restored the flag',
  'flag.deleted': 'deleted the flag',
  'flag.enabled': 'turned it on',
  'flag.disabled': 'turned it off',
  'flag.configured': 'changed the targeting',
  'flag.reverted': 'reverted',
  'flag.initial': 'first version, saved when the flag was created',
  'flag.version': 'saved a version',
  'flag.scheduled_change': 'applied a scheduled change',
  'segment.created': 'created the segment',
  'segment.updated': 'changed the segment',
  'segment.deleted': 'deleted the segment',
  'user.login': 'logged in',
  'user.logout': 'logged out',
  'user.created': 'added the user',
  'user.updated': 'changed the user',
  'user.disabled': 'disabled the user',
  'key.created': 'created the SDK key',
  'key.revoked': 'revoked the SDK key',
  'token.created': 'created the API token',
  'token.revoked': 'revoked the API token',
  'environment.created': 'created the environment',
  'environment.renamed': 'renamed the environment',
  'environment.deleted': 'deleted the environment',
  'ramp.created': 'planned a ramp',
  'ramp.started': 'started a ramp',
  'ramp.step': 'a ramp step set the rollout',
  'ramp.advanced': 'a ramp moved to its next step',
  'ramp.completed': 'a ramp reached its last step',
  'ramp.paused': 'paused a ramp',
  'ramp.resumed': 'resumed a ramp',
  'ramp.aborted': 'aborted a ramp',
  'ramp.rolled_back': 'a ramp was rolled back by its guard',
  'schedule.created': 'scheduled a change',
  'schedule.cancelled': 'cancelled a scheduled change',
  'schedule.applied': 'a scheduled change was applied',
  'schedule.failed': 'a scheduled change could not be applied',
  'environment.settings_changed': 'changed the protection settings',
  'change_request.created': 'proposed a change',
  'change_request.reviewed': 'reviewed a change request',
  'change_request.approved': 'approved a change request',
  'change_request.rejected': 'rejected a change request',
  'change_request.applied': 'applied a change request',
  'change_request.rebased': 'rebased a change request',
  'change_request.withdrawn': 'withdrew a change request',
  'freeze.created': 'added a freeze window',
  'freeze.updated': 'changed a freeze window',
  'freeze.deleted': 'deleted a freeze window',
  'freeze.overridden': 'overrode a freeze window',
};

/** "turned it on in production", "created segment beta-users" */
export function describeAction(action: string, resourceType: string, resourceKey: string, environment: string | null): string {
  const base = ACTIONS[action];
  const where = environment ? ` in ${environment}` : '';
  if (base) return `${base}${where}`;
  const [, verb = action] = action.split('.');
  return `${verb.replace(/_/g, ' ')} ${resourceType} ${resourceKey}${where}`;
}
