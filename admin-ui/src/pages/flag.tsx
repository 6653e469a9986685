import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { ApiError, api, messageOf, seg } from '../api.ts';
import { BrowserEvaluationNote } from '../components/browser-evaluation.tsx';
import { ChangeRequestBanner } from '../components/change-request-banner.tsx';
import { ChangeList } from '../components/changes.tsx';
import type { AttributeHints } from '../components/conditions.tsx';
import { CopyVariants } from '../components/copy-variants.tsx';
import { FlagUsagePanel } from '../components/flag-usage.tsx';
import { GuardMetrics } from '../components/guard-metrics.tsx';
import { PendingWork } from '../components/pending-work.tsx';
import { type ProtectedWrite, useProtectedWrite, type WriteHeaders } from '../components/protected-confirm.tsx';
import { DependenciesEditor, RulesEditor } from '../components/rules.tsx';
import { Badge, Banner, Button, CopyButton, ErrorState, Loading, ReadOnlyNotice, StatusPill, Switch, useToast } from '../components/ui.tsx';
import { UnleashNotice } from '../components/unleash-notice.tsx';
import { defaultVariants, StickinessSelect, VariantsEditor } from '../components/variants.tsx';
import { useAppData } from '../data.tsx';
import { describeAction, diffConfig } from '../describe.ts';
import { dateTime, isProduction, plural, timeAgo } from '../format.ts';
import { useBeforeUnload, useDocumentTitle, useResource } from '../hooks.ts';
import { describePath, Issues } from '../issues.ts';
import { useActivity } from '../live.ts';
import { type Editable, editable, rebase, same } from '../merge.ts';
import { WELL_KNOWN_ATTRIBUTES } from '../operators.ts';
import { addNavigationGuard, Link, useLocation } from '../router.tsx';
import { usePermissionIn, useSession } from '../session.tsx';
import type { AuditPage, Environment, Flag, FlagEnvironment, Segment } from '../types.ts';
import { checkConfig } from '../validate.ts';
import { FlagHistory } from './history.tsx';
import { FlagSettings } from './settings.tsx';

/** Who saved versions newer than `since` (from the flag's audit trail). */
async function whoChanged(flagKey: string, env: string, since: number): Promise<string[]> {
  try {
    const page = await api.get<AuditPage>(`/flags/${seg(flagKey)}/audit`, { query: { environment: env, limit: 20 } });
    const names = page.entries
      .filter((e) => {
        const v = (e.after as { version?: unknown } | null)?.version;
        return typeof v === 'number' && v > since;
      })
      .map((e) => e.actorName);
    return [...new Set(names)];
  } catch {
    return [];
  }
}

function people(names: string[]): string {
  if (names.length === 0) return 'Someone';
  return names.join(' and ');
}

export function FlagPage({ flagKey, tab }: { flagKey: string; tab: 'targeting' | 'history' | 'settings' }) {
  const { environments } = useAppData();
  const { query } = useLocation();
  const flag = useResource(() => api.get<Flag>(`/flags/${seg(flagKey)}`), [flagKey]);
  useDocumentTitle(flag.data ? flag.data.name : flagKey);
  useActivity(
    (a) => a.resourceType === 'flag' && a.resourceKey === flagKey,
    () => void flag.reload(),
  );

  const envKey = query.get('env') ?? environments[0]?.key ?? '';
  const env = environments.find((e) => e.key === envKey);
  const base = `/flags/${encodeURIComponent(flagKey)}`;
  const envQuery = query.get('env') ? `?env=${encodeURIComponent(envKey)}` : '';

  if (flag.error instanceof ApiError && flag.error.status === 404) {
    return (
      <div className="page">
        <h1>Flag not found</h1>
        <p>
          There is no flag <code>{flagKey}</code> (it may have been deleted). <Link to="/flags">Back to the flags</Link>
        </p>
      </div>
    );
  }
  if (flag.error && !flag.data) return <ErrorState error={flag.error} onRetry={() => void flag.reload()} />;
  if (!flag.data) return <Loading />;
  const f = flag.data;

  return (
    <div className="page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/flags">Flags</Link> <span aria-hidden="true">/</span> <span aria-current="page">{f.key}</span>
      </nav>
      <div className="page-header">
        <div>
          <h1>
            {f.name} {f.archived ? <Badge tone="warning">archived</Badge> : null}
          </h1>
          <div className="flag-meta">
            <code className="key">{f.key}</code>
            <CopyButton text={f.key} label="Copy key" />
            <Badge tone={f.kind === 'multivariate' ? 'info' : 'neutral'}>{f.kind}</Badge>
            {f.clientVisible ? (
              <Badge tone="accent" title="Browser and mobile SDKs (client keys) can evaluate it">
                client-visible
              </Badge>
            ) : (
              <Badge title="Only server SDKs can evaluate it">server-only</Badge>
            )}
            {f.tags.map((t) => (
              <Link key={t} className="tag" to={`/flags?tag=${encodeURIComponent(t)}`}>
                {t}
              </Link>
            ))}
          </div>
          {f.description ? <p className="description">{f.description}</p> : null}
        </div>
      </div>
      <nav className="tabs" aria-label="Flag views">
        <Link to={`${base}${envQuery}`} aria-current={tab === 'targeting' ? 'page' : undefined}>
          Targeting
        </Link>
        <Link to={`${base}/history${envQuery}`} aria-current={tab === 'history' ? 'page' : undefined}>
          History
        </Link>
        <Link to={`${base}/settings`} aria-current={tab === 'settings' ? 'page' : undefined}>
          Settings
        </Link>
      </nav>
      {tab === 'targeting' ? (
        <>
          <nav className="env-tabs" aria-label="Environments">
            {environments.map((e) => {
              const s = f.environments[e.key];
              return (
                <Link key={e.key} to={`${base}?env=${encodeURIComponent(e.key)}`} aria-current={e.key === envKey ? 'page' : undefined}>
                  <span className="env-tab-name">{e.name}</span>
                  {s ? <StatusPill on={s.enabled} /> : null}
                </Link>
              );
            })}
          </nav>
          {env ? (
            <Targeting key={`${f.key}/${env.key}`} flag={f} env={env} onChanged={() => void flag.reload()} />
          ) : environments.length > 0 ? (
            <p>
              No environment <code>{envKey}</code>.
            </p>
          ) : (
            <Loading />
          )}
        </>
      ) : null}
      {tab === 'history' ? <FlagHistory flag={f} onChanged={() => void flag.reload()} /> : null}
      {tab === 'settings' ? <FlagSettings flag={f} onSaved={(next) => flag.set(next)} onChanged={() => void flag.reload()} /> : null}
    </div>
  );
}

interface Conflict {
  base: FlagEnvironment;
  theirs: FlagEnvironment;
  mine: Editable;
  by: string[];
  /** Found before saving (live) rather than by a refused save. */
  early: boolean;
}

function Targeting({ flag, env, onChanged }: { flag: Flag; env: Environment; onChanged: () => void }) {
  const perm = usePermissionIn(env.key, 'editor', 'change flags');
  const readOnlyId = useId();
  const { me } = useSession();
  const { attributes } = useAppData();
  const notify = useToast();
  const path = `/flags/${seg(flag.key)}/environments/${seg(env.key)}`;
  const server = useResource(() => api.get<FlagEnvironment>(path), [path]);
  const segments = useResource(() => api.getAll<'segments', Segment>('/segments', 'segments'), []);
  const [draft, setDraft] = useState<Editable | null>(null);
  const [base, setBase] = useState<FlagEnvironment | null>(null);
  const [serverIssues, setServerIssues] = useState(new Issues());
  const [saveError, setSaveError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [toggling, setToggling] = useState(false);
  const [toggleError, setToggleError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [remote, setRemote] = useState<string | null>(null);
  const production = isProduction(env);
  // Issue 17: protected environments confirm every write with its diff; with approvals, Save proposes.
  const guard = useProtectedWrite(env);
  // After a save the save bar (and the focused button) goes: focus lands on the new status, not <body>.
  const statusRef = useRef<HTMLHeadingElement>(null);

  useActivity(
    (a) => a.resourceType === 'flag' && a.resourceKey === flag.key && (a.environment === env.key || a.environment === null),
    async (a) => {
      await server.reload();
      if (a && a.actor !== (me.email ?? me.name) && a.environment === env.key) {
        const text = `${a.actor} ${describeAction(a.action, a.resourceType, a.resourceKey, a.environment)}`;
        notify(text);
        setRemote(text);
      }
    },
  );
  useActivity(
    (a) => a.resourceType === 'segment',
    () => void segments.reload(),
  );

  const current = server.data;
  const dirty = draft !== null && base !== null && !same(draft, editable(base));
  useBeforeUnload(dirty);
  useEffect(
    () => (dirty ? addNavigationGuard(() => `Discard your unsaved changes to ${flag.key} in ${env.name}?`) : undefined),
    [dirty, flag.key, env.name],
  );

  // Someone else's change that left what I edit untouched (a toggle): move my draft onto it.
  useEffect(() => {
    if (!current || !base || current.version === base.version) return;
    if (same(editable(current), editable(base))) setBase(current);
  }, [current, base]);

  const shown: Editable | undefined = draft ?? (current ? editable(current) : undefined);
  const localIssues = useMemo(() => (draft ? new Issues(checkConfig(draft)) : new Issues()), [draft]);
  const issues = localIssues.concat(serverIssues);
  const hints: AttributeHints = useMemo(
    () => ({
      names: [...new Set([...WELL_KNOWN_ATTRIBUTES, ...attributes.map((a) => a.name)])],
      sensitive: new Set(attributes.filter((a) => a.sensitive).map((a) => a.name)),
    }),
    [attributes],
  );

  if (server.error && !current) return <ErrorState error={server.error} onRetry={() => void server.reload()} />;
  if (!current || !shown) return <Loading />;

  const edit = (next: Editable) => {
    if (!base) setBase(current);
    setDraft(next);
    setServerIssues(new Issues());
    setSaveError(null);
  };
  const discard = () => {
    setDraft(null);
    setBase(null);
    setServerIssues(new Issues());
    setSaveError(null);
    setConflict(null);
    setRemote(null);
  };

  const showConflict = async (early: boolean) => {
    if (!base || !draft) return;
    const theirs = (await server.reload()) ?? current;
    const by = await whoChanged(flag.key, env.key, base.version);
    setConflict({ base, theirs, mine: draft, by, early });
  };

  const subject = (
    <>
      <strong>{flag.name}</strong> (<code>{flag.key}</code>)
    </>
  );
  const bodyOf = (d: Editable) => ({
    rules: d.rules,
    variants: d.variants,
    dependencies: d.dependencies,
    ...(d.variantStickiness ? { variantStickiness: d.variantStickiness } : {}),
  });
  const saveWrite = (): ProtectedWrite | null =>
    draft && base
      ? {
          title: `Save changes to ${flag.key} in ${env.name}?`,
          subject: subject,
          confirmLabel: `Save to ${env.name}`,
          changes: diffConfig(editable(base), draft),
          flagKey: flag.key,
          rules: draft.rules,
          run: (headers) => save(headers),
          change: { kind: 'flag-config', flagKey: flag.key, baseVersion: base.version, config: bodyOf(draft) },
          onProposed: () => {
            discard();
            onChanged();
          },
        }
      : null;

  const save = async (headers?: WriteHeaders) => {
    if (!draft || !base) return;
    if (localIssues.size > 0) {
      setSaveError('Fix the problems marked below first.');
      return;
    }
    setSaving(true);
    setSaveError(null);
    try {
      const saved = await api.patch<FlagEnvironment>(path, bodyOf(draft), { version: base.version, headers });
      server.set(saved);
      setDraft(null);
      setBase(null);
      setConflict(null);
      setRemote(null);
      setServerIssues(new Issues());
      notify(`Saved ${flag.key} in ${env.name} (version ${saved.version})`, 'success');
      statusRef.current?.focus();
      onChanged();
    } catch (err) {
      if (guard.refused(err, save, saveWrite() ?? undefined)) return;
      if (err instanceof ApiError && err.isConflict) await showConflict(false);
      else if (err instanceof ApiError && err.issues.length > 0) {
        setServerIssues(new Issues(err.issues));
        setSaveError(err.message);
      } else setSaveError(messageOf(err));
    } finally {
      setSaving(false);
    }
  };

  const toggleWrite = (enabled: boolean): ProtectedWrite => ({
    title: `Turn ${enabled ? 'on' : 'off'} ${flag.key} in ${env.name}?`,
    subject: subject,
    confirmLabel: `Turn ${enabled ? 'on' : 'off'} in ${env.name}`,
    danger: !enabled,
    changes: diffConfig(current, { ...current, enabled }),
    flagKey: flag.key,
    rules: enabled ? current.rules : [],
    run: (headers) => toggle(enabled, headers),
    change: { kind: 'flag-config', flagKey: flag.key, baseVersion: current.version, config: { enabled } },
    onProposed: onChanged,
  });

  const toggle = async (enabled: boolean, headers?: WriteHeaders) => {
    setToggling(true);
    setToggleError(null);
    try {
      const saved = await api.patch<FlagEnvironment>(path, { enabled }, { version: current.version, headers });
      if (base && base.version === current.version) setBase(saved);
      server.set(saved);
      notify(`${flag.key} is ${enabled ? 'on' : 'off'} in ${env.name}`, 'success');
      onChanged();
    } catch (err) {
      if (guard.refused(err, (h) => toggle(enabled, h), toggleWrite(enabled))) return;
      if (err instanceof ApiError && err.isConflict) {
        const fresh = await server.reload();
        const by = await whoChanged(flag.key, env.key, current.version);
        setToggleError(
          `${people(by)} changed this flag in ${env.name} a moment ago; it is now ${fresh?.enabled ? 'on' : 'off'}. Nothing was overwritten; check it and try again.`,
        );
      } else setToggleError(messageOf(err));
    } finally {
      setToggling(false);
    }
  };

  const requestToggle = (enabled: boolean) => guard.write(toggleWrite(enabled));

  const multivariate = flag.kind === 'multivariate' || current.variants.length > 0;
  const behind = dirty && base && current.version !== base.version;
  const archived = flag.archived;
  const editPerm = archived ? { allowed: false, reason: 'Archived flags cannot change; restore it first' } : perm;

  return (
    <div className="targeting">
      <ReadOnlyNotice reason={perm.reason} id={readOnlyId} />
      <ChangeRequestBanner flagKey={flag.key} env={env} count={flag.environments[env.key]?.openChangeRequests ?? 0} />
      <PendingWork flagKey={flag.key} env={env.key} envName={env.name} rules={current.rules} enabled={current.enabled} perm={editPerm} />
      <GuardMetrics flagKey={flag.key} env={env.key} />
      {archived ? (
        <Banner tone="warning" title="This flag is archived">
          <p>SDKs no longer receive it. Restore it in Settings to change it.</p>
        </Banner>
      ) : null}
      <section className={`card status-card ${current.enabled ? 'is-on' : ''}`} aria-labelledby="status-title">
        <div className="status-row">
          <Switch
            checked={current.enabled}
            onChange={requestToggle}
            label={`${flag.key} in ${env.name}`}
            busy={toggling}
            perm={editPerm}
            text={current.enabled ? 'On' : 'Off'}
          />
          <div>
            <h2 id="status-title" className="h3" ref={statusRef} tabIndex={-1}>
              {current.enabled ? 'On' : 'Off'} in {env.name}
              {production ? (
                <Badge tone="danger" title="Changes here reach your users: each is confirmed with its diff">
                  protected
                </Badge>
              ) : null}
            </h2>
            <p className="muted small">
              {current.enabled
                ? current.rules.length === 0
                  ? 'Everyone gets it: there are no rules.'
                  : current.rules.length === 1
                    ? 'The rule below decides who gets it.'
                    : `The ${current.rules.length} rules below decide who gets it.`
                : 'Nobody gets it, whatever the rules say.'}{' '}
              Version {current.version}, changed {timeAgo(current.updatedAt)}.
            </p>
            <BrowserEvaluationNote browser={current.browser} />
          </div>
        </div>
        {toggleError ? (
          <Banner tone="danger" role="alert" title="Not changed">
            <p>{toggleError}</p>
          </Banner>
        ) : null}
      </section>

      {conflict ? (
        <ConflictPanel
          conflict={conflict}
          env={env}
          onDiscard={discard}
          onRebase={() => {
            setDraft(rebase(editable(conflict.base), editable(conflict.theirs), conflict.mine));
            setBase(conflict.theirs);
            setConflict(null);
            setRemote(null);
          }}
          onClose={() => setConflict(null)}
        />
      ) : behind ? (
        <Banner tone="warning" role="status" title={`This flag changed in ${env.name} while you were editing`}>
          <p>
            {remote ?? 'Another change arrived.'} Your changes are based on version {base?.version}; the latest is version {current.version}
            .
          </p>
          <Button size="small" onClick={() => void showConflict(true)}>
            Compare with their change
          </Button>
        </Banner>
      ) : null}

      <UnleashNotice flagKey={flag.key} envKey={env.key} version={current.version} />
      <FlagUsagePanel flagKey={flag.key} env={env} />

      <fieldset
        className="plain"
        disabled={!editPerm.allowed}
        title={editPerm.reason}
        aria-describedby={editPerm.allowed ? undefined : readOnlyId}
      >
        <legend className="visually-hidden">
          Targeting of {flag.key} in {env.name}
        </legend>
        <section className="section" aria-labelledby="rules-title">
          <div className="section-header">
            <h2 id="rules-title">Rules</h2>
            <p className="muted small">
              Checked from top to bottom; the first rule that matches a user decides. Users no rule matches do not get it.
            </p>
          </div>
          <RulesEditor
            rules={shown.rules}
            onChange={(rules) => edit({ ...shown, rules })}
            flagKey={flag.key}
            multivariate={multivariate}
            segments={segments.data?.segments ?? []}
            hints={hints}
            issues={issues}
          />
        </section>

        {multivariate || shown.variants.length > 0 ? (
          <section className="section" aria-labelledby="variants-title">
            <div className="section-header">
              <h2 id="variants-title">Variants</h2>
              <p className="muted small">Which variant users get when the flag is on for them (unless their rule has its own split).</p>
            </div>
            <VariantsEditor
              variants={shown.variants}
              onChange={(variants) => edit({ ...shown, variants })}
              path="/variants"
              issues={issues}
              context="the flag"
            />
            <StickinessSelect
              label="Variant stickiness"
              value={shown.variantStickiness}
              error={issues.at('/variantStickiness')}
              onChange={(variantStickiness) => edit({ ...shown, variantStickiness })}
            />
            <CopyVariants
              flagKey={flag.key}
              env={env.key}
              variants={current.variants}
              variantStickiness={current.variantStickiness}
              perm={editPerm}
              disabled={Boolean(dirty)}
            />
          </section>
        ) : (
          <section className="section" aria-labelledby="variants-title">
            <div className="section-header">
              <h2 id="variants-title">Variants</h2>
              <p className="muted small">None: users get the flag on or off. Add variants to serve A/B versions or payloads.</p>
            </div>
            <Button size="small" perm={editPerm} onClick={() => edit({ ...shown, variants: defaultVariants() })}>
              <span aria-hidden="true">+</span> Add variants
            </Button>
          </section>
        )}

        <section className="section" aria-labelledby="deps-title">
          <div className="section-header">
            <h2 id="deps-title">Dependencies</h2>
            <p className="muted small">Only evaluate this flag when other flags are in a given state (one level deep).</p>
          </div>
          <DependenciesEditor
            dependencies={shown.dependencies}
            onChange={(dependencies) => edit({ ...shown, dependencies })}
            flagKey={flag.key}
            issues={issues}
          />
        </section>
      </fieldset>

      {guard.element}
      {dirty || saveError ? (
        <section className="save-bar" aria-label="Unsaved changes">
          <div className="save-bar-text">
            <strong>Unsaved changes to {env.name}</strong>
            {saveError ? (
              <div className="field-error" role="alert">
                {saveError}
                {issues.size > 0 ? (
                  <ul className="issue-list">
                    {issues.list.slice(0, 6).map((i) => (
                      <li key={i.path + i.message}>
                        {describePath(i.path)}: {i.message}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </div>
            ) : localIssues.size > 0 ? (
              <span className="muted small"> · {plural(localIssues.size, 'problem')} to fix before saving</span>
            ) : null}
          </div>
          <div className="save-bar-actions">
            <Button onClick={discard} disabled={saving}>
              Discard
            </Button>
            <Button
              variant="primary"
              onClick={() => {
                const w = saveWrite();
                if (w) guard.write(w);
              }}
              busy={saving}
              perm={editPerm}
              disabled={localIssues.size > 0 || !dirty}
            >
              {guard.needsApproval ? `Propose change to ${env.name}` : `Save changes to ${env.name}`}
            </Button>
          </div>
        </section>
      ) : null}

      <p className="muted small">Last saved {dateTime(current.updatedAt)}.</p>
    </div>
  );
}

function ConflictPanel({
  conflict,
  env,
  onDiscard,
  onRebase,
  onClose,
}: {
  conflict: Conflict;
  env: Environment;
  onDiscard: () => void;
  onRebase: () => void;
  onClose: () => void;
}) {
  const theirs = diffConfig(conflict.base, conflict.theirs);
  const mine = diffConfig(editable(conflict.base), conflict.mine);
  return (
    <section className="card conflict" role="alert" aria-labelledby="conflict-title">
      <h2 id="conflict-title" className="h3">
        {conflict.early
          ? `${people(conflict.by)} changed ${env.name} while you were editing`
          : `Not saved: ${people(conflict.by)} changed this flag in ${env.name} while you were editing`}
      </h2>
      <p>
        You started from version {conflict.base.version}; the latest is version {conflict.theirs.version}. Nothing was overwritten. Compare
        the two changes, then choose.
      </p>
      <div className="conflict-grid">
        <div>
          <h3 className="h4">
            Their change (version {conflict.base.version} → {conflict.theirs.version})
          </h3>
          <ChangeList changes={theirs} empty="Nothing you edit changed." />
        </div>
        <div>
          <h3 className="h4">Your unsaved changes</h3>
          <ChangeList changes={mine} empty="You have not changed anything yet." />
        </div>
      </div>
      <div className="row gap-small wrap">
        <Button variant="primary" onClick={onRebase}>
          Apply my changes to the latest version
        </Button>
        <Button onClick={onDiscard}>Discard mine and show the latest</Button>
        {conflict.early ? (
          <Button variant="ghost" onClick={onClose}>
            Keep editing
          </Button>
        ) : null}
      </div>
      <p className="muted small">“Apply” keeps what you changed and takes the rest from the latest version; review it and save again.</p>
    </section>
  );
}
