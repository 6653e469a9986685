import { type FormEvent, useEffect, useId, useMemo, useState } from 'react';
import { ApiError, api, messageOf, seg } from '../api.ts';
import { type AttributeHints, ConditionsEditor, newCondition } from '../components/conditions.tsx';
import { ConflictBanner } from '../components/conflict-banner.tsx';
import { IssuesBanner } from '../components/issues-banner.tsx';
import { type ProtectedWrite, useProtectedWrite, type WriteHeaders } from '../components/protected-confirm.tsx';
import {
  Banner,
  Button,
  ConfirmDialog,
  EmptyState,
  ErrorState,
  Field,
  Loading,
  PageHeader,
  ReadOnlyNotice,
  useToast,
} from '../components/ui.tsx';
import { useAppData } from '../data.tsx';
import { describeCondition, diffRecord } from '../describe.ts';
import { dateTime, formatCount, plural, timeAgo } from '../format.ts';
import { useBeforeUnload, useDocumentTitle, useResource } from '../hooks.ts';
import { Issues } from '../issues.ts';
import { useActivity } from '../live.ts';
import { same } from '../merge.ts';
import { WELL_KNOWN_ATTRIBUTES } from '../operators.ts';
import { Link, navigate } from '../router.tsx';
import { usePermission } from '../session.tsx';
import type { Condition, Segment } from '../types.ts';
import { useAction } from '../use-action.ts';
import { useConfirm } from '../use-confirm.ts';
import { checkConditions } from '../validate.ts';

export function SegmentsPage() {
  useDocumentTitle('Segments');
  const perm = usePermission('editor', 'create segments');
  const list = useResource(() => api.getAll<'segments', Segment>('/segments', 'segments'), []);
  useActivity(
    (a) => a.resourceType === 'segment' || a.resourceType === 'flag',
    () => void list.reload(),
  );
  const segments = list.data?.segments ?? [];
  return (
    <div className="page">
      <PageHeader
        title="Segments"
        subtitle="Named groups of users (beta testers, internal staff, a region) that rules in any flag can target."
        actions={
          <Button variant="primary" perm={perm} onClick={() => navigate('/segments/new')}>
            <span aria-hidden="true">+</span> New segment
          </Button>
        }
      />
      {list.error ? <ErrorState error={list.error} onRetry={() => void list.reload()} /> : null}
      {!list.data && !list.error ? <Loading /> : null}
      {list.data && segments.length === 0 ? (
        <EmptyState title="No segments yet">
          <p>Define a group once, then use it in the rules of many flags.</p>
          <Button variant="primary" perm={perm} onClick={() => navigate('/segments/new')}>
            Create a segment
          </Button>
        </EmptyState>
      ) : null}
      {segments.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <caption className="visually-hidden">Segments</caption>
            <thead>
              <tr>
                <th scope="col">Segment</th>
                <th scope="col">Who is in it</th>
                <th scope="col">Used by</th>
                <th scope="col">Last changed</th>
              </tr>
            </thead>
            <tbody>
              {segments.map((s) => (
                <tr key={s.key}>
                  <th scope="row">
                    <Link to={`/segments/${encodeURIComponent(s.key)}`} className="flag-link">
                      {s.name}
                    </Link>
                    <div className="flag-meta">
                      <code className="key">{s.key}</code>
                    </div>
                    {s.description ? <p className="muted small">{s.description}</p> : null}
                  </th>
                  <td data-label="Who is in it">
                    {s.conditions.length === 0 ? (
                      <span className="muted">everyone</span>
                    ) : (
                      <ul className="plain-list small">
                        {s.conditions.map((c, i) => (
                          // biome-ignore lint/suspicious/noArrayIndexKey: display only
                          <li key={i}>{describeCondition(c)}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td data-label="Used by">
                    {s.usedBy.length === 0 ? (
                      <span className="muted">no flags</span>
                    ) : (
                      <ul className="plain-list">
                        {s.usedBy.map((k) => (
                          <li key={k}>
                            <Link to={`/flags/${encodeURIComponent(k)}`}>{k}</Link>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td data-label="Last changed" title={dateTime(s.updatedAt)}>
                    {timeAgo(s.updatedAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

interface Form {
  key: string;
  name: string;
  description: string;
  conditions: Condition[];
}

function formOf(s: Segment): Form {
  return { key: s.key, name: s.name, description: s.description, conditions: s.conditions };
}

const EMPTY: Form = { key: '', name: '', description: '', conditions: [newCondition()] };

/** What the server takes in one segment's conditions together (core's LIMITS.segmentValues). */
export const SEGMENT_VALUES_MAX = 50_000;

export function SegmentPage({ segmentKey }: { segmentKey: string | null }) {
  const isNew = segmentKey === null;
  useDocumentTitle(isNew ? 'New segment' : `Segment ${segmentKey}`);
  const perm = usePermission('editor', 'change segments');
  const readOnlyId = useId();
  const notify = useToast();
  const { attributes, environments } = useAppData();
  // Issue 17: a segment used by flags changes them in every environment; a protected one confirms
  // with the diff, and one that needs approvals (the server names it) takes a change request.
  const [approvalEnv, setApprovalEnv] = useState<string | null>(null);
  const guard = useProtectedWrite(environments.find((e) => e.key === approvalEnv) ?? environments.find((e) => e.protected));
  const segment = useResource(() => (segmentKey ? api.get<Segment>(`/segments/${seg(segmentKey)}`) : Promise.resolve(null)), [segmentKey]);
  const [form, setForm] = useState<Form | null>(isNew ? EMPTY : null);
  const [base, setBase] = useState<Segment | null>(null);
  const [conflict, setConflict] = useState<Segment | null>(null);
  const [submitted, setSubmitted] = useState(false);

  const dirty = form !== null && (isNew ? !same(form, EMPTY) : base !== null && !same(form, formOf(base)));
  const valueCount = form ? form.conditions.reduce((n, c) => n + c.values.length, 0) : 0;
  useBeforeUnload(dirty);

  // Load, and follow live changes while nothing is being edited.
  useEffect(() => {
    const s = segment.data;
    if (!s) return;
    if (!base) {
      setBase(s);
      setForm(formOf(s));
    } else if (s.version !== base.version && !dirty) {
      setBase(s);
      setForm(formOf(s));
    } else if (s.version === base.version && s.usedBy.join() !== base.usedBy.join()) {
      setBase(s);
    }
  }, [segment.data, base, dirty]);
  const behind = dirty && base !== null && segment.data != null && segment.data.version !== base.version;
  useActivity(
    (a) => (a.resourceType === 'segment' && a.resourceKey === segmentKey) || a.resourceType === 'flag',
    () => void segment.reload(),
  );

  const hints: AttributeHints = useMemo(
    () => ({
      names: [...new Set([...WELL_KNOWN_ATTRIBUTES, ...attributes.map((a) => a.name)])],
      sensitive: new Set(attributes.filter((a) => a.sensitive).map((a) => a.name)),
    }),
    [attributes],
  );

  const segmentWrite = (): ProtectedWrite | null =>
    form && base
      ? {
          title: `Save segment ${base.key}? It is used by ${plural(base.usedBy.length, 'flag')}`,
          confirmLabel: 'Save segment',
          changes: diffRecord(formOf(base), form),
          run: (headers) => save.run(headers),
          change: {
            kind: 'segment',
            segmentKey: base.key,
            baseVersion: base.version,
            segment: { name: form.name.trim() || base.key, description: form.description, conditions: form.conditions },
          },
          onProposed: () => setForm(formOf(base)),
        }
      : null;

  const save = useAction(
    async (headers?: WriteHeaders) => {
      if (!form) return;
      if (isNew) {
        const created = await api.post<Segment>('/segments', {
          key: form.key.trim(),
          name: form.name.trim() || form.key.trim(),
          description: form.description,
          conditions: form.conditions,
        });
        notify(`Created segment ${created.key}`, 'success');
        navigate(`/segments/${encodeURIComponent(created.key)}`, { force: true });
        return;
      }
      if (!base) return;
      let saved: Segment;
      try {
        saved = await api.patch<Segment>(
          `/segments/${seg(base.key)}`,
          { name: form.name.trim() || base.key, description: form.description, conditions: form.conditions },
          { version: base.version, headers },
        );
      } catch (err) {
        if (err instanceof ApiError && err.code === 'APPROVAL_REQUIRED') {
          const env = (err.details as { environment?: string } | undefined)?.environment;
          if (env) setApprovalEnv(env);
        }
        const w = segmentWrite();
        if (guard.refused(err, (h) => save.run(h), w ?? undefined)) return;
        // Someone else saved first: show both changes instead of an error.
        if (err instanceof ApiError && err.isConflict && segmentKey) {
          setConflict(await api.get<Segment>(`/segments/${seg(segmentKey)}`));
          return;
        }
        throw err;
      }
      setBase(saved);
      setForm(formOf(saved));
      setConflict(null);
      segment.set(saved);
      notify(`Saved segment ${saved.key}`, 'success');
    },
    { issuesOf: (err) => (err.code === 'CONFLICT' ? [{ path: '/key', message: 'This key is taken' }] : err.issues) },
  );

  const deleting = useConfirm(
    async (s: Segment) => {
      await api.del(`/segments/${seg(s.key)}`);
      notify(`Deleted segment ${s.key}`, 'success');
      navigate('/segments', { force: true });
    },
    {
      messageOf: (err) => {
        const flags = err instanceof ApiError ? (err.details as { flags?: string[] } | undefined)?.flags : undefined;
        return flags ? `${messageOf(err)}: ${flags.join(', ')}` : messageOf(err);
      },
    },
  );

  if (segment.error instanceof ApiError && segment.error.status === 404) {
    return (
      <div className="page">
        <h1>Segment not found</h1>
        <p>
          There is no segment <code>{segmentKey}</code>. <Link to="/segments">Back to the segments</Link>
        </p>
      </div>
    );
  }
  if (segment.error && !segment.data) return <ErrorState error={segment.error} onRetry={() => void segment.reload()} />;
  if (!form) return <Loading />;

  const localIssues = new Issues([
    ...(isNew && submitted && form.key.trim() === '' ? [{ path: '/key', message: 'Give the segment a key' }] : []),
    ...(submitted || !isNew ? checkConditions(form.conditions, '/conditions') : []),
  ]);
  const issues = localIssues.concat(save.issues);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (new Issues(checkConditions(form.conditions, '/conditions')).size > 0 || (isNew && form.key.trim() === '')) return;
    const w = segmentWrite();
    // Not proposed up front: only the server knows which environments' flags use it; when one needs
    // approvals it answers APPROVAL_REQUIRED naming it, and the proposal opens then.
    if (w && base && base.usedBy.length > 0) guard.write({ ...w, change: null });
    else void save.run();
  };

  return (
    <div className="page page-narrow">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/segments">Segments</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">{isNew ? 'New segment' : segmentKey}</span>
      </nav>
      <PageHeader
        title={isNew ? 'New segment' : (base?.name ?? segmentKey)}
        subtitle={
          base ? `Version ${base.version}, changed ${timeAgo(base.updatedAt)}` : 'A user is in the segment when every condition holds.'
        }
      />
      <ReadOnlyNotice reason={perm.reason} id={readOnlyId} />
      {conflict && base ? (
        <ConflictBanner
          title="Not saved: someone else changed this segment meanwhile"
          theirs={diffRecord(formOf(base), formOf(conflict))}
          mine={diffRecord(formOf(base), form)}
          keepLabel="Keep my version and review"
          onKeep={() => {
            setBase(conflict);
            setConflict(null);
          }}
          onDiscard={() => {
            setBase(conflict);
            setForm(formOf(conflict));
            setConflict(null);
          }}
        />
      ) : null}
      {behind && !conflict ? (
        <Banner tone="warning" role="status" title="Someone else saved this segment while you were editing">
          <p>Saving will show you both changes before anything is overwritten.</p>
        </Banner>
      ) : null}
      {guard.element}
      <form className="card form" onSubmit={submit} noValidate>
        <fieldset className="plain" disabled={!perm.allowed} title={perm.reason} aria-describedby={perm.allowed ? undefined : readOnlyId}>
          {isNew ? (
            <Field label="Key" hint="How rules refer to it; it cannot change later." error={issues.at('/key')}>
              {(p) => (
                <input
                  {...p}
                  className="input mono"
                  value={form.key}
                  onChange={(e) => setForm({ ...form, key: e.target.value })}
                  // biome-ignore lint/a11y/noAutofocus: the first field of a form the user just opened
                  autoFocus
                />
              )}
            </Field>
          ) : null}
          <Field label="Name" error={issues.at('/name')}>
            {(p) => <input {...p} className="input" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />}
          </Field>
          <Field label="Description" error={issues.at('/description')}>
            {(p) => (
              <textarea
                {...p}
                className="input"
                rows={2}
                value={form.description}
                onChange={(e) => setForm({ ...form, description: e.target.value })}
              />
            )}
          </Field>
          <fieldset className="subsection">
            <legend className="h3">Conditions</legend>
            <p className="muted small">A user is in the segment when all of these hold.</p>
            <ConditionsEditor
              conditions={form.conditions}
              onChange={(conditions) => setForm({ ...form, conditions })}
              path="/conditions"
              issues={issues}
              hints={hints}
              context="the segment"
              bulkLimit={SEGMENT_VALUES_MAX}
            />
            {valueCount > SEGMENT_VALUES_MAX ? (
              <p className="field-error" role="alert">
                {formatCount(valueCount)} values in all conditions together; a segment holds at most {formatCount(SEGMENT_VALUES_MAX)}.
              </p>
            ) : null}
          </fieldset>
        </fieldset>
        <IssuesBanner title="Not saved" error={save.error} issues={save.issues.list} />
        <div className="form-actions">
          {isNew ? (
            <Button onClick={() => navigate('/segments')}>Cancel</Button>
          ) : (
            <Button onClick={() => base && setForm(formOf(base))} disabled={!dirty || save.busy}>
              Undo changes
            </Button>
          )}
          <Button
            type="submit"
            variant="primary"
            busy={save.busy}
            perm={perm}
            disabled={(!isNew && !dirty) || valueCount > SEGMENT_VALUES_MAX}
          >
            {isNew ? 'Create segment' : 'Save segment'}
          </Button>
        </div>
      </form>

      {base ? (
        <section className="card" aria-labelledby="used-title">
          <h2 id="used-title" className="h3">
            Used by {plural(base.usedBy.length, 'flag')}
          </h2>
          {base.usedBy.length === 0 ? (
            <p className="muted">No rule uses this segment yet.</p>
          ) : (
            <ul className="plain-list">
              {base.usedBy.map((k) => (
                <li key={k}>
                  <Link to={`/flags/${encodeURIComponent(k)}`}>{k}</Link>
                </li>
              ))}
            </ul>
          )}
          <div className="danger-zone-inline">
            <Button
              variant="danger"
              perm={
                base.usedBy.length > 0 && perm.allowed ? { allowed: false, reason: 'Remove it from the rules that use it first' } : perm
              }
              onClick={() => deleting.open(base)}
            >
              Delete segment
            </Button>
          </div>
        </section>
      ) : null}
      <ConfirmDialog {...deleting.dialog} title={`Delete segment ${base?.key ?? ''}?`} confirmLabel="Delete segment" danger>
        <p>No flag uses it. Its history stays in the audit log.</p>
      </ConfirmDialog>
    </div>
  );
}
