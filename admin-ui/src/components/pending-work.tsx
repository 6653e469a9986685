import { useEffect, useState, useSyncExternalStore } from 'react';
import { api, messageOf, seg } from '../api.ts';
import { type ChangeRequestChange, proposedChanges } from '../change-requests.ts';
import { useAppData } from '../data.tsx';
import { describePatch, type PlannedPatch } from '../describe-plans.ts';
import { dateTime, formatNumber } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { Link } from '../router.tsx';
import type { Permission } from '../session.tsx';
import type { Rule } from '../types.ts';
import { GuardSummary, type RampGuard } from './guard-metrics.tsx';
import { type ProtectedWrite, type ProtectedWriter, useProtectedWrite, type WriteHeaders } from './protected-confirm.tsx';
import { type RampBody, RampForm } from './ramp-form.tsx';
import { Banner, Button, ConfirmDialog, Field, useToast } from './ui.tsx';

/**
 * What will change this flag in this environment without anyone editing it: running or paused
 * ramps (their plan, the current step, when the next one comes) with Pause / Resume / Abort, and
 * pending scheduled changes with Cancel. Shown above the rules, so whoever edits a ramped rule
 * knows the next step will set its percentage again.
 */

interface Ramp {
  id: string;
  ruleId: string;
  steps: Array<{ percentage: number; holdSeconds: number }>;
  state: string;
  currentStep: number;
  nextStepAt: string | null;
  reason: string | null;
  guard: RampGuard | null;
  version: number;
}

interface Schedule {
  id: string;
  runAt: string;
  state: string;
  patch: { enabled?: boolean; rules?: Rule[]; variants?: unknown[]; dependencies?: unknown[] };
}

/** The one action a ramp in each state offers besides Abort. */
const RAMP_ACTIONS = [
  { state: 'pending', action: 'start', label: 'Start ramp', done: 'Ramp started' },
  { state: 'running', action: 'pause', label: 'Pause ramp', done: 'Ramp paused' },
  { state: 'paused', action: 'resume', label: 'Resume ramp', done: 'Ramp resumed' },
] as const;

const LIVE = new Set(['pending', 'running', 'paused']);

/**
 * The rules of the flag on screen that a live ramp will set again, published by PendingWork (one
 * environment at a time is shown), so a rule's card can warn before its percentage is edited.
 */
const ramped = new Map<string, ReadonlySet<string>>();
const rampListeners = new Set<() => void>();
const EMPTY: ReadonlySet<string> = new Set();

function publishRamped(flagKey: string, ids: ReadonlySet<string>) {
  ramped.set(flagKey, ids);
  for (const l of rampListeners) l();
}

/** Whether a live ramp (in the environment shown) will set this rule's percentage again. */
export function useRampedRule(flagKey: string, ruleId: string | undefined): boolean {
  const ids = useSyncExternalStore(
    (cb) => {
      rampListeners.add(cb);
      return () => rampListeners.delete(cb);
    },
    () => ramped.get(flagKey) ?? EMPTY,
  );
  return ruleId !== undefined && ids.has(ruleId);
}

/** A time in the viewer's zone and in UTC: people in several zones read the same page. */
export function bothZones(iso: string): string {
  const utc = new Date(iso).toISOString().slice(0, 16).replace('T', ' ');
  return `${dateTime(iso)} (${utc} UTC)`;
}

function patchText(p: Schedule['patch'], rules?: Rule[]): string {
  return describePatch(p as PlannedPatch, rules ? { rules } : null).join(', ');
}

export function PendingWork({
  flagKey,
  env,
  envName,
  rules,
  enabled,
  perm,
}: {
  flagKey: string;
  env: string;
  envName: string;
  rules: Rule[];
  /** Whether the flag is on here now: the "from" of a scheduled switch. */
  enabled: boolean;
  perm: Permission;
}) {
  const notify = useToast();
  const ramps = useResource(
    () => api.get<{ ramps: Ramp[] }>('/ramps', { query: { flag: flagKey, environment: env, limit: 50 } }),
    [flagKey, env],
  );
  const schedules = useResource(
    () => api.get<{ schedules: Schedule[] }>('/schedules', { query: { flag: flagKey, environment: env, state: 'pending', limit: 50 } }),
    [flagKey, env],
  );
  useActivity(
    (a) => a.resourceKey === flagKey || a.resourceType === 'ramp' || a.resourceType === 'schedule',
    () => {
      void ramps.reload();
      void schedules.reload();
    },
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [aborting, setAborting] = useState<Ramp | null>(null);
  // Issue 17: in a protected environment a ramp's start, resume and abort are confirmed; where
  // approvals are needed, start, resume and abort become `ramp-update` requests. Pause is the brake: never
  // gated (the server does not gate it either), so it acts at once everywhere.
  const { environments } = useAppData();
  const guard = useProtectedWrite(environments.find((e) => e.key === env));

  const act = async (
    key: string,
    run: (headers: WriteHeaders) => Promise<unknown>,
    done: string,
    w?: ProtectedWrite,
    headers?: WriteHeaders,
  ) => {
    setBusy(key);
    setError(null);
    try {
      await run(headers);
      notify(done, 'success');
      setAborting(null);
      await Promise.all([ramps.reload(), schedules.reload()]);
    } catch (err) {
      setAborting(null);
      if (!guard.refused(err, (h) => act(key, run, done, w, h), w)) setError(messageOf(err));
    } finally {
      setBusy(null);
    }
  };
  const rampWrite = (r: Ramp, action: 'start' | 'resume' | 'abort', label: string, done: string): ProtectedWrite => {
    const run = (headers: WriteHeaders) =>
      api.post(`/ramps/${seg(r.id)}/${action}`, action === 'abort' ? { to: 'previous' } : undefined, { headers });
    const change: ChangeRequestChange = { kind: 'ramp-update', rampId: r.id, baseVersion: r.version, action };
    const w: ProtectedWrite = {
      title: `${action[0]?.toUpperCase()}${action.slice(1)} the ramp of ${ruleName(r.ruleId)}?`,
      confirmLabel: label,
      subject: (
        <>
          the ramp of <code>{flagKey}</code>
        </>
      ),
      danger: action === 'abort',
      changes: [
        {
          kind: 'changed',
          label: `Ramp of ${ruleName(r.ruleId)}`,
          before: r.state,
          after:
            action === 'abort'
              ? 'aborted (the rule goes back to its percentage before the ramp)'
              : action === 'start'
                ? 'running'
                : 'running again',
        },
      ],
      flagKey,
      proposalTitle: `${label} of ${flagKey} in ${envName}`,
      run: (headers) => act(`${action}-${r.id}`, run, done, w, headers),
      change,
      onProposed: () => setAborting(null),
    };
    return w;
  };

  const live = (ramps.data?.ramps ?? []).filter((r) => LIVE.has(r.state));
  const pending = (schedules.data?.schedules ?? []).filter((s) => s.state === 'pending');
  const liveKey = live
    .filter((r) => r.state !== 'pending')
    .map((r) => r.ruleId)
    .sort()
    .join('\n');
  useEffect(() => {
    publishRamped(flagKey, new Set(liveKey ? liveKey.split('\n') : []));
    return () => publishRamped(flagKey, EMPTY);
  }, [flagKey, liveKey]);
  const reload = () => {
    void ramps.reload();
    void schedules.reload();
  };
  const ruleName = (id: string) => {
    const i = rules.findIndex((r) => r.id === id);
    return i >= 0 ? `Rule ${i + 1}${rules[i]?.description ? ` (“${rules[i]?.description}”)` : ''}` : `rule ${id}`;
  };

  return (
    <section className="pending-work" aria-label={`Planned changes in ${envName}`}>
      {live.map((r) => {
        const step = r.steps[r.currentStep];
        const next = r.steps[r.currentStep + 1];
        const plan = r.steps.map((s) => `${formatNumber(s.percentage)}%`).join(' → ');
        return (
          <Banner
            key={r.id}
            tone="warning"
            title={
              r.state === 'pending'
                ? `${ruleName(r.ruleId)} has a ramp ready to start`
                : `${ruleName(r.ruleId)} is being ramped up (${r.state})`
            }
          >
            <p>
              Plan: {plan}.{' '}
              {step ? `Now at step ${r.currentStep + 1} of ${r.steps.length} (${formatNumber(step.percentage)}%).` : 'Not started yet.'}{' '}
              {r.state === 'running' && next && r.nextStepAt
                ? `Next: ${formatNumber(next.percentage)}% at ${bothZones(r.nextStepAt)}.`
                : ''}
              {r.state === 'paused' ? ` Paused${r.reason ? `: ${r.reason}` : ''}.` : ''}
            </p>
            {r.guard ? <GuardSummary guard={r.guard} /> : null}
            <p className="small">Editing this rule’s percentage now is overridden at the next step; pause the ramp first.</p>
            <div className="row gap-small">
              {RAMP_ACTIONS.filter((a) => a.state === r.state).map((a) => (
                <Button
                  key={a.action}
                  size="small"
                  variant={a.action === 'start' ? 'primary' : undefined}
                  perm={perm}
                  busy={busy === `${a.action}-${r.id}`}
                  onClick={() =>
                    a.action === 'pause'
                      ? void act(`${a.action}-${r.id}`, () => api.post(`/ramps/${seg(r.id)}/${a.action}`), a.done)
                      : guard.write(rampWrite(r, a.action, a.label, a.done))
                  }
                >
                  {a.label}
                </Button>
              ))}
              <Button
                size="small"
                variant="danger"
                perm={perm}
                onClick={() =>
                  guard.guarded
                    ? guard.write(rampWrite(r, 'abort', 'Abort ramp', 'Ramp aborted; the rule is back where it was'))
                    : setAborting(r)
                }
              >
                Abort ramp
              </Button>
            </div>
          </Banner>
        );
      })}
      {pending.length > 0 ? (
        <Banner tone="info" title={`Scheduled in ${envName}`}>
          <ul className="plain-list">
            {pending.map((s) => (
              <li key={s.id} className="row gap-small">
                <span>
                  At {bothZones(s.runAt)}: {patchText(s.patch, rules)}.
                </span>
                <Button
                  size="small"
                  variant="ghost"
                  perm={perm}
                  busy={busy === `cancel-${s.id}`}
                  onClick={() => void act(`cancel-${s.id}`, () => api.del(`/schedules/${seg(s.id)}`), 'Scheduled change cancelled')}
                >
                  Cancel<span className="visually-hidden"> the change at {bothZones(s.runAt)}</span>
                </Button>
              </li>
            ))}
          </ul>
        </Banner>
      ) : null}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <ConfirmDialog
        open={aborting !== null}
        title={aborting ? `Abort the ramp of ${ruleName(aborting.ruleId)}?` : ''}
        confirmLabel="Abort ramp"
        danger
        busy={busy === 'abort'}
        onCancel={() => setAborting(null)}
        onConfirm={() =>
          aborting &&
          void act(
            'abort',
            () => api.post(`/ramps/${seg(aborting.id)}/abort`, { to: 'previous' }),
            'Ramp aborted; the rule is back where it was',
          )
        }
      >
        <p>No more steps are taken, and the rule goes back to the percentage it had before the ramp.</p>
      </ConfirmDialog>
      <PlanChange
        flagKey={flagKey}
        env={env}
        envName={envName}
        rules={rules}
        enabled={enabled}
        perm={perm}
        onPlanned={reload}
        guard={guard}
      />
      {guard.element}
    </section>
  );
}

const utcText = (iso: string) => `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** A datetime-local value (the viewer's zone) as ISO UTC; null when it is not a time. */
function localToIso(value: string): string | null {
  const d = new Date(value);
  return value && !Number.isNaN(d.getTime()) ? d.toISOString() : null;
}

/**
 * Plan a change without being there: schedule one (on, off, or a rule's percentage) at a time read in
 * the viewer's zone and shown in UTC, or start a ramp on a rule (preset or own steps, a hold time per
 * step, an optional guard on a reported metric).
 */
export function PlanChange({
  flagKey,
  env,
  envName,
  rules,
  enabled,
  perm,
  onPlanned,
  guard,
}: {
  flagKey: string;
  env: string;
  envName: string;
  rules: Rule[];
  /** Whether the flag is on here now. */
  enabled: boolean;
  perm: Permission;
  onPlanned: () => void;
  /** Issue 17: confirms (protected) or proposes (approvals) each plan; without it, plans are written at once. */
  guard?: ProtectedWriter;
}) {
  const notify = useToast();
  const ruled = rules.map((r, i) => ({ rule: r, i })).filter((x): x is { rule: Rule & { id: string }; i: number } => Boolean(x.rule.id));
  const [what, setWhat] = useState('on');
  const [pct, setPct] = useState('25');
  const [when, setWhen] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const whenIso = localToIso(when);

  const run = async (key: string, act: (headers?: WriteHeaders) => Promise<string>, w?: ProtectedWrite, headers?: WriteHeaders) => {
    setBusy(key);
    setError(null);
    try {
      const done = await act(headers);
      // Empty when the plan was handed to the protected-write flow, which says what became of it.
      if (done) {
        notify(done, 'success');
        onPlanned();
      }
    } catch (err) {
      if (!guard?.refused(err, (h) => run(key, act, w, h), w)) setError(messageOf(err));
    } finally {
      setBusy(null);
    }
  };
  /** Writes the plan at once, or through the guard: its confirmation, or a change request. */
  const plan = (key: string, write: (headers?: WriteHeaders) => Promise<string>, w: Omit<ProtectedWrite, 'run'>): Promise<string> => {
    if (!guard || (!guard.guarded && !guard.needsApproval)) return write(undefined);
    const full: ProtectedWrite = {
      ...w,
      run: (headers) => run(key, write, full, headers),
      onProposed: () => onPlanned(),
    };
    guard.write(full);
    return Promise.resolve('');
  };
  const current = { rules };

  const startRamp = (body: RampBody, startNow: boolean) => {
    const { flag: _flag, environment: _env, ...rest } = body;
    const change: ChangeRequestChange = { kind: 'ramp-start', flagKey, ...rest };
    return run('ramp', () =>
      plan(
        'ramp',
        async (headers) => {
          const created = await api.post<{ id: string }>('/ramps', body, { headers });
          if (startNow) await api.post(`/ramps/${seg(created.id)}/start`, undefined, { headers });
          return startNow ? 'Ramp started' : 'Ramp planned; start it when you are ready';
        },
        {
          title: `${startNow ? 'Start' : 'Plan'} a ramp of ${flagKey} in ${envName}?`,
          confirmLabel: startNow ? 'Start ramp' : 'Plan ramp',
          subject: <code>{flagKey}</code>,
          changes: proposedChanges({ change, current }),
          flagKey,
          rules,
          // A request's ramp starts when it is applied (the server creates and starts it in one go).
          change,
          proposalTitle: `Ramp up ${flagKey} in ${envName}`,
        },
      ),
    );
  };

  const schedule = () =>
    run('schedule', async () => {
      if (!whenIso) throw new Error('Pick when the change should happen');
      let patch: Record<string, unknown>;
      if (what === 'on' || what === 'off') patch = { enabled: what === 'on' };
      else {
        const id = what.slice('rule:'.length);
        const p = Number(pct);
        if (!(p >= 0 && p <= 100)) throw new Error('The percentage is a number from 0 to 100');
        patch = { rules: rules.map((r) => (r.id === id ? { ...r, rollout: { ...(r.rollout ?? {}), percentage: p } } : r)) };
      }
      const change: ChangeRequestChange = { kind: 'schedule', flagKey, runAt: whenIso, patch };
      return plan(
        'schedule',
        async (headers) => {
          await api.post(`/flags/${seg(flagKey)}/environments/${seg(env)}/schedule`, { at: whenIso, patch }, { headers });
          return `Scheduled for ${bothZones(whenIso)}`;
        },
        {
          title: `Schedule a change to ${flagKey} in ${envName}?`,
          confirmLabel: 'Schedule change',
          subject: <code>{flagKey}</code>,
          // From the status now, even when it is the same (a switch planned to a state it is already in).
          changes: [
            ...(typeof patch.enabled === 'boolean'
              ? [
                  {
                    kind: 'changed' as const,
                    label: `At ${utcText(whenIso)}: Status`,
                    before: enabled ? 'On' : 'Off',
                    after: patch.enabled ? 'On' : 'Off',
                  },
                ]
              : []),
            ...proposedChanges({ change, current }),
          ],
          flagKey,
          change,
          proposalTitle: `${flagKey} in ${envName} at ${utcText(whenIso)}: ${patchText(patch)}`,
        },
      );
    });

  if (!perm.allowed) return null;
  return (
    <div className="plan-change">
      <details>
        <summary>Schedule a change in {envName}</summary>
        <div className="plan-form">
          <Field label="Change">
            {(p) => (
              <select {...p} className="input" value={what} onChange={(e) => setWhat(e.target.value)}>
                <option value="on">Turn it on</option>
                <option value="off">Turn it off</option>
                {ruled.map(({ rule, i }) => (
                  <option key={rule.id} value={`rule:${rule.id}`}>
                    Set rule {i + 1}
                    {rule.description ? ` (${rule.description})` : ''} to a percentage
                  </option>
                ))}
              </select>
            )}
          </Field>
          {what.startsWith('rule:') ? (
            <Field label="Percentage (%)">
              {(p) => <input {...p} className="input" inputMode="decimal" value={pct} onChange={(e) => setPct(e.target.value)} />}
            </Field>
          ) : null}
          <Field
            label="When (your time zone)"
            hint={
              whenIso
                ? `${new Date(whenIso).toISOString().slice(0, 16).replace('T', ' ')} UTC${Date.parse(whenIso) <= Date.now() ? ': in the past, so it applies right away' : ''}`
                : 'Shown in UTC once picked'
            }
          >
            {(p) => <input {...p} type="datetime-local" className="input" value={when} onChange={(e) => setWhen(e.target.value)} />}
          </Field>
          <Button variant="primary" busy={busy === 'schedule'} onClick={() => void schedule()}>
            Schedule change
          </Button>
        </div>
      </details>
      {ruled.length > 0 ? (
        <details>
          <summary>Ramp up a rule in {envName}</summary>
          <RampForm
            flagKey={flagKey}
            env={env}
            rules={ruled}
            busy={busy === 'ramp'}
            run={(act) => void run('ramp', act)}
            submit={(body, startNow) => void startRamp(body, startNow)}
          />
        </details>
      ) : null}
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

interface ListedRamp extends Ramp {
  flag: string;
  environment: string;
}
interface ListedSchedule extends Schedule {
  flag: string;
  environment: string;
}

/** Every environment's planned work in one list (the environments page): live ramps and pending schedules. */
export function PlannedWorkList() {
  const ramps = useResource(() => api.get<{ ramps: ListedRamp[] }>('/ramps', { query: { limit: 200 } }), []);
  const schedules = useResource(
    () => api.get<{ schedules: ListedSchedule[] }>('/schedules', { query: { state: 'pending', limit: 200 } }),
    [],
  );
  useActivity(
    (a) => a.resourceType === 'ramp' || a.resourceType === 'schedule' || a.resourceType === 'flag',
    () => {
      void ramps.reload();
      void schedules.reload();
    },
  );
  const live = (ramps.data?.ramps ?? []).filter((r) => LIVE.has(r.state));
  const pending = schedules.data?.schedules ?? [];
  return (
    <section className="section" aria-labelledby="planned-title">
      <h2 id="planned-title">Planned changes</h2>
      {live.length === 0 && pending.length === 0 ? (
        <p className="muted">No ramps under way and no scheduled changes.</p>
      ) : (
        <ul className="plain-list planned-list">
          {live.map((r) => {
            const step = r.steps[r.currentStep];
            const next = r.steps[r.currentStep + 1];
            return (
              <li key={r.id}>
                <strong>{r.environment}</strong>: ramp of{' '}
                <Link to={`/flags/${encodeURIComponent(r.flag)}?env=${encodeURIComponent(r.environment)}`}>{r.flag}</Link> ({r.state}
                {step ? `, at ${formatNumber(step.percentage)}%` : ''}
                {r.state === 'running' && next && r.nextStepAt ? `, ${formatNumber(next.percentage)}% at ${bothZones(r.nextStepAt)}` : ''})
              </li>
            );
          })}
          {pending.map((s) => (
            <li key={s.id}>
              <strong>{s.environment}</strong>:{' '}
              <Link to={`/flags/${encodeURIComponent(s.flag)}?env=${encodeURIComponent(s.environment)}`}>{s.flag}</Link> will{' '}
              {patchText(s.patch)} at {bothZones(s.runAt)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
