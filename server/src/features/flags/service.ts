import { randomBytes } from 'node:crypto';
import type { Rule } from '@switchboard/core';
import { validateFlagConfig } from '@switchboard/core/validation';
import type { ChangeOp, StoredFlagConfig } from '../../db/schema/index.ts';
import { type Actor, actorRef } from '../../domain/actor.ts';
import {
  type AuditEntry,
  type ChangeDeps,
  type ChangeTx,
  lockAllEnvironments,
  lockEnvironment,
  type RevisionBump,
  runChange,
  type WriteGate,
} from '../../domain/changes.ts';
import { toSnapshotFlag } from '../../domain/snapshot-flag.ts';
import { ConflictError, ErrorCode, NotFoundError, ValidationError, VersionMismatchError } from '../../errors.ts';
import { existingSegmentKeys } from '../segments/store.ts';
import { deleteUsageOf, type EvaluationCounts, type UsageRow } from '../usage/store.ts';
import { deleteWorkOf, lockPendingWorkOf, settlePendingWorkOfArchivedFlag } from './pending-work.ts';
import {
  type ConfigVersionRow,
  deleteFlagRow,
  dependencyGraph,
  dependentsOf,
  type FlagEnvironmentRow,
  type FlagRow,
  findConfigVersion,
  findFlag,
  findFlagEnvironment,
  findFlagInEnvironment,
  flagEnvironmentsOf,
  insertFlag,
  updateFlagEnvironmentIfUnchanged,
  updateFlagEnvironmentIfVersion,
  updateFlagIfVersion,
} from './store.ts';

export interface FlagInput {
  key: string;
  name?: string | undefined;
  description?: string | undefined;
  kind?: 'boolean' | 'multivariate' | undefined;
  tags?: string[] | undefined;
  clientVisible?: boolean | undefined;
  variants?: StoredFlagConfig['variants'];
  variantStickiness?: string | undefined;
}

/** A change to one environment's config; absent fields stay as they are. */
export interface FlagEnvironmentPatch {
  enabled?: boolean | undefined;
  rules?: Array<Omit<Rule, 'id'> & { id?: string | undefined }> | undefined;
  variants?: StoredFlagConfig['variants'];
  variantStickiness?: string | null | undefined;
  dependencies?: StoredFlagConfig['dependencies'];
}

export function flagView(row: FlagRow, envs: FlagEnvironmentRow[], usage: UsageRow[] = [], counts?: Map<string, EvaluationCounts>) {
  const environments: Record<
    string,
    {
      enabled: boolean;
      version: number;
      ruleCount: number;
      updatedAt: string;
      lastEvaluatedAt: string | null;
      evaluations?: EvaluationCounts;
    }
  > = {};
  for (const e of envs) {
    if (e.flagKey !== row.key) continue;
    const used = usage.find((u) => u.flagKey === row.key && u.environmentKey === e.environmentKey);
    environments[e.environmentKey] = {
      enabled: e.enabled,
      version: e.version,
      ruleCount: e.config.rules?.length ?? 0,
      updatedAt: e.updatedAt.toISOString(),
      lastEvaluatedAt: used?.lastEvaluatedAt.toISOString() ?? null,
      // Only reads pass counts: a write's answer leaves them out rather than show zeros.
      ...(counts ? { evaluations: counts.get(`${row.key}\u0000${e.environmentKey}`) ?? { last24h: 0, last7d: 0 } } : {}),
    };
  }
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    kind: row.kind,
    tags: row.tags,
    clientVisible: row.clientVisible,
    archived: row.archivedAt !== null,
    archivedAt: row.archivedAt?.toISOString() ?? null,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    environments,
  };
}

function configView(config: StoredFlagConfig) {
  return {
    rules: config.rules ?? [],
    variants: config.variants ?? [],
    ...(config.variantStickiness ? { variantStickiness: config.variantStickiness } : {}),
    dependencies: config.dependencies ?? [],
  };
}

export function flagEnvironmentView(row: FlagEnvironmentRow) {
  return {
    flag: row.flagKey,
    environment: row.environmentKey,
    enabled: row.enabled,
    ...configView(row.config),
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function configVersionView(row: ConfigVersionRow) {
  return {
    version: row.version,
    enabled: row.enabled,
    ...configView(row.config),
    actor: row.actor,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * The 412 of a compare-and-set that found another version: the version now committed, read again
 * after the failed update waited for the winner's commit (what was read before may be the caller's).
 */
async function flagMismatch(tx: ChangeTx['tx'], before: FlagRow): Promise<VersionMismatchError> {
  return new VersionMismatchError((await findFlag(tx, before.key))?.version ?? before.version);
}

async function requireFlag(tx: ChangeTx['tx'], key: string): Promise<FlagRow> {
  const row = await findFlag(tx, key);
  if (!row) throw new NotFoundError(`Flag ${key}`);
  return row;
}

/** Announces a flag's current state to every environment (metadata changes, restore, imports). */
export async function announceEverywhere(c: ChangeTx, flag: FlagRow): Promise<void> {
  const envs = await flagEnvironmentsOf(c.tx, [flag.key]);
  const byEnv = new Map(envs.map((e) => [e.environmentKey, e]));
  await c.appendChangeEverywhere((env) => {
    const fe = byEnv.get(env);
    return fe ? { op: 'flag', key: flag.key, flag: toSnapshotFlag(flag.key, fe.enabled, fe.config, flag.clientVisible) } : null;
  });
}

export async function createFlag(deps: ChangeDeps, actor: Actor, input: FlagInput) {
  return runChange(deps, actor, async (c) => {
    await lockAllEnvironments(c.tx);
    const initial: StoredFlagConfig = {};
    if (input.variants) initial.variants = input.variants;
    if (input.variantStickiness) initial.variantStickiness = input.variantStickiness;
    // Sensitive attributes restrict no operator: such flags are evaluated on the server for browsers.
    const issues = validateFlagConfig({ key: input.key, enabled: false, ...initial });
    if (issues.length > 0) throw new ValidationError('The flag is invalid', issues);
    if (await findFlag(c.tx, input.key)) throw new ConflictError(`Flag ${input.key} exists already`);
    const row = await insertFlag(
      c.tx,
      {
        key: input.key,
        name: input.name ?? input.key,
        description: input.description ?? '',
        kind: input.kind ?? 'boolean',
        tags: [...new Set(input.tags ?? [])],
        clientVisible: input.clientVisible ?? false,
      },
      actorRef(actor),
      initial,
    );
    await announceEverywhere(c, row);
    const view = flagView(row, await flagEnvironmentsOf(c.tx, [row.key]));
    await c.audit({ action: 'flag.created', resourceType: 'flag', resourceKey: row.key, after: view });
    return view;
  });
}

export async function updateFlag(deps: ChangeDeps, actor: Actor, key: string, version: number, input: Omit<FlagInput, 'key'>) {
  return runChange(deps, actor, async (c) => {
    await lockAllEnvironments(c.tx);
    const before = await requireFlag(c.tx, key);
    const set: Partial<FlagRow> = {};
    if (input.name !== undefined) set.name = input.name;
    if (input.description !== undefined) set.description = input.description;
    if (input.kind !== undefined) set.kind = input.kind;
    if (input.tags !== undefined) set.tags = [...new Set(input.tags)];
    if (input.clientVisible !== undefined) set.clientVisible = input.clientVisible;
    const row = await updateFlagIfVersion(c.tx, key, version, set);
    if (!row) throw await flagMismatch(c.tx, before);
    if (row.clientVisible !== before.clientVisible && row.archivedAt === null) await announceEverywhere(c, row);
    const envs = await flagEnvironmentsOf(c.tx, [key]);
    const view = flagView(row, envs);
    await c.audit({ action: 'flag.updated', resourceType: 'flag', resourceKey: key, before: flagView(before, envs), after: view });
    return view;
  });
}

export async function archiveFlag(deps: ChangeDeps, actor: Actor, key: string, archive: boolean) {
  return runChange(deps, actor, async (c) => {
    if (archive) await lockPendingWorkOf(c.tx, key);
    await lockAllEnvironments(c.tx);
    const before = await requireFlag(c.tx, key);
    if ((before.archivedAt !== null) === archive)
      throw new ConflictError(archive ? `Flag ${key} is archived already` : `Flag ${key} is not archived`);
    if (archive) {
      const dependents = (await dependentsOf(c.tx, key)).filter((k) => k !== key);
      if (dependents.length > 0)
        throw new ConflictError(`Flags depend on ${key}; remove those dependencies first`, { flags: dependents }, ErrorCode.InUse);
    }
    const row = await updateFlagIfVersion(c.tx, key, before.version, { archivedAt: archive ? new Date() : null });
    if (!row) throw await flagMismatch(c.tx, before);
    if (archive) await c.appendChangeEverywhere(() => ({ op: 'flag-removed', key }));
    else await announceEverywhere(c, row);
    const envs = await flagEnvironmentsOf(c.tx, [key]);
    const view = flagView(row, envs);
    await c.audit({
      action: archive ? 'flag.archived' : 'flag.restored',
      resourceType: 'flag',
      resourceKey: key,
      before: flagView(before, envs),
      after: view,
    });
    // After the archive's own row, so the log reads as cause, then consequences.
    if (archive) await settlePendingWorkOfArchivedFlag(c, key);
    return view;
  });
}

/** Deleting is for archived flags only, so nothing live disappears by one mistaken request. */
export async function deleteFlag(deps: ChangeDeps, actor: Actor, key: string) {
  return runChange(deps, actor, async (c) => {
    const before = await requireFlag(c.tx, key);
    if (before.archivedAt === null) throw new ConflictError(`Archive flag ${key} before deleting it`);
    const envs = await flagEnvironmentsOf(c.tx, [key]);
    await deleteFlagRow(c.tx, key);
    await deleteUsageOf(c.tx, key);
    // Archiving ended them; their rows would otherwise show on a flag re-created under this key.
    const work = await deleteWorkOf(c.tx, key);
    await c.audit({
      action: 'flag.deleted',
      resourceType: 'flag',
      resourceKey: key,
      before: { ...flagView(before, envs), configs: envs.map(flagEnvironmentView), deletedWork: work },
    });
  });
}

function withRuleIds(rules: NonNullable<FlagEnvironmentPatch['rules']>): Rule[] {
  return rules.map((r) => ({ ...r, id: r.id ?? `r_${randomBytes(6).toString('hex')}` }));
}

/** The segments a config's rules name. */
function segmentsNamed(config: StoredFlagConfig): string[] {
  return [...new Set((config.rules ?? []).flatMap((r) => r.segments ?? []))];
}

/**
 * Core's validation of a configuration in its environment, plus the one-level dependency rule.
 * Reads only what the config refers to: the environment's dependency graph when it has
 * dependencies, the segments its rules name.
 */
async function checkConfig(
  tx: ChangeTx['tx'],
  flag: FlagRow,
  environmentKey: string,
  enabled: boolean,
  config: StoredFlagConfig,
): Promise<void> {
  if (flag.archivedAt !== null) throw new ConflictError(`Flag ${flag.key} is archived; restore it to change its configuration`);
  const hasDependencies = (config.dependencies?.length ?? 0) > 0;
  const graph = hasDependencies ? await dependencyGraph(tx, environmentKey) : new Map<string, string[]>();
  const issues = validateFlagConfig(
    { key: flag.key, enabled, ...config },
    {
      segments: await existingSegmentKeys(tx, segmentsNamed(config)),
      dependenciesOf: (k) => (k === flag.key ? [] : graph.get(k)),
    },
  );
  if (hasDependencies) {
    // One level deep: a flag others depend on cannot gain dependencies of its own.
    const children = [...graph].filter(([k, parents]) => k !== flag.key && parents.includes(flag.key)).map(([k]) => k);
    if (children.length > 0) {
      issues.push({
        path: '/dependencies',
        code: 'TRANSITIVE_DEPENDENCY',
        message: `Other flags depend on this one (${children.join(', ')}); dependencies are one level deep`,
      });
    }
  }
  if (issues.length > 0) throw new ValidationError('The flag configuration is invalid', issues);
}

/** What an edit makes of an environment's current config (a patch merged, a version restored). */
interface ConfigEdit {
  enabled: boolean;
  config: StoredFlagConfig;
  action: string;
}
type EditOf = (current: FlagEnvironmentRow) => ConfigEdit | Promise<ConfigEdit>;

/** A flag, its config in an environment, 404s in that order; under the environment's lock when `lock`. */
async function loadFlagEnvironment(tx: ChangeTx['tx'], key: string, env: string, lock: boolean) {
  if (lock) await lockEnvironment(tx, env);
  const found = await findFlagInEnvironment(tx, key, env);
  if (!found) throw new NotFoundError(`Flag ${key}`);
  if (!found.gate) throw new NotFoundError(`Environment ${env}`);
  if (!found.current) throw new NotFoundError(`Flag ${key} in ${env}`);
  return { flag: found.flag, gate: found.gate, current: found.current };
}

function flagChange(flag: FlagRow, enabled: boolean, config: StoredFlagConfig): ChangeOp {
  return { op: 'flag', key: flag.key, flag: toSnapshotFlag(flag.key, enabled, config, flag.clientVisible) };
}

function configAudit(flag: FlagRow, before: FlagEnvironmentRow, after: FlagEnvironmentRow, action: string): AuditEntry {
  return {
    action,
    resourceType: 'flag',
    resourceKey: flag.key,
    environmentKey: after.environmentKey,
    before: flagEnvironmentView(before),
    after: flagEnvironmentView(after),
  };
}

/**
 * Writes a new version of one environment's config after core's validation (the same checks SDKs
 * rely on), then puts it on the change log for that environment.
 *
 * Writes to one environment queue on its row lock, so what runs under it bounds how many edits an
 * environment takes per second. An edit without dependencies is therefore read and validated
 * before the lock, which its revision bump takes; the compare-and-set after it also requires that
 * the flag (archived or not, what SDKs see of it) and the segments its rules name are as they were
 * read. Nothing else it was validated against can change: other flags' edits in this environment
 * change only the dependency graph, which matters only to a config with dependencies, and every
 * other change that matters (archiving, segments, flag settings) takes the lock of every
 * environment. When anything moved, the edit is read, merged and validated again under the lock
 * it now holds, which is how an edit with dependencies (the graph must hold still) always runs.
 * `version` undefined: whatever is current (scheduled and ramped changes). `gate`: a direct
 * write's check of the environment's settings, from the same first read.
 */
async function writeConfig(c: ChangeTx, key: string, env: string, version: number | undefined, editOf: EditOf, gate?: WriteGate) {
  const { flag, gate: settings, current } = await loadFlagEnvironment(c.tx, key, env, false);
  await gate?.(c, settings);
  const edit = await editOf(current);
  if ((edit.config.dependencies?.length ?? 0) > 0) return writeConfigLocked(c, key, env, version, editOf, null);
  await checkConfig(c.tx, flag, env, edit.enabled, edit.config);
  if (version !== undefined && version !== current.version) throw new VersionMismatchError(current.version);
  const bump = await c.appendChange(env, flagChange(flag, edit.enabled, edit.config));
  // Under the lock from here to commit: the compare-and-set and its audit row in one round trip.
  const row: FlagEnvironmentRow = {
    ...current,
    enabled: edit.enabled,
    config: edit.config,
    version: current.version + 1,
    updatedAt: new Date(),
  };
  const write = updateFlagEnvironmentIfUnchanged({
    flagKey: key,
    environmentKey: env,
    version: current.version,
    flagVersion: flag.version,
    segments: segmentsNamed(edit.config),
    enabled: edit.enabled,
    config: edit.config,
    actor: actorRef(c.actor),
    updatedAt: row.updatedAt,
  });
  const written = await c.auditWritten(write, configAudit(flag, current, row, edit.action));
  if (written.length === 0) return writeConfigLocked(c, key, env, version, editOf, bump);
  return row;
}

/** `writeConfig` under the environment's lock: taken here, or already by `bump` (whose change is then corrected). */
async function writeConfigLocked(
  c: ChangeTx,
  key: string,
  env: string,
  version: number | undefined,
  editOf: EditOf,
  bump: RevisionBump | null,
) {
  const { flag, current } = await loadFlagEnvironment(c.tx, key, env, bump === null);
  const { enabled, config, action } = await editOf(current);
  await checkConfig(c.tx, flag, env, enabled, config);
  const row = await updateFlagEnvironmentIfVersion(c.tx, key, env, version ?? current.version, enabled, config, actorRef(c.actor));
  if (!row) {
    const now = await findFlagEnvironment(c.tx, key, env);
    throw new VersionMismatchError(now?.version ?? current.version);
  }
  const change = flagChange(flag, row.enabled, row.config);
  if (bump) await c.amendChange(bump, change);
  else await c.appendChange(env, change);
  await c.audit(configAudit(flag, current, row, action));
  return row;
}

function mergePatch(current: FlagEnvironmentRow, patch: FlagEnvironmentPatch): { enabled: boolean; config: StoredFlagConfig } {
  const config: StoredFlagConfig = { ...current.config };
  if (patch.rules !== undefined) config.rules = withRuleIds(patch.rules);
  if (patch.variants !== undefined) config.variants = patch.variants;
  if (patch.variantStickiness === null) delete config.variantStickiness;
  else if (patch.variantStickiness !== undefined) config.variantStickiness = patch.variantStickiness;
  if (patch.dependencies !== undefined) config.dependencies = patch.dependencies;
  return { enabled: patch.enabled ?? current.enabled, config };
}

/**
 * Applies a change to one environment's config inside a write already in progress. `version` is
 * the one the caller edited; scheduled and ramped changes pass none and edit whatever is current
 * (their transaction still detects a concurrent edit and rolls back).
 */
export async function patchFlagEnvironment(
  c: ChangeTx,
  key: string,
  env: string,
  version: number | undefined,
  patch: FlagEnvironmentPatch,
  action?: string,
  gate?: WriteGate,
) {
  return writeConfig(
    c,
    key,
    env,
    version,
    (current) => {
      const { enabled, config } = mergePatch(current, patch);
      const onlyToggle = patch.enabled !== undefined && patch.enabled !== current.enabled && Object.keys(patch).length === 1;
      return { enabled, config, action: action ?? (onlyToggle ? (enabled ? 'flag.enabled' : 'flag.disabled') : 'flag.configured') };
    },
    gate,
  );
}

/** Checks a change against the current config without writing it (for changes scheduled later). */
export async function checkFlagEnvironmentPatch(c: ChangeTx, key: string, env: string, patch: FlagEnvironmentPatch): Promise<void> {
  const { flag, current } = await loadFlagEnvironment(c.tx, key, env, true);
  const { enabled, config } = mergePatch(current, patch);
  await checkConfig(c.tx, flag, env, enabled, config);
}

export async function updateFlagEnvironment(
  deps: ChangeDeps,
  actor: Actor,
  key: string,
  env: string,
  version: number,
  patch: FlagEnvironmentPatch,
  gate?: WriteGate,
) {
  return runChange(deps, actor, async (c) => flagEnvironmentView(await patchFlagEnvironment(c, key, env, version, patch, undefined, gate)));
}

/** Restores an earlier version as a new version: history only grows. */
export async function revertFlagEnvironment(
  deps: ChangeDeps,
  actor: Actor,
  key: string,
  env: string,
  version: number,
  toVersion: number,
  gate?: WriteGate,
) {
  return runChange(deps, actor, async (c) => {
    let target: ConfigVersionRow | undefined;
    const row = await writeConfig(
      c,
      key,
      env,
      version,
      async () => {
        // Versions never change once written: read once, after the flag and environment were found.
        target ??= await findConfigVersion(c.tx, key, env, toVersion);
        if (!target) throw new NotFoundError(`Version ${toVersion} of flag ${key} in ${env}`);
        return { enabled: target.enabled, config: target.config, action: 'flag.reverted' };
      },
      gate,
    );
    return flagEnvironmentView(row);
  });
}
