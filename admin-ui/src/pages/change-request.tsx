import { useState } from 'react';
import { ApiError, api, messageOf, seg } from '../api.ts';
import {
  type Allowed,
  actionsFor,
  approvalsText,
  type ChangeRequest,
  conflictView,
  DECISION_LABELS,
  proposedChanges,
  type ReviewDecision,
  stateLabel,
  summarize,
  targetLink,
} from '../change-requests.ts';
import { ChangeList } from '../components/changes.tsx';
import { FrozenNotice } from '../components/protected-confirm.tsx';
import { Badge, Banner, Button, type ButtonProps, ConfirmDialog, ErrorState, Field, Loading, useToast } from '../components/ui.tsx';
import { useAppData } from '../data.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { type FrozenInfo, frozenInfo, OVERRIDE_HEADER } from '../freeze.ts';
import { useDocumentTitle, useResource } from '../hooks.ts';
import { useActivity } from '../live.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import type { ConfigVersion, FlagConfig } from '../types.ts';

/**
 * One change request (issue 17): what it would change against the target as it is now, both diffs
 * when the target moved since (with Rebase for its author, as the editor's conflict panel does),
 * the discussion, the review actions and Apply.
 */
export function ChangeRequestPage({ id }: { id: string }) {
  const { me } = useSession();
  const { environments } = useAppData();
  const notify = useToast();
  const path = `/change-requests/${seg(id)}`;
  const cr = useResource(() => api.get<ChangeRequest>(path), [path]);
  useDocumentTitle(cr.data ? cr.data.title : 'Change request');
  useActivity(
    (a) => a.resourceType === 'change_request' && a.resourceKey === id,
    () => void cr.reload(),
  );
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [applying, setApplying] = useState(false);
  const [withdrawing, setWithdrawing] = useState(false);
  const [frozen, setFrozen] = useState<FrozenInfo | null>(null);

  if (cr.error instanceof ApiError && cr.error.status === 404) {
    return (
      <div className="page">
        <h1>Change request not found</h1>
        <p>
          There is no change request <code>{id}</code>. <Link to="/change-requests">Back to the change requests</Link>
        </p>
      </div>
    );
  }
  if (cr.error && !cr.data) return <ErrorState error={cr.error} onRetry={() => void cr.reload()} />;
  if (!cr.data) return <Loading />;
  const r = cr.data;
  const env = environments.find((e) => e.key === r.environment);
  const envName = env?.name ?? r.environment;
  const actions = actionsFor(r, me, env);
  const s = stateLabel(r.state);
  const target = targetLink(r.change, r.environment);

  const act = async (key: string, run: () => Promise<ChangeRequest>, done: string) => {
    setBusy(key);
    setError(null);
    try {
      cr.set(await run());
      notify(done, 'success');
      return true;
    } catch (err) {
      const info = frozenInfo(err);
      if (err instanceof ApiError && err.status === 423 && info) setFrozen(info);
      else setError(messageOf(err));
      if (err instanceof ApiError && (err.status === 409 || err.status === 412)) void cr.reload();
      return false;
    } finally {
      setBusy(null);
    }
  };

  const review = async (decision: ReviewDecision) => {
    const ok = await act(
      decision,
      () => api.post<ChangeRequest>(`${path}/reviews`, { decision, ...(comment.trim() ? { comment: comment.trim() } : {}) }),
      decision === 'comment' ? 'Comment added' : `You ${DECISION_LABELS[decision]} it`,
    );
    if (ok) setComment('');
  };

  const apply = async (headers?: Record<string, string>) => {
    setFrozen(null);
    await act('apply', () => api.post<ChangeRequest>(`${path}/apply`, { version: r.version }, { headers }), `Applied to ${envName}`);
    setApplying(false);
  };

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/change-requests">Change requests</Link> <span aria-hidden="true">/</span> <span aria-current="page">{r.title}</span>
      </nav>
      <div className="page-header">
        <div>
          <h1>
            {r.title} <Badge tone={s.tone}>{s.label}</Badge>
          </h1>
          <p className="muted">
            {summarize(r.change, r.current)} in <strong>{envName}</strong>, proposed by {r.author.name}{' '}
            <span title={dateTime(r.createdAt)}>{timeAgo(r.createdAt)}</span> · {approvalsText(r)}
            {target ? (
              <>
                {' '}
                · <Link to={target}>Open the target</Link>
              </>
            ) : null}
          </p>
        </div>
      </div>
      {r.reason ? (
        <section className="card" aria-labelledby="reason-title">
          <h2 id="reason-title" className="h4">
            Reason
          </h2>
          <p className="pre-wrap">{r.reason}</p>
        </section>
      ) : null}
      {r.state === 'applied' ? (
        <Banner tone="success" title={`Applied to ${envName}`}>
          <p>
            {r.appliedAt ? `${dateTime(r.appliedAt)}` : ''}
            {r.appliedBy ? ` by ${typeof r.appliedBy === 'string' ? r.appliedBy : r.appliedBy.name}` : ''}
            {r.resultVersion ? `, now version ${r.resultVersion}` : ''}.
          </p>
        </Banner>
      ) : null}

      {r.conflict && r.change.kind === 'flag-config' && !['applied', 'rejected', 'withdrawn'].includes(r.state) ? (
        <ConflictSection cr={r} envName={envName} rebase={actions.rebase} onRebased={(next) => cr.set(next)} />
      ) : (
        <section className="section" aria-labelledby="diff-title">
          <h2 id="diff-title">{r.state === 'applied' ? 'What it changed' : 'What it would change'}</h2>
          <p className="muted small">
            {r.state === 'applied'
              ? 'Against the version it replaced.'
              : `Against ${envName} as it is now${r.current?.version !== undefined ? ` (version ${r.current.version})` : ''}.`}
          </p>
          <ChangeList changes={proposedChanges(r)} empty="Nothing would change: the target already looks like this." />
        </section>
      )}

      {frozen ? (
        <FrozenNotice
          info={frozen}
          envName={envName}
          admin={me.role === 'admin'}
          onOverride={(text) => apply({ [OVERRIDE_HEADER]: text.trim() })}
          onClose={() => setFrozen(null)}
        />
      ) : null}
      {error ? (
        <Banner tone="danger" role="alert" title="Not done">
          <p>{error}</p>
        </Banner>
      ) : null}

      <div className="row gap-small wrap">
        <ActionButton allowed={actions.apply} variant="primary" busy={busy === 'apply'} onClick={() => setApplying(true)}>
          Apply to {envName}
        </ActionButton>
        {r.author.id === me.id ? (
          <ActionButton allowed={actions.withdraw} busy={busy === 'withdraw'} onClick={() => setWithdrawing(true)}>
            Withdraw
          </ActionButton>
        ) : null}
      </div>
      {!actions.apply.allowed && r.state !== 'applied' ? <p className="muted small">{actions.apply.reason}.</p> : null}

      <section className="section" aria-labelledby="discussion-title">
        <h2 id="discussion-title">Discussion</h2>
        {(r.reviews ?? []).length === 0 ? <p className="muted">No reviews yet.</p> : null}
        <ol className="plain-list discussion">
          {(r.reviews ?? []).map((rv) => (
            <li key={rv.id} className="card">
              <p>
                <strong>{rv.reviewer.name}</strong> {DECISION_LABELS[rv.decision]}{' '}
                <time className="muted small" dateTime={rv.createdAt} title={dateTime(rv.createdAt)}>
                  {timeAgo(rv.createdAt)}
                </time>
              </p>
              {rv.comment ? <p className="pre-wrap">{rv.comment}</p> : null}
            </li>
          ))}
        </ol>
        {actions.comment.allowed ? (
          <form
            className="card form"
            aria-label="Review"
            onSubmit={(e) => {
              e.preventDefault();
              void review('comment');
            }}
          >
            <Field label="Comment" hint="Optional with a decision; say what you checked or what should change">
              {(p) => <textarea {...p} className="input" rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />}
            </Field>
            <div className="row gap-small wrap">
              <ActionButton allowed={actions.approve} variant="primary" busy={busy === 'approve'} onClick={() => void review('approve')}>
                Approve
              </ActionButton>
              <ActionButton
                allowed={actions.requestChanges}
                busy={busy === 'request_changes'}
                onClick={() => void review('request_changes')}
              >
                Request changes
              </ActionButton>
              <ActionButton allowed={actions.reject} variant="danger" busy={busy === 'reject'} onClick={() => void review('reject')}>
                Reject
              </ActionButton>
              <Button type="submit" busy={busy === 'comment'} disabled={!comment.trim()}>
                Comment
              </Button>
            </div>
          </form>
        ) : (
          <p className="readonly-note">{actions.comment.reason}</p>
        )}
      </section>

      <ConfirmDialog
        open={applying}
        wide
        title={`Apply “${r.title}” to ${envName}?`}
        confirmLabel={`Apply to ${envName}`}
        busy={busy === 'apply'}
        onCancel={() => setApplying(false)}
        onConfirm={() => void apply()}
      >
        <p>
          This reaches the users of <strong>{envName}</strong> as soon as you confirm.
        </p>
        <ChangeList changes={proposedChanges(r)} empty="Nothing would change." />
      </ConfirmDialog>
      <ConfirmDialog
        open={withdrawing}
        title="Withdraw this change request?"
        confirmLabel="Withdraw"
        danger
        busy={busy === 'withdraw'}
        onCancel={() => setWithdrawing(false)}
        onConfirm={() =>
          void act('withdraw', () => api.post<ChangeRequest>(`${path}/withdraw`), 'Change request withdrawn').then(() =>
            setWithdrawing(false),
          )
        }
      >
        <p>Nothing is applied, and reviewers no longer see it as open.</p>
      </ConfirmDialog>
    </div>
  );
}

/** A button an action table allows or not; when not, its reason is the description. */
function ActionButton({ allowed, ...rest }: { allowed: Allowed } & Omit<ButtonProps, 'perm'>) {
  return <Button {...rest} perm={{ allowed: allowed.allowed, reason: allowed.reason }} />;
}

/** The request's base moved: what others saved since, what the request changes, and Rebase. */
function ConflictSection({
  cr,
  envName,
  rebase,
  onRebased,
}: {
  cr: ChangeRequest;
  envName: string;
  rebase: Allowed;
  onRebased: (next: ChangeRequest) => void;
}) {
  const change = cr.change.kind === 'flag-config' ? cr.change : null;
  const notify = useToast();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const base = useResource(async () => {
    if (!change) return null;
    const { versions } = await api.getAll<'versions', ConfigVersion>(
      `/flags/${seg(change.flagKey)}/environments/${seg(cr.environment)}/versions`,
      'versions',
    );
    return versions.find((v) => v.version === change.baseVersion) ?? null;
  }, [change?.flagKey, cr.environment, change?.baseVersion]);
  const current = cr.current as (FlagConfig & { version: number }) | null | undefined;
  if (!change || !current) return null;
  if (base.error) return <ErrorState error={base.error} onRetry={() => void base.reload()} />;
  if (base.data === undefined) return <Loading label="Loading the version it was based on…" />;
  const view = base.data ? conflictView(base.data, current, change.config) : null;
  const doRebase = async () => {
    if (!view) return;
    setBusy(true);
    setError(null);
    try {
      const next = await api.post<ChangeRequest>(`/change-requests/${seg(cr.id)}/rebase`, {
        baseVersion: current.version,
        change: { ...change, baseVersion: current.version, config: view.rebased },
      });
      notify('Rebased onto the latest version; approvals start again', 'success');
      onRebased(next);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card conflict" aria-labelledby="cr-conflict-title">
      <h2 id="cr-conflict-title" className="h3">
        {change.flagKey} changed in {envName} since this was proposed
      </h2>
      <p>
        The request is based on version {change.baseVersion}; the latest is version {current.version}. Applying it is refused until it is
        rebased, so nothing is overwritten.
      </p>
      {view ? (
        <div className="conflict-grid">
          <div>
            <h3 className="h4">
              Their change (version {change.baseVersion} → {current.version})
            </h3>
            <ChangeList changes={view.theirs} empty="Nothing this request touches changed." />
          </div>
          <div>
            <h3 className="h4">This request’s change</h3>
            <ChangeList changes={view.mine} empty="The request changes nothing." />
          </div>
        </div>
      ) : (
        <p className="muted">Version {change.baseVersion} is no longer kept, so only the change against the latest version is shown.</p>
      )}
      <h3 className="h4">Against the latest version</h3>
      <ChangeList changes={proposedChanges(cr)} empty="Nothing would change." />
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="row gap-small wrap">
        <Button
          variant="primary"
          busy={busy}
          perm={{ allowed: rebase.allowed && view !== null, reason: rebase.reason }}
          onClick={() => void doRebase()}
        >
          Rebase onto version {current.version}
        </Button>
      </div>
      <p className="muted small">
        Rebase keeps what the request changes and takes the rest from the latest version; its approvals start again.
      </p>
    </section>
  );
}
