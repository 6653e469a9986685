import { useState } from 'react';
import { api, messageOf, seg } from '../api.ts';
import { dateTime, formatNumber } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useActivity } from '../live.ts';
import type { Permission } from '../session.tsx';
import type { Rule } from '../types.ts';
import { Banner, Button, ConfirmDialog, useToast } from './ui.tsx';

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
  guard: { metric: string; comparator: string; threshold: number; action: string } | null;
}

interface Schedule {
  id: string;
  runAt: string;
  state: string;
  patch: { enabled?: boolean; rules?: Rule[]; variants?: unknown[]; dependencies?: unknown[] };
}

const LIVE = new Set(['pending', 'running', 'paused']);

/** A time in the viewer's zone and in UTC: people in several zones read the same page. */
export function bothZones(iso: string): string {
  const utc = new Date(iso).toISOString().slice(0, 16).replace('T', ' ');
  return `${dateTime(iso)} (${utc} UTC)`;
}

function patchText(p: Schedule['patch']): string {
  const parts: string[] = [];
  if (p.enabled !== undefined) parts.push(p.enabled ? 'turn it on' : 'turn it off');
  if (p.rules) parts.push(`set its rules (${p.rules.length})`);
  if (p.variants) parts.push('set its variants');
  if (p.dependencies) parts.push('set its dependencies');
  return parts.join(', ') || 'change it';
}

export function PendingWork({
  flagKey,
  env,
  envName,
  rules,
  perm,
}: {
  flagKey: string;
  env: string;
  envName: string;
  rules: Rule[];
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

  const act = async (key: string, run: () => Promise<unknown>, done: string) => {
    setBusy(key);
    setError(null);
    try {
      await run();
      notify(done, 'success');
      setAborting(null);
      await Promise.all([ramps.reload(), schedules.reload()]);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(null);
    }
  };

  const live = (ramps.data?.ramps ?? []).filter((r) => LIVE.has(r.state));
  const pending = (schedules.data?.schedules ?? []).filter((s) => s.state === 'pending');
  if (live.length === 0 && pending.length === 0) return null;
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
            {r.guard ? (
              <p className="small">
                Guard: {r.guard.action === 'rollback' ? 'roll back' : 'pause'} when {r.guard.metric} is{' '}
                {r.guard.comparator === 'gt' ? 'above' : 'below'} {formatNumber(r.guard.threshold)}.
              </p>
            ) : null}
            <p className="small">Editing this rule’s percentage now is overridden at the next step; pause the ramp first.</p>
            <div className="row gap-small">
              {r.state === 'pending' ? (
                <Button
                  size="small"
                  variant="primary"
                  perm={perm}
                  busy={busy === `start-${r.id}`}
                  onClick={() => void act(`start-${r.id}`, () => api.post(`/ramps/${seg(r.id)}/start`), 'Ramp started')}
                >
                  Start ramp
                </Button>
              ) : null}
              {r.state === 'running' ? (
                <Button
                  size="small"
                  perm={perm}
                  busy={busy === `pause-${r.id}`}
                  onClick={() => void act(`pause-${r.id}`, () => api.post(`/ramps/${seg(r.id)}/pause`), 'Ramp paused')}
                >
                  Pause ramp
                </Button>
              ) : null}
              {r.state === 'paused' ? (
                <Button
                  size="small"
                  perm={perm}
                  busy={busy === `resume-${r.id}`}
                  onClick={() => void act(`resume-${r.id}`, () => api.post(`/ramps/${seg(r.id)}/resume`), 'Ramp resumed')}
                >
                  Resume ramp
                </Button>
              ) : null}
              <Button size="small" variant="danger" perm={perm} onClick={() => setAborting(r)}>
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
                  At {bothZones(s.runAt)}: {patchText(s.patch)}.
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
    </section>
  );
}
