import { useState } from 'react';
import { api, seg } from '../api.ts';
import { useAppData } from '../data.tsx';
import { checkFreezeForm, type FreezeForm, type FreezeWindow, modeText, windowStatus, windowText } from '../freeze.ts';
import { useResource } from '../hooks.ts';
import { Issues } from '../issues.ts';
import { useActivity } from '../live.ts';
import { usePermission } from '../session.tsx';
import type { Environment } from '../types.ts';
import { submitWith, useAction } from '../use-action.ts';
import { useConfirm } from '../use-confirm.ts';
import { FormError } from './form-error.tsx';
import { isoToLocalInput, localInputToIso } from './inputs.tsx';
import { Badge, Button, ConfirmDialog, ErrorState, Field, Loading, useToast } from './ui.tsx';

/**
 * Issue 17 on the Environments page: per environment, the protection settings (protected, the
 * approvals a change needs, whether authors apply their own) and the freeze windows. Everyone sees
 * them; admins edit them.
 */
export function EnvironmentProtection() {
  const { environments } = useAppData();
  return (
    <section className="section" aria-labelledby="protection-title">
      <h2 id="protection-title">Protection and freeze windows</h2>
      <p className="muted">
        In a <strong>protected</strong> environment every change is confirmed with its diff. With approvals, changes become change requests
        that others review. During a freeze window changes are refused unless an admin overrides with a written reason.
      </p>
      {environments.map((env) => (
        <EnvironmentCard key={env.key} env={env} />
      ))}
    </section>
  );
}

function EnvironmentCard({ env }: { env: Environment }) {
  return (
    <section className="card" aria-label={`Protection of ${env.name}`}>
      <h3 className="h4">{env.name}</h3>
      <SettingsForm key={`${env.key}/${env.version}`} env={env} />
      <FreezeWindows env={env} />
    </section>
  );
}

function SettingsForm({ env }: { env: Environment }) {
  const perm = usePermission('admin', 'change environment settings');
  const { reloadEnvironments } = useAppData();
  const notify = useToast();
  const initial = {
    protected: env.protected === true,
    requiredApprovals: env.requiredApprovals ?? 0,
    allowSelfApply: env.allowSelfApply ?? true,
  };
  const [form, setForm] = useState(initial);
  const dirty =
    form.protected !== initial.protected ||
    form.requiredApprovals !== initial.requiredApprovals ||
    form.allowSelfApply !== initial.allowSelfApply;
  const save = useAction(async () => {
    await api.patch(`/environments/${seg(env.key)}/settings`, { ...form, version: env.version });
    notify(`Saved the settings of ${env.name}`, 'success');
    reloadEnvironments();
  });
  if (!perm.allowed) {
    return (
      <p className="small">
        {initial.protected ? 'Protected' : 'Not protected'}; changes need{' '}
        {initial.requiredApprovals === 0
          ? 'no approval'
          : `${initial.requiredApprovals} approval${initial.requiredApprovals === 1 ? '' : 's'}`}
        {initial.requiredApprovals > 0
          ? initial.allowSelfApply
            ? '; authors may apply their own'
            : '; someone other than the author applies'
          : ''}
        .
      </p>
    );
  }
  return (
    <form className="form" onSubmit={submitWith(save)} noValidate aria-label={`Settings of ${env.name}`}>
      <div className="form-row">
        <label className="check">
          <input type="checkbox" checked={form.protected} onChange={(e) => setForm({ ...form, protected: e.target.checked })} /> Protected
        </label>
        <Field label="Approvals needed" hint="0: changes apply directly" error={save.issues.at('/requiredApprovals')}>
          {(p) => (
            <input
              {...p}
              type="number"
              min={0}
              max={5}
              step={1}
              className="input narrow-input"
              value={form.requiredApprovals}
              onChange={(e) => setForm({ ...form, requiredApprovals: Math.max(0, Math.min(5, Math.trunc(Number(e.target.value) || 0))) })}
            />
          )}
        </Field>
        <label className="check">
          <input
            type="checkbox"
            checked={form.allowSelfApply}
            disabled={form.requiredApprovals === 0}
            onChange={(e) => setForm({ ...form, allowSelfApply: e.target.checked })}
          />{' '}
          Authors may apply their own approved changes
        </label>
        <Button type="submit" variant="primary" busy={save.busy} disabled={!dirty} className="align-end">
          Save settings
        </Button>
      </div>
      <FormError error={save.error} issues={save.issues} />
    </form>
  );
}

const STATUS: Record<string, { label: string; tone: string }> = {
  active: { label: 'in force now', tone: 'danger' },
  upcoming: { label: 'upcoming', tone: 'info' },
  recurring: { label: 'weekly', tone: 'info' },
  ended: { label: 'ended', tone: 'neutral' },
};

const EMPTY_FORM: FreezeForm = { start: '', end: '', reason: '', recurrence: 'none', mode: 'refuse' };

export function FreezeWindows({ env }: { env: Environment }) {
  const perm = usePermission('admin', 'manage freeze windows');
  const notify = useToast();
  const path = `/environments/${seg(env.key)}/freeze-windows`;
  const list = useResource(() => api.get<{ items: FreezeWindow[] }>(path), [path]);
  useActivity(
    (a) => a.resourceType === 'freeze_window' || a.resourceType === 'environment',
    () => void list.reload(),
  );
  const [form, setForm] = useState<FreezeForm>(EMPTY_FORM);
  const [checked, setChecked] = useState<Issues>(new Issues());
  const create = useAction(async () => {
    const issues = checkFreezeForm(form);
    setChecked(new Issues(issues));
    if (issues.length > 0) throw new Error('Fix the marked fields first.');
    await api.post(path, { ...form, reason: form.reason.trim() });
    notify(`Freeze window added to ${env.name}`, 'success');
    setForm(EMPTY_FORM);
    void list.reload();
  });
  const removing = useConfirm(async (w: FreezeWindow) => {
    await api.del(`${path}/${seg(w.id)}`, { version: w.version });
    notify('Freeze window deleted', 'success');
    void list.reload();
  });
  const issues = checked.concat(create.issues);
  const windows = list.data?.items ?? [];

  return (
    <div className="freeze-windows">
      <h4 className="h4">Freeze windows</h4>
      {list.error ? <ErrorState error={list.error} onRetry={() => void list.reload()} /> : null}
      {!list.data && !list.error ? <Loading /> : null}
      {list.data && windows.length === 0 ? <p className="muted small">No freeze windows.</p> : null}
      {windows.length > 0 ? (
        <ul className="plain-list">
          {windows.map((w) => {
            const s = STATUS[windowStatus(w)] ?? { label: '', tone: 'neutral' };
            return (
              <li key={w.id} className="row gap-small wrap">
                <Badge tone={s.tone}>{s.label}</Badge>
                <span>
                  <strong>{w.reason}</strong>: {windowText(w)}. <span className="muted small">{modeText(w.mode)}.</span>
                </span>
                {perm.allowed ? (
                  <Button size="small" variant="ghost" onClick={() => removing.open(w)} aria-label={`Delete the freeze window ${w.reason}`}>
                    Delete
                  </Button>
                ) : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      {perm.allowed ? (
        <details className="freeze-add">
          <summary>Add a freeze window to {env.name}</summary>
          <form className="form inline-form" onSubmit={submitWith(create)} noValidate aria-label={`New freeze window in ${env.name}`}>
            <div className="form-row">
              <Field label="Starts" error={issues.at('/start')}>
                {(p) => (
                  <input
                    {...p}
                    type="datetime-local"
                    className="input"
                    value={isoToLocalInput(form.start)}
                    onChange={(e) => setForm({ ...form, start: localInputToIso(e.target.value) })}
                  />
                )}
              </Field>
              <Field label="Ends" error={issues.at('/end')}>
                {(p) => (
                  <input
                    {...p}
                    type="datetime-local"
                    className="input"
                    value={isoToLocalInput(form.end)}
                    onChange={(e) => setForm({ ...form, end: localInputToIso(e.target.value) })}
                  />
                )}
              </Field>
              <Field label="Freeze reason" error={issues.at('/reason')}>
                {(p) => (
                  <input {...p} className="input" value={form.reason} onChange={(e) => setForm({ ...form, reason: e.target.value })} />
                )}
              </Field>
              <Field label="Repeats">
                {(p) => (
                  <select
                    {...p}
                    className="input"
                    value={form.recurrence}
                    onChange={(e) => setForm({ ...form, recurrence: e.target.value as FreezeForm['recurrence'] })}
                  >
                    <option value="none">Once</option>
                    <option value="weekly">Every week</option>
                  </select>
                )}
              </Field>
              <Field label="Ramps and schedules">
                {(p) => (
                  <select
                    {...p}
                    className="input"
                    value={form.mode}
                    onChange={(e) => setForm({ ...form, mode: e.target.value as FreezeForm['mode'] })}
                  >
                    <option value="refuse">Refused</option>
                    <option value="defer">Wait until it ends</option>
                  </select>
                )}
              </Field>
              <Button type="submit" variant="primary" busy={create.busy} className="align-end">
                Add freeze window
              </Button>
            </div>
            <FormError error={create.error} issues={issues} />
          </form>
        </details>
      ) : null}
      <ConfirmDialog
        {...removing.dialog}
        title={`Delete the freeze window “${removing.target?.reason ?? ''}”?`}
        confirmLabel="Delete"
        danger
      >
        <p>Changes to {env.name} are no longer refused during it.</p>
      </ConfirmDialog>
    </div>
  );
}
