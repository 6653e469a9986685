import { useEffect, useState } from 'react';
import { ApiError, api, messageOf, seg } from '../api.ts';
import { AuditTimeline } from '../components/audit-timeline.tsx';
import { ChangeList } from '../components/changes.tsx';
import { EnvironmentFilter } from '../components/environment-filter.tsx';
import { needsApproval, useProposal } from '../components/propose-host.tsx';
import { Badge, Button, ConfirmDialog, Loading, ReadOnlyNotice, useToast } from '../components/ui.tsx';
import { useAppData } from '../data.tsx';
import { type Change, describeAction, diffConfig, diffRecord, isFlagConfig } from '../describe.ts';
import { configBefore, planChanges } from '../describe-plans.ts';
import { dateTime, isProduction, timeAgo } from '../format.ts';
import { useActivity } from '../live.ts';
import { touchedSince, undoChange } from '../merge.ts';
import { Link, useLocation } from '../router.tsx';
import { type Permission, usePermission } from '../session.tsx';
import type { AuditEntry, AuditPage, ConfigVersion, Flag, FlagConfig, FlagEnvironment } from '../types.ts';

/** The readable changes one audit entry made; `base`: the config a scheduled change applies to, where known. */
export function changesOf(entry: AuditEntry, base?: Partial<FlagConfig> | null): Change[] {
  const planned = planChanges(entry, base);
  if (planned) return planned;
  if ((entry.action === 'flag.initial' || entry.action === 'flag.version') && isFlagConfig(entry.after)) {
    const status: Change = { kind: 'added', label: 'Status', after: entry.after.enabled ? 'On' : 'Off' };
    return [status, ...diffConfig({ rules: [], variants: [], dependencies: [] }, entry.after)];
  }
  if (isFlagConfig(entry.before) || isFlagConfig(entry.after)) {
    return diffConfig(isFlagConfig(entry.before) ? entry.before : null, isFlagConfig(entry.after) ? entry.after : null);
  }
  if (entry.action.endsWith('.created') && entry.before == null) {
    const after = (entry.after ?? {}) as Record<string, unknown>;
    return diffRecord({}, after).filter((c) => c.after !== '(none)' && c.after !== '(empty)' && c.after !== 'no');
  }
  if (entry.action.endsWith('.deleted') && entry.after == null) return [];
  return diffRecord(entry.before, entry.after);
}

const RESOURCE_NAMES: Record<string, string> = {
  sdk_key: 'SDK key',
  token: 'API token',
  change_request: 'change request',
  freeze_window: 'freeze window',
};

/** Users and keys are stored by id; their email or name reads better. */
function resourceLabel(entry: AuditEntry): string {
  const data = (entry.after ?? entry.before ?? {}) as Record<string, unknown>;
  if (entry.resourceType === 'user' && typeof data.email === 'string') return data.email;
  if (entry.action === 'user.login' || entry.action === 'user.logout') return entry.actorName;
  if ((entry.resourceType === 'sdk_key' || entry.resourceType === 'token') && typeof data.name === 'string') return data.name;
  if (entry.resourceType === 'change_request' && typeof data.title === 'string') return data.title;
  if (entry.resourceType === 'freeze_window' && typeof data.reason === 'string') return data.reason;
  // Ramps are stored by id; which flag and rule they move says more.
  if (entry.resourceType === 'ramp' && typeof data.flag === 'string') return `of ${data.flag}, rule ${String(data.ruleId)}`;
  return entry.resourceKey;
}

/** Saved versions of one environment that no audit entry shows, as entries of their own. */
function untracked(entries: AuditEntry[], versions: ConfigVersion[], env: string, flagKey: string): AuditEntry[] {
  const covered = new Set(entries.filter((e) => e.environment === env).map((e) => versionOf(e.after)));
  const creator = entries.find((e) => e.action === 'flag.created')?.actorName;
  return versions
    .filter((v) => !covered.has(v.version))
    .map((v) => ({
      id: -v.version,
      actor: v.actor,
      actorName: v.version === 1 ? (creator ?? '') : v.actor.startsWith('system') ? 'system' : 'someone',
      action: v.version === 1 ? 'flag.initial' : 'flag.version',
      resourceType: 'flag',
      resourceKey: flagKey,
      environment: env,
      before: null,
      after: { ...v, flag: flagKey, environment: env },
      createdAt: v.createdAt,
    }));
}

function versionOf(v: unknown): number | undefined {
  const n = (v as { version?: unknown } | null)?.version;
  return typeof n === 'number' ? n : undefined;
}

export function AuditEntryView({
  entry,
  showResource,
  revert,
  base,
}: {
  entry: AuditEntry;
  showResource?: boolean;
  /** The flag's config in the entry's environment before it, for scheduled changes in words (`configBefore`). */
  base?: Partial<FlagConfig> | null;
  revert?: {
    current: number | undefined;
    perm: Permission;
    onRevert: (entry: AuditEntry, version: number) => void;
    onUndo?: (entry: AuditEntry, version: number) => void;
  };
}) {
  const { environments } = useAppData();
  const version = isFlagConfig(entry.after) ? versionOf(entry.after) : undefined;
  const changes = changesOf(entry, base);
  const isCurrent = version !== undefined && revert?.current === version;
  return (
    <article
      className="entry"
      aria-label={`${entry.actorName} ${describeAction(entry.action, entry.resourceType, entry.resourceKey, entry.environment)}`}
    >
      <header className="entry-header">
        <div>
          <strong className="entry-actor">{entry.actorName}</strong>{' '}
          {showResource ? (
            <>
              <span className="muted">{RESOURCE_NAMES[entry.resourceType] ?? entry.resourceType}</span>{' '}
              {entry.resourceType === 'flag' && !entry.action.endsWith('.deleted') ? (
                <Link to={`/flags/${encodeURIComponent(entry.resourceKey)}/history`} className="key">
                  {entry.resourceKey}
                </Link>
              ) : entry.resourceType === 'segment' && !entry.action.endsWith('.deleted') ? (
                <Link to={`/segments/${encodeURIComponent(entry.resourceKey)}`} className="key">
                  {entry.resourceKey}
                </Link>
              ) : (
                <code className="key">{resourceLabel(entry)}</code>
              )}
              :{' '}
            </>
          ) : null}
          <span>{describeAction(entry.action, entry.resourceType, entry.resourceKey, entry.environment)}</span>
          {entry.action === 'flag.reverted' && version !== undefined ? <span className="muted"> (saved as version {version})</span> : null}
        </div>
        <div className="entry-meta">
          {entry.environment ? (
            <Badge tone={isProduction(environments.find((e) => e.key === entry.environment)) ? 'danger' : 'neutral'}>
              {entry.environment}
            </Badge>
          ) : null}
          {version !== undefined ? <Badge tone="info">v{version}</Badge> : null}
          <time dateTime={entry.createdAt} title={dateTime(entry.createdAt)}>
            {timeAgo(entry.createdAt)}
          </time>
        </div>
      </header>
      <ChangeList changes={changes} empty={entry.action.endsWith('.deleted') ? 'Deleted.' : 'No visible change.'} />
      {revert && version !== undefined && entry.environment ? (
        <div className="entry-actions">
          {revert.onUndo && isFlagConfig(entry.before) && changes.length > 0 ? (
            <Button size="small" perm={revert.perm} onClick={() => revert.onUndo?.(entry, version)}>
              Undo this change
              <span className="visually-hidden">
                {' '}
                of version {version} in {entry.environment}
              </span>
            </Button>
          ) : null}
          {isCurrent ? (
            <Badge tone="success">current version</Badge>
          ) : (
            <Button size="small" perm={revert.perm} onClick={() => revert.onRevert(entry, version)}>
              {/* The visible words are the accessible name (axe: label-content-name-mismatch). */}
              Revert {entry.environment} to version {version}
            </Button>
          )}
        </div>
      ) : null}
    </article>
  );
}

interface RevertTarget {
  env: string;
  version: number;
  target: FlagEnvironment;
  current: FlagEnvironment | null;
}

interface UndoTarget {
  env: string;
  version: number;
  before: FlagConfig;
  after: FlagConfig;
  current: FlagEnvironment | null;
}

export function FlagHistory({ flag, onChanged }: { flag: Flag; onChanged: () => void }) {
  const { environments } = useAppData();
  const { query } = useLocation();
  const perm = usePermission('editor', 'revert flags');
  const revertPerm: Permission = flag.archived ? { allowed: false, reason: 'Archived flags cannot be reverted; restore it first' } : perm;
  const notify = useToast();
  const env = query.get('env') ?? '';
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [versions, setVersions] = useState<ConfigVersion[] | null>(null);
  const [reverting, setReverting] = useState<RevertTarget | null>(null);
  const [revertBusy, setRevertBusy] = useState(false);
  const [revertError, setRevertError] = useState<string | undefined>(undefined);
  const [undoing, setUndoing] = useState<UndoTarget | null>(null);
  const [undoBusy, setUndoBusy] = useState(false);
  const [undoError, setUndoError] = useState<string | undefined>(undefined);
  // Issue 17: where the environment needs approvals, Revert and Undo propose a `flag-config` request.
  const proposal = useProposal();
  const propose = (e: string, current: FlagEnvironment, next: FlagConfig, title: string) => {
    const envObj = environments.find((x) => x.key === e);
    if (!envObj) return;
    setReverting(null);
    setUndoing(null);
    proposal.open(envObj, {
      title,
      confirmLabel: 'Propose change',
      changes: diffConfig(current, next),
      flagKey: flag.key,
      rules: next.rules,
      proposalTitle: title,
      run: async () => {},
      change: {
        kind: 'flag-config',
        flagKey: flag.key,
        baseVersion: current.version,
        config: {
          enabled: next.enabled,
          rules: next.rules,
          variants: next.variants,
          // null clears it, as the direct write does (the UI's FlagConfig type knows no null).
          variantStickiness: next.variantStickiness ?? (null as unknown as undefined),
          dependencies: next.dependencies,
        },
      },
      onProposed: () => void refresh(),
    });
  };
  const approvalsIn = (e: string) => needsApproval(environments.find((x) => x.key === e));
  const refusedForApproval = (err: unknown) => err instanceof ApiError && err.code === 'APPROVAL_REQUIRED';

  const load = async (before?: number) => {
    const page = await api.get<AuditPage>(`/flags/${seg(flag.key)}/audit`, { query: { environment: env || undefined, limit: 50, before } });
    return page;
  };
  const refresh = async () => {
    try {
      const [page, saved] = await Promise.all([
        load(),
        env
          ? api.getAll<'versions', ConfigVersion>(`/flags/${seg(flag.key)}/environments/${seg(env)}/versions`, 'versions').catch(() => null)
          : null,
      ]);
      setEntries(page.entries);
      setNext(page.nextBefore);
      setVersions(saved?.versions ?? null);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: refetch when the flag or the filter changes
  useEffect(() => {
    setEntries(null);
    void refresh();
  }, [flag.key, env]);
  useActivity(
    (a) => a.resourceType === 'flag' && a.resourceKey === flag.key,
    () => void refresh(),
  );

  const startRevert = async (entry: AuditEntry, version: number) => {
    if (!entry.environment || !isFlagConfig(entry.after)) return;
    setRevertError(undefined);
    const target = entry.after as unknown as FlagEnvironment;
    setReverting({ env: entry.environment, version, target, current: null });
    try {
      const current = await api.get<FlagEnvironment>(`/flags/${seg(flag.key)}/environments/${seg(entry.environment)}`);
      if (approvalsIn(entry.environment)) propose(entry.environment, current, target, `Revert ${flag.key} to version ${version}`);
      else setReverting({ env: entry.environment, version, target, current });
    } catch (err) {
      setRevertError(messageOf(err));
    }
  };

  const confirmRevert = async () => {
    if (!reverting?.current) return;
    setRevertBusy(true);
    setRevertError(undefined);
    const { env: e, version, current } = reverting;
    try {
      const saved = await api.post<FlagEnvironment>(
        `/flags/${seg(flag.key)}/environments/${seg(e)}/revert`,
        { toVersion: version },
        { version: current.version },
      );
      setReverting(null);
      notify(`Reverted ${flag.key} in ${e} to version ${version} (saved as version ${saved.version})`, 'success');
      onChanged();
      void refresh();
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) {
        const fresh = await api.get<FlagEnvironment>(`/flags/${seg(flag.key)}/environments/${seg(e)}`).catch(() => null);
        setReverting({ ...reverting, current: fresh });
        setRevertError('Someone changed this flag a moment ago. The comparison now shows the latest version; confirm again to revert it.');
      } else if (refusedForApproval(err)) propose(e, current, reverting.target, `Revert ${flag.key} to version ${version}`);
      else setRevertError(messageOf(err));
    } finally {
      setRevertBusy(false);
    }
  };

  const startUndo = async (entry: AuditEntry, version: number) => {
    if (!entry.environment || !isFlagConfig(entry.before) || !isFlagConfig(entry.after)) return;
    setUndoError(undefined);
    const target = { env: entry.environment, version, before: entry.before, after: entry.after, current: null };
    setUndoing(target);
    try {
      const current = await api.get<FlagEnvironment>(`/flags/${seg(flag.key)}/environments/${seg(entry.environment)}`);
      if (approvalsIn(entry.environment))
        propose(entry.environment, current, undoChange(entry.before, entry.after, current), `Undo version ${version} of ${flag.key}`);
      else setUndoing({ ...target, current });
    } catch (err) {
      setUndoError(messageOf(err));
    }
  };

  // Through the normal versioned write: the result of the undo, saved with If-Match on the version shown.
  const confirmUndo = async () => {
    if (!undoing?.current) return;
    setUndoBusy(true);
    setUndoError(undefined);
    const { env: e, version, before, after, current } = undoing;
    const next = undoChange(before, after, current);
    try {
      const saved = await api.patch<FlagEnvironment>(
        `/flags/${seg(flag.key)}/environments/${seg(e)}`,
        {
          enabled: next.enabled,
          rules: next.rules,
          variants: next.variants,
          variantStickiness: next.variantStickiness ?? null,
          dependencies: next.dependencies,
        },
        { version: current.version },
      );
      setUndoing(null);
      notify(`Undid the change of version ${version} of ${flag.key} in ${e} (saved as version ${saved.version})`, 'success');
      onChanged();
      void refresh();
    } catch (err) {
      if (err instanceof ApiError && err.isConflict) {
        const fresh = await api.get<FlagEnvironment>(`/flags/${seg(flag.key)}/environments/${seg(e)}`).catch(() => null);
        setUndoing({ ...undoing, current: fresh });
        setUndoError('Someone changed this flag a moment ago. The comparison now starts from the latest version; confirm again to undo.');
      } else if (refusedForApproval(err)) propose(e, current, next, `Undo version ${version} of ${flag.key}`);
      else setUndoError(messageOf(err));
    } finally {
      setUndoBusy(false);
    }
  };

  const envName = (key: string) => environments.find((x) => x.key === key)?.name ?? key;
  // Versions without an audit entry of their own (the first one, made with the flag): listed too, so
  // any version can be reverted to. Only once the whole trail is loaded, or older pages would repeat.
  const shown = entries && env && versions && next === null ? [...entries, ...untracked(entries, versions, env, flag.key)] : entries;

  return (
    <div className="history">
      <ReadOnlyNotice reason={perm.reason} />
      <div className="filters">
        <EnvironmentFilter value={env} />
      </div>
      <AuditTimeline
        entries={entries}
        shown={shown}
        error={error}
        onRetry={() => void refresh()}
        emptyTitle="No changes yet"
        label={`Changes to ${flag.key}, newest first`}
        renderEntry={(entry) => (
          <AuditEntryView
            entry={entry}
            base={configBefore(entry, shown ?? [], isFlagConfig)}
            revert={{
              current: entry.environment ? flag.environments[entry.environment]?.version : undefined,
              perm: revertPerm,
              onRevert: (en, v) => void startRevert(en, v),
              onUndo: (en, v) => void startUndo(en, v),
            }}
          />
        )}
        onOlder={
          next !== null && entries
            ? async () => {
                try {
                  const page = await load(next);
                  setEntries([...entries, ...page.entries]);
                  setNext(page.nextBefore);
                } catch (err) {
                  setError(err);
                }
              }
            : undefined
        }
      />
      <ConfirmDialog
        open={reverting !== null}
        wide
        title={reverting ? `Revert ${flag.key} in ${envName(reverting.env)} to version ${reverting.version}?` : ''}
        confirmLabel={reverting ? `Revert ${envName(reverting.env)} to version ${reverting.version}` : 'Revert'}
        danger={reverting ? isProduction(environments.find((e) => e.key === reverting.env)) : false}
        busy={revertBusy}
        confirmDisabled={!reverting?.current}
        error={revertError}
        onCancel={() => setReverting(null)}
        onConfirm={() => void confirmRevert()}
      >
        {reverting ? (
          <>
            <p>
              Version {reverting.version} becomes the current configuration again, saved as a new version: nothing in the history is lost,
              and the revert itself appears in it.
            </p>
            {reverting.current ? (
              <>
                <h3 className="h4">
                  What changes (version {reverting.current.version} → as in version {reverting.version})
                </h3>
                <ChangeList changes={diffConfig(reverting.current, reverting.target)} empty="It is the same as the current version." />
              </>
            ) : (
              <Loading label="Loading the current version…" />
            )}
          </>
        ) : null}
      </ConfirmDialog>
      <ConfirmDialog
        open={undoing !== null}
        wide
        title={undoing ? `Undo the change of version ${undoing.version} in ${envName(undoing.env)}?` : ''}
        confirmLabel={undoing ? `Undo it in ${envName(undoing.env)}` : 'Undo'}
        danger={undoing ? isProduction(environments.find((e) => e.key === undoing.env)) : false}
        busy={undoBusy}
        confirmDisabled={!undoing?.current}
        error={undoError}
        onCancel={() => setUndoing(null)}
        onConfirm={() => void confirmUndo()}
      >
        {undoing ? (
          <>
            <p>Only what version {undoing.version} changed is taken back; changes made since stay. It is saved as a new version.</p>
            <h3 className="h4">What version {undoing.version} changed</h3>
            <ChangeList changes={diffConfig(undoing.before, undoing.after)} />
            {undoing.current ? (
              <>
                <h3 className="h4">What changes now (version {undoing.current.version} → after the undo)</h3>
                <ChangeList
                  changes={diffConfig(undoing.current, undoChange(undoing.before, undoing.after, undoing.current))}
                  empty="Nothing: later changes already took it back."
                />
                {touchedSince(undoing.before, undoing.after, undoing.current).map((id) => (
                  <p key={id} className="field-error">
                    Rule {undoing.current ? undoing.current.rules.findIndex((r) => r.id === id) + 1 : '?'} was changed again after version{' '}
                    {undoing.version}; undoing puts back its form from before version {undoing.version}, and the later edit is lost.
                  </p>
                ))}
              </>
            ) : (
              <Loading label="Loading the current version…" />
            )}
          </>
        ) : null}
      </ConfirmDialog>
      {proposal.element}
    </div>
  );
}
