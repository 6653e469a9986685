import { type ReactNode, useEffect, useRef, useState } from 'react';
import { ApiError, api, messageOf } from '../api.ts';
import { type ChangeRequest, type ChangeRequestChange, defaultTitle, segmentsUsed, targetOf } from '../change-requests.ts';
import type { Change } from '../describe.ts';
import { checkOverride, type FrozenInfo, frozenExplanation, frozenInfo, OVERRIDE_HEADER } from '../freeze.ts';
import { useResource } from '../hooks.ts';
import { useSession } from '../session.tsx';
import type { Environment, Rule, Segment } from '../types.ts';
import { ChangeList } from './changes.tsx';
import { Banner, Button, ConfirmDialog, Field, useToast } from './ui.tsx';

/**
 * Writes to a protected environment (issue 17). Every write there is confirmed in a dialog that
 * shows its exact diff (rules, variants, the segments the rules use, the ramps and scheduled
 * changes that will still act on the flag), not only the switch; where the environment needs
 * approvals, Save proposes a change request instead; a write refused by a freeze window
 * (423 ENVIRONMENT_FROZEN) is explained, and admins can retry it with a written justification.
 */

export type WriteHeaders = Record<string, string> | undefined;

export interface ProtectedWrite {
  /** "Save changes to new-checkout in Production?" */
  title: string;
  /** The confirm button: "Save to Production". */
  confirmLabel: string;
  /** What changes, for the dialog's first sentence: the flag's name and key. */
  subject?: ReactNode;
  /** The diff, in the editor's words. */
  changes: Change[];
  /** The flag whose ramps and schedules to list, and the rules whose segments to list. */
  flagKey?: string;
  rules?: Rule[];
  danger?: boolean;
  /** Runs the write; it handles its own errors except those passed on to `refused`. */
  run: (headers: WriteHeaders) => Promise<void>;
  /** The same change as a change request, for environments that need approvals; null when it cannot be one. */
  change: ChangeRequestChange | null;
  /** The request's title when it says more than the one made from the diff ("Revert x to version 3"). */
  proposalTitle?: string;
  /** After a request was proposed (the editor discards its draft). */
  onProposed?: (cr: ChangeRequest) => void;
}

interface Frozen {
  info: FrozenInfo;
  retry: (headers: WriteHeaders) => Promise<void>;
}

export interface ProtectedWriter {
  /** Whether writes here go through a dialog first. */
  guarded: boolean;
  /** Whether writes here become change requests. */
  needsApproval: boolean;
  /** Confirms, proposes or runs the write, as the environment asks. */
  write: (w: ProtectedWrite) => void;
  /**
   * For the write's catch: true when the error was a freeze (explained in `element`) or a refusal
   * that wants a change request (the proposal dialog opens); false for anything else.
   */
  refused: (err: unknown, retry: (headers: WriteHeaders) => Promise<void>, w?: ProtectedWrite) => boolean;
  /** The dialogs and the freeze notice; render it once. */
  element: ReactNode;
}

export function useProtectedWrite(env: Environment | undefined): ProtectedWriter {
  const { me } = useSession();
  const [confirming, setConfirming] = useState<ProtectedWrite | null>(null);
  const [proposing, setProposing] = useState<ProtectedWrite | null>(null);
  const [frozen, setFrozen] = useState<Frozen | null>(null);
  const [busy, setBusy] = useState(false);
  const needsApproval = (env?.requiredApprovals ?? 0) > 0;
  const guarded = env?.protected === true || needsApproval;

  const write = (w: ProtectedWrite) => {
    setFrozen(null);
    if (needsApproval && w.change) setProposing(w);
    else if (guarded) setConfirming(w);
    else void w.run(undefined);
  };

  const refused = (err: unknown, retry: (headers: WriteHeaders) => Promise<void>, w?: ProtectedWrite) => {
    const info = err instanceof ApiError && err.status === 423 ? frozenInfo(err) : null;
    if (info) {
      setFrozen({ info, retry });
      return true;
    }
    if (err instanceof ApiError && err.code === 'APPROVAL_REQUIRED' && w?.change) {
      // The environment started to need approvals after this page loaded.
      setProposing(w);
      return true;
    }
    return false;
  };

  const confirm = async () => {
    if (!confirming) return;
    setBusy(true);
    try {
      await confirming.run(undefined);
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  };

  const element = (
    <>
      {frozen ? (
        <FrozenNotice
          info={frozen.info}
          envName={env?.name ?? 'The environment'}
          admin={me.role === 'admin'}
          onOverride={async (justification) => {
            // Gone once retried: a second refusal (another window) shows its own notice.
            setFrozen(null);
            await frozen.retry({ [OVERRIDE_HEADER]: justification.trim() });
          }}
          onClose={() => setFrozen(null)}
        />
      ) : null}
      {confirming && env ? (
        <ConfirmWrite w={confirming} env={env} busy={busy} onCancel={() => setConfirming(null)} onConfirm={() => void confirm()} />
      ) : null}
      {proposing && env ? <ProposeDialog w={proposing} env={env} onClose={() => setProposing(null)} /> : null}
    </>
  );

  return { guarded, needsApproval, write, refused, element };
}

interface Ramp {
  id: string;
  ruleId: string;
  state: string;
  steps: Array<{ percentage: number }>;
  currentStep: number;
  nextStepAt: string | null;
}
interface Schedule {
  id: string;
  runAt: string;
  patch: { enabled?: boolean; rules?: unknown[] };
}

const utc = (iso: string) => `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** What else will act on the flag after this write: live ramps and pending scheduled changes. */
function PlannedWork({ flagKey, env }: { flagKey: string; env: Environment }) {
  const ramps = useResource(
    () => api.get<{ ramps: Ramp[] }>('/ramps', { query: { flag: flagKey, environment: env.key, limit: 50 } }).catch(() => ({ ramps: [] })),
    [flagKey, env.key],
  );
  const schedules = useResource(
    () =>
      api
        .get<{ schedules: Schedule[] }>('/schedules', { query: { flag: flagKey, environment: env.key, state: 'pending', limit: 50 } })
        .catch(() => ({ schedules: [] })),
    [flagKey, env.key],
  );
  const live = (ramps.data?.ramps ?? []).filter((r) => ['pending', 'running', 'paused'].includes(r.state));
  const pending = schedules.data?.schedules ?? [];
  if (!ramps.data || !schedules.data) return <p className="muted small">Looking for ramps and scheduled changes…</p>;
  if (live.length === 0 && pending.length === 0)
    return <p className="muted small">No ramp or scheduled change will act on this flag here.</p>;
  return (
    <ul className="plain-list small">
      {live.map((r) => (
        <li key={r.id}>
          A {r.state} ramp sets the rollout of rule <code>{r.ruleId}</code> ({r.steps.map((s) => `${s.percentage}%`).join(' → ')}, step{' '}
          {r.currentStep + 1} of {r.steps.length}
          {r.nextStepAt ? `, next at ${utc(r.nextStepAt)}` : ''}); it will set that percentage again.
        </li>
      ))}
      {pending.map((s) => (
        <li key={s.id}>
          A scheduled change at {utc(s.runAt)} will{' '}
          {[
            s.patch.enabled === undefined ? null : s.patch.enabled ? 'turn it on' : 'turn it off',
            s.patch.rules ? 'replace its rules' : null,
          ]
            .filter(Boolean)
            .join(' and ') || 'change it'}
          .
        </li>
      ))}
    </ul>
  );
}

/** The parts every confirmation and proposal shows: the diff, the segments used, the planned work. */
function WriteDetails({ w, env }: { w: ProtectedWrite; env: Environment }) {
  const segments = useResource(
    () =>
      w.rules?.some((r) => (r.segments ?? []).length > 0)
        ? api.getAll<'segments', Segment>('/segments', 'segments')
        : Promise.resolve({ segments: [] }),
    [w.flagKey],
  );
  const used = w.rules ? segmentsUsed(w.rules, segments.data?.segments ?? []) : [];
  return (
    <>
      <h3 className="h4">What changes</h3>
      <ChangeList changes={w.changes} empty="Nothing changes." />
      {used.length > 0 ? (
        <>
          <h3 className="h4">Segments the rules use</h3>
          <ul className="plain-list small">
            {used.map((s) => (
              <li key={s.key}>
                <code>{s.key}</code>: {s.text}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {w.flagKey ? (
        <>
          <h3 className="h4">Ramps and scheduled changes</h3>
          <PlannedWork flagKey={w.flagKey} env={env} />
        </>
      ) : null}
    </>
  );
}

function ConfirmWrite({
  w,
  env,
  busy,
  onCancel,
  onConfirm,
}: {
  w: ProtectedWrite;
  env: Environment;
  busy: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  return (
    <ConfirmDialog
      open
      wide
      title={w.title}
      confirmLabel={w.confirmLabel}
      danger={w.danger}
      busy={busy}
      onCancel={onCancel}
      onConfirm={onConfirm}
    >
      <p>
        <strong>{env.name}</strong> is protected: {w.subject ?? 'this'} changes for its users as soon as you confirm.
      </p>
      <WriteDetails w={w} env={env} />
    </ConfirmDialog>
  );
}

function ProposeDialog({ w, env, onClose }: { w: ProtectedWrite; env: Environment; onClose: () => void }) {
  const notify = useToast();
  const [title, setTitle] = useState(
    () => w.proposalTitle ?? defaultTitle(w.flagKey ?? (w.change ? targetOf(w.change) : ''), env.name, w.changes),
  );
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const propose = async () => {
    if (!w.change) return;
    setBusy(true);
    setError(undefined);
    try {
      const cr = await api.post<ChangeRequest>('/change-requests', {
        environment: env.key,
        title: title.trim(),
        ...(reason.trim() ? { reason: reason.trim() } : {}),
        change: w.change,
      });
      notify(`Change request proposed: ${cr.title}`, 'success');
      onClose();
      w.onProposed?.(cr);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const n = env.requiredApprovals ?? 1;
  return (
    <ConfirmDialog
      open
      wide
      title={`Propose a change to ${env.name}`}
      confirmLabel="Propose change"
      busy={busy}
      error={error}
      confirmDisabled={!title.trim()}
      onCancel={onClose}
      onConfirm={() => void propose()}
    >
      <p>
        Changes to <strong>{env.name}</strong> need {n} approval{n === 1 ? '' : 's'}. Nothing changes now: your change becomes a request
        that others review, and it is applied once approved.
      </p>
      <Field label="Title">
        {(p) => <input {...p} className="input" value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} />}
      </Field>
      <Field label="Reason" hint="Why, and how you will know it works (reviewers read this)">
        {(p) => <textarea {...p} className="input" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
      <WriteDetails w={w} env={env} />
    </ConfirmDialog>
  );
}

/** Why Save was refused during a freeze window, and for admins an override with a justification. */
export function FrozenNotice({
  info,
  envName,
  admin,
  onOverride,
  onClose,
}: {
  info: FrozenInfo;
  envName: string;
  admin: boolean;
  onOverride: (justification: string) => Promise<void>;
  onClose: () => void;
}) {
  const [text, setText] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const explanation = frozenExplanation(info, envName, { admin });
  const problem = checkOverride(text);
  // The save that was refused sits in a bar at the bottom of a long page: bring the reason into view.
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView?.({ block: 'center' });
  }, []);
  return (
    <section className="frozen" role="alert" aria-labelledby="frozen-title" ref={ref}>
      <Banner tone="danger" title={<span id="frozen-title">Not saved: {explanation.title}</span>}>
        {explanation.lines.map((l) => (
          <p key={l}>{l}</p>
        ))}
        {admin ? (
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              setTouched(true);
              if (problem) return;
              setBusy(true);
              void onOverride(text).finally(() => setBusy(false));
            }}
          >
            <Field
              label="Justification for the override"
              hint="Kept in the audit log with the change"
              error={touched ? problem : undefined}
            >
              {(p) => <textarea {...p} className="input" rows={2} value={text} onChange={(e) => setText(e.target.value)} />}
            </Field>
            <div className="row gap-small">
              <Button type="submit" variant="danger" busy={busy}>
                Override the freeze and save
              </Button>
              <Button variant="ghost" onClick={onClose}>
                Close
              </Button>
            </div>
          </form>
        ) : (
          <Button size="small" variant="ghost" onClick={onClose}>
            Close
          </Button>
        )}
      </Banner>
    </section>
  );
}
