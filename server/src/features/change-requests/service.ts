import type { Static } from 'typebox';
import type { Database } from '../../db/client.ts';
import { type Actor, actorRef } from '../../domain/actor.ts';
import { type ChangeDeps, type ChangeTx, lockAllEnvironments, lockEnvironment, runChange } from '../../domain/changes.ts';
import { AppError, ConflictError, ErrorCode, ForbiddenError, NotFoundError, VersionMismatchError } from '../../errors.ts';
import { findEnvironment, findEnvironments } from '../environments/store.ts';
import { type FlagEnvironmentPatch, flagEnvironmentView, updateFlagEnvironment } from '../flags/service.ts';
import { findFlagEnvironment, findFlagEnvironments } from '../flags/store.ts';
import { assertNotFrozenIn } from '../freeze-windows/service.ts';
import { abortRamp, createRamp, pauseRamp, rampView, resumeRamp, startRamp } from '../ramps/service.ts';
import { findRamp, findRamps } from '../ramps/store.ts';
import { scheduleChange } from '../schedules/service.ts';
import { type SegmentInput, segmentView, updateSegment } from '../segments/service.ts';
import { findSegment, findSegments, segmentUsage } from '../segments/store.ts';
import { changeRequestAuditView as auditView } from './audit-view.ts';
import type { Change as ChangeSchema } from './schemas.ts';
import {
  type ChangeRequestRow,
  findChangeRequest,
  insertChangeRequest,
  insertReview,
  type ListFilter,
  listChangeRequests,
  liveRequestsOf,
  lockChangeRequest,
  type ReviewRow,
  reviewsOf,
  updateChangeRequest,
} from './store.ts';

/**
 * Change requests: a write to an environment that needs approvals, proposed instead of made. The
 * change is stored as the body the direct write would have had, with the version it was based on;
 * applying it runs that same write (the flags, segments, ramps or schedules service, with their
 * validation and version checks) inside the transaction that moves the request to `applied`.
 */

export type Change = Static<typeof ChangeSchema>;
export type Decision = 'approve' | 'request_changes' | 'reject' | 'comment';

export const CrState = {
  Open: 'open',
  Approved: 'approved',
  ChangesRequested: 'changes_requested',
  Rejected: 'rejected',
  Applied: 'applied',
  Withdrawn: 'withdrawn',
} as const;
export type CrState = (typeof CrState)[keyof typeof CrState];

const FINAL_STATES: readonly string[] = [CrState.Rejected, CrState.Applied, CrState.Withdrawn];

/** The person behind an actor: a token counts as its owner, so nobody approves their own request through a token. */
function personOf(actor: Actor): { ref: string; userId: string; name: string } {
  return { ref: actorRef(actor), userId: actor.userId ?? actorRef(actor), name: actor.name };
}

function baseVersionOf(change: Change): number | undefined {
  return 'baseVersion' in change ? change.baseVersion : undefined;
}

/** The flag a change is about (the flag page's banner), when it is about one. */
async function flagKeyOf(db: Database, change: Change): Promise<string | null> {
  if (change.kind === 'segment') return null;
  if (change.kind === 'ramp-update') return (await findRamp(db, change.rampId))?.flagKey ?? null;
  return change.flagKey;
}

/** The target as it is now, and its version: what the diff shows and the base is compared with. */
async function currentOf(db: Database, environment: string, change: Change): Promise<{ current: unknown; version: number } | undefined> {
  switch (change.kind) {
    case 'segment': {
      const row = await findSegment(db, change.segmentKey);
      return row ? { current: segmentView(row, (await segmentUsage(db, [row.key])).get(row.key) ?? []), version: row.version } : undefined;
    }
    case 'ramp-update': {
      const row = await findRamp(db, change.rampId);
      return row && row.environmentKey === environment ? { current: rampView(row), version: row.version } : undefined;
    }
    default: {
      const row = await findFlagEnvironment(db, change.flagKey, environment);
      return row ? { current: flagEnvironmentView(row), version: row.version } : undefined;
    }
  }
}

function targetName(change: Change): string {
  switch (change.kind) {
    case 'segment':
      return `Segment ${change.segmentKey}`;
    case 'ramp-update':
      return `Ramp ${change.rampId}`;
    default:
      return `Flag ${change.flagKey}`;
  }
}

/** 409 CONFLICT when the target moved since the base version, with the current state to rebase on. */
async function assertBaseCurrent(db: Database, environment: string, change: Change): Promise<void> {
  const now = await currentOf(db, environment, change);
  if (!now) throw new NotFoundError(`${targetName(change)} in ${environment}`);
  const base = baseVersionOf(change);
  if (base !== undefined && base !== now.version) {
    throw new ConflictError(
      `${targetName(change)} changed since this request was based on it (version ${base}, now ${now.version}); rebase it`,
      { baseVersion: base, currentVersion: now.version, current: now.current },
    );
  }
}

/**
 * Runs the change through its own service. `deps` is usually `nestedDeps` of a transaction in
 * progress, so the service's transaction is a savepoint of it and commits (or not) with it.
 */
async function runTheChange(deps: ChangeDeps, actor: Actor, environment: string, change: Change): Promise<number | undefined> {
  switch (change.kind) {
    case 'flag-config':
      return (
        await updateFlagEnvironment(deps, actor, change.flagKey, environment, change.baseVersion, change.config as FlagEnvironmentPatch)
      ).version;
    case 'segment':
      return (await updateSegment(deps, actor, change.segmentKey, change.baseVersion, change.segment as Partial<Omit<SegmentInput, 'key'>>))
        .version;
    case 'ramp-start': {
      const created = await createRamp(deps, actor, {
        flag: change.flagKey,
        environment,
        ruleId: change.ruleId,
        steps: change.steps,
        guard: change.guard,
      });
      return (await startRamp(deps, actor, created.id)).version;
    }
    case 'ramp-update': {
      if (change.action === 'start') return (await startRamp(deps, actor, change.rampId)).version;
      if (change.action === 'pause') return (await pauseRamp(deps, actor, change.rampId)).version;
      if (change.action === 'resume') return (await resumeRamp(deps, actor, change.rampId)).version;
      return (await abortRamp(deps, actor, change.rampId, 'previous')).version;
    }
    case 'schedule':
      await scheduleChange(deps, actor, change.flagKey, environment, new Date(change.runAt), change.patch);
      return undefined;
  }
}

/**
 * ChangeDeps whose writes run as savepoints of `tx` and whose announcements wait in `later` until
 * the outer transaction has committed (subscribers must never hear of an uncommitted revision).
 * The webhook outbox still writes inside the transaction, as for any change.
 */
function nestedDeps(tx: Database, outer: ChangeDeps, later: Array<() => Promise<void> | void>): ChangeDeps {
  return {
    db: tx,
    onCommitted: (bump) => {
      later.push(() => outer.onCommitted(bump));
    },
    onActivity: (entry, actor) => {
      later.push(() => outer.onActivity?.(entry, actor));
    },
    ...(outer.onAudited ? { onAudited: outer.onAudited } : {}),
  };
}

class DryRunDone extends Error {}

/** Runs the change in a savepoint that is always rolled back: its validation errors surface now, at proposal time. */
async function dryRun(c: ChangeTx, outer: ChangeDeps, environment: string, change: Change): Promise<void> {
  try {
    await c.tx.transaction(async (sp) => {
      await runTheChange(nestedDeps(sp as unknown as Database, outer, []), c.actor, environment, change);
      throw new DryRunDone();
    });
  } catch (err) {
    if (!(err instanceof DryRunDone)) throw err;
  }
}

/** Reviews of the current round, the latest per reviewer: approvals, and the state they add up to. */
export function tally(reviews: ReviewRow[], round: number, required: number): { approvals: number; state: CrState } {
  const latest = new Map<string, string>();
  for (const r of reviews) if (r.round === round && r.decision !== 'comment') latest.set(r.reviewerUserId ?? r.reviewerRef, r.decision);
  const decisions = [...latest.values()];
  const approvals = decisions.filter((d) => d === 'approve').length;
  if (decisions.includes('reject')) return { approvals, state: CrState.Rejected };
  if (decisions.includes('request_changes')) return { approvals, state: CrState.ChangesRequested };
  return { approvals, state: approvals >= required ? CrState.Approved : CrState.Open };
}

/** What the views of some requests read, for all of them at once: a few queries whether 1 or 100. */
interface ViewContext {
  requiredApprovals: Map<string, number>;
  reviews: Map<string, ReviewRow[]>;
  /** The target as it is now (as `currentOf` reads it), by request id; live requests only. */
  current: Map<string, { current: unknown; version: number }>;
}

async function viewContext(db: Database, rows: readonly ChangeRequestRow[]): Promise<ViewContext> {
  const live = rows.filter((r) => !FINAL_STATES.includes(r.state)).map((row) => ({ row, change: row.change as Change }));
  const segmentKeys = new Set<string>();
  const rampIds = new Set<string>();
  const flagPairs = new Map<string, { flagKey: string; environmentKey: string }>();
  for (const { row, change } of live) {
    if (change.kind === 'segment') segmentKeys.add(change.segmentKey);
    else if (change.kind === 'ramp-update') rampIds.add(change.rampId);
    else flagPairs.set(`${change.flagKey}\u0000${row.environmentKey}`, { flagKey: change.flagKey, environmentKey: row.environmentKey });
  }
  const [environments, reviews, segmentRows, usage, ramps, flagEnvironments] = await Promise.all([
    findEnvironments(db, [...new Set(rows.map((r) => r.environmentKey))]),
    reviewsOf(
      db,
      rows.map((r) => r.id),
    ),
    findSegments(db, [...segmentKeys]),
    segmentUsage(db, [...segmentKeys]),
    findRamps(db, [...rampIds]),
    findFlagEnvironments(db, [...flagPairs.values()]),
  ]);
  const segmentsByKey = new Map(segmentRows.map((s) => [s.key, s]));
  const rampsById = new Map(ramps.map((r) => [r.id, r]));
  const configs = new Map(flagEnvironments.map((fe) => [`${fe.flagKey}\u0000${fe.environmentKey}`, fe]));
  const current = new Map<string, { current: unknown; version: number }>();
  for (const { row, change } of live) {
    if (change.kind === 'segment') {
      const segment = segmentsByKey.get(change.segmentKey);
      if (segment) current.set(row.id, { current: segmentView(segment, usage.get(segment.key) ?? []), version: segment.version });
    } else if (change.kind === 'ramp-update') {
      const ramp = rampsById.get(change.rampId);
      if (ramp && ramp.environmentKey === row.environmentKey) current.set(row.id, { current: rampView(ramp), version: ramp.version });
    } else {
      const config = configs.get(`${change.flagKey}\u0000${row.environmentKey}`);
      if (config) current.set(row.id, { current: flagEnvironmentView(config), version: config.version });
    }
  }
  const reviewsByRequest = new Map<string, ReviewRow[]>();
  for (const r of reviews) reviewsByRequest.set(r.changeRequestId, [...(reviewsByRequest.get(r.changeRequestId) ?? []), r]);
  return {
    requiredApprovals: new Map(environments.map((e) => [e.key, e.requiredApprovals])),
    reviews: reviewsByRequest,
    current,
  };
}

function buildView(ctx: ViewContext, row: ChangeRequestRow) {
  const required = ctx.requiredApprovals.get(row.environmentKey) ?? 0;
  const reviews = ctx.reviews.get(row.id) ?? [];
  const change = row.change as Change;
  const live = !FINAL_STATES.includes(row.state);
  const now = live ? ctx.current.get(row.id) : undefined;
  const base = baseVersionOf(change);
  return {
    id: row.id,
    environment: row.environmentKey,
    title: row.title,
    reason: row.reason,
    change,
    state: row.state as CrState,
    author: { id: row.authorUserId ?? row.authorRef, name: row.authorName },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
    approvals: tally(reviews, row.round, required).approvals,
    requiredApprovals: required,
    round: row.round,
    ...(now ? { current: now.current } : {}),
    conflict: live && base !== undefined && now !== undefined && now.version !== base,
    ...(row.appliedAt ? { appliedAt: row.appliedAt.toISOString() } : {}),
    ...(row.appliedBy ? { appliedBy: row.appliedBy } : {}),
    ...(row.resultVersion !== null ? { resultVersion: row.resultVersion } : {}),
    reviews: reviews.map((r) => ({
      id: r.id,
      reviewer: { id: r.reviewerUserId ?? r.reviewerRef, name: r.reviewerName },
      decision: r.decision as Decision,
      comment: r.comment,
      round: r.round,
      createdAt: r.createdAt.toISOString(),
    })),
  };
}

/** A request with its reviews and the target's current state (the request page). */
export async function changeRequestView(db: Database, row: ChangeRequestRow) {
  return buildView(await viewContext(db, [row]), row);
}

/** A request as lists show it: without its reviews. */
function changeRequestSummary(ctx: ViewContext, row: ChangeRequestRow) {
  const { reviews: _reviews, ...summary } = buildView(ctx, row);
  return summary;
}

async function requireRequest(tx: Database, id: string): Promise<ChangeRequestRow> {
  const row = await lockChangeRequest(tx, id);
  if (!row) throw new NotFoundError(`Change request ${id}`);
  return row;
}

async function requireEnvironmentRow(tx: Database, key: string) {
  const env = await findEnvironment(tx, key);
  if (!env) throw new NotFoundError(`Environment ${key}`);
  return env;
}

function assertAuthor(actor: Actor, row: ChangeRequestRow, verb: string): void {
  if (personOf(actor).userId !== row.authorUserId) throw new ForbiddenError(`Only the author of a change request may ${verb} it`);
}

function assertLive(row: ChangeRequestRow, verb: string): void {
  if (FINAL_STATES.includes(row.state))
    throw new ConflictError(`Cannot ${verb} a change request that is ${row.state}`, { state: row.state });
}

export interface CreateInput {
  environment: string;
  title: string;
  reason?: string | undefined;
  change: Change;
}

export async function createChangeRequest(deps: ChangeDeps, actor: Actor, input: CreateInput) {
  const me = personOf(actor);
  const row = await runChange(deps, actor, async (c) => {
    const env = await requireEnvironmentRow(c.tx, input.environment);
    await assertBaseCurrent(c.tx, env.key, input.change);
    await dryRun(c, deps, env.key, input.change);
    const row = await insertChangeRequest(c.tx, {
      environmentKey: env.key,
      title: input.title,
      reason: input.reason ?? '',
      change: input.change as unknown as Record<string, unknown>,
      flagKey: await flagKeyOf(c.tx, input.change),
      // Where no approvals are needed (0), a request is approved as it is proposed.
      state: env.requiredApprovals === 0 ? CrState.Approved : CrState.Open,
      authorRef: me.ref,
      authorUserId: me.userId,
      authorName: me.name,
    });
    await c.audit({
      action: 'change_request.created',
      resourceType: 'change_request',
      resourceKey: row.id,
      environmentKey: env.key,
      after: auditView(row),
    });
    return row;
  });
  return changeRequestView(deps.db, row);
}

export async function reviewChangeRequest(deps: ChangeDeps, actor: Actor, id: string, decision: Decision, comment: string | undefined) {
  const me = personOf(actor);
  const row = await runChange(deps, actor, async (c) => {
    const before = await requireRequest(c.tx, id);
    const final = FINAL_STATES.includes(before.state);
    // A closed request still takes comments (a note after the fact); decisions no longer mean anything.
    if (final && decision !== 'comment') assertLive(before, 'review');
    if (decision === 'approve' && me.userId === before.authorUserId)
      throw new AppError(403, ErrorCode.SelfApproval, 'You cannot approve your own change request; someone else must');
    const review = await insertReview(c.tx, {
      changeRequestId: id,
      round: before.round,
      reviewerRef: me.ref,
      reviewerUserId: me.userId,
      reviewerName: me.name,
      decision,
      comment: comment ?? '',
    });
    let state = before.state;
    if (!final) {
      const env = await requireEnvironmentRow(c.tx, before.environmentKey);
      state = tally(await reviewsOf(c.tx, [id]), before.round, env.requiredApprovals).state;
    }
    const after = await updateChangeRequest(c.tx, id, { state });
    const entry = { resourceType: 'change_request', resourceKey: id, environmentKey: before.environmentKey };
    await c.audit({
      ...entry,
      action: 'change_request.reviewed',
      before: auditView(before),
      after: { ...auditView(after), review: { id: review.id, decision, comment: review.comment } },
    });
    if (state !== before.state && (state === CrState.Approved || state === CrState.Rejected)) {
      await c.audit({ ...entry, action: `change_request.${state}`, before: auditView(before), after: auditView(after) });
    }
    return after;
  });
  return changeRequestView(deps.db, row);
}

/**
 * Applies an approved request exactly once. The request's row lock orders concurrent applies (two
 * approvers clicking at once, on any replicas): the first moves it to `applied` in the same
 * transaction as the change itself; the next finds it applied and answers 409.
 */
export async function applyChangeRequest(deps: ChangeDeps, actor: Actor, id: string, version: number, override: string | undefined) {
  const later: Array<() => Promise<void> | void> = [];
  const row = await runChange(deps, actor, async (c) => {
    const before = await requireRequest(c.tx, id);
    if (before.state === CrState.Applied) {
      throw new ConflictError('This change request has been applied already', {
        state: before.state,
        appliedAt: before.appliedAt?.toISOString() ?? null,
        appliedBy: before.appliedBy,
        resultVersion: before.resultVersion,
      });
    }
    assertLive(before, 'apply');
    if (before.version !== version) throw new VersionMismatchError(before.version);
    const env = await requireEnvironmentRow(c.tx, before.environmentKey);
    // Counted again: the environment may need more approvals than when the request was approved.
    const { approvals } = tally(await reviewsOf(c.tx, [id]), before.round, env.requiredApprovals);
    if (before.state !== CrState.Approved || approvals < env.requiredApprovals) {
      throw new AppError(409, ErrorCode.NotApproved, `This change request has ${approvals} of ${env.requiredApprovals} approval(s)`, {
        state: before.state,
        approvals,
        requiredApprovals: env.requiredApprovals,
      });
    }
    if (!env.allowSelfApply && personOf(actor).userId === before.authorUserId) {
      throw new AppError(403, ErrorCode.SelfApplyForbidden, `In ${env.key}, someone other than the author applies an approved request`);
    }
    await assertNotFrozenIn(c, env.key, override, `apply change request ${id}`);
    const change = before.change as Change;
    // Locks in the order the services take them (a segment reaches every environment).
    if (change.kind === 'segment') await lockAllEnvironments(c.tx);
    else await lockEnvironment(c.tx, env.key);
    await assertBaseCurrent(c.tx, env.key, change);
    const resultVersion = await runTheChange(nestedDeps(c.tx, deps, later), actor, env.key, change);
    const after = await updateChangeRequest(c.tx, id, {
      state: CrState.Applied,
      appliedAt: new Date(),
      appliedBy: actor.name,
      resultVersion: resultVersion ?? null,
    });
    await c.audit({
      action: 'change_request.applied',
      resourceType: 'change_request',
      resourceKey: id,
      environmentKey: env.key,
      before: auditView(before),
      after: auditView(after),
    });
    return after;
  });
  for (const announce of later) await announce();
  return changeRequestView(deps.db, row);
}

/** The author re-bases the request on the target's current version; approvals of the earlier round no longer count. */
export async function rebaseChangeRequest(deps: ChangeDeps, actor: Actor, id: string, baseVersion: number, change: Change) {
  const row = await runChange(deps, actor, async (c) => {
    const before = await requireRequest(c.tx, id);
    assertAuthor(actor, before, 'rebase');
    assertLive(before, 'rebase');
    const rebased = ('baseVersion' in change ? { ...change, baseVersion } : change) as Change;
    const env = await requireEnvironmentRow(c.tx, before.environmentKey);
    await assertBaseCurrent(c.tx, env.key, rebased);
    await dryRun(c, deps, env.key, rebased);
    const after = await updateChangeRequest(c.tx, id, {
      change: rebased as unknown as Record<string, unknown>,
      flagKey: await flagKeyOf(c.tx, rebased),
      round: before.round + 1,
      state: env.requiredApprovals === 0 ? CrState.Approved : CrState.Open,
    });
    await c.audit({
      action: 'change_request.rebased',
      resourceType: 'change_request',
      resourceKey: id,
      environmentKey: env.key,
      before: auditView(before),
      after: auditView(after),
    });
    return after;
  });
  return changeRequestView(deps.db, row);
}

export async function withdrawChangeRequest(deps: ChangeDeps, actor: Actor, id: string) {
  const row = await runChange(deps, actor, async (c) => {
    const before = await requireRequest(c.tx, id);
    assertAuthor(actor, before, 'withdraw');
    assertLive(before, 'withdraw');
    const after = await updateChangeRequest(c.tx, id, { state: CrState.Withdrawn });
    await c.audit({
      action: 'change_request.withdrawn',
      resourceType: 'change_request',
      resourceKey: id,
      environmentKey: before.environmentKey,
      before: auditView(before),
      after: auditView(after),
    });
    return after;
  });
  return changeRequestView(deps.db, row);
}

/**
 * After an environment's `requiredApprovals` changed: its live requests are approved or open again
 * by the new count (raised: an approved request may need more; lowered: an open one may be ready).
 * Runs in the settings change's transaction, whose audit row records the cause.
 */
export async function restateLiveRequests(tx: Database, environmentKey: string, required: number): Promise<void> {
  const live = await liveRequestsOf(tx, environmentKey);
  const reviews = await reviewsOf(
    tx,
    live.map((r) => r.id),
  );
  for (const row of live) {
    const { state } = tally(
      reviews.filter((r) => r.changeRequestId === row.id),
      row.round,
      required,
    );
    if (state !== row.state) await updateChangeRequest(tx, row.id, { state });
  }
}

export async function getChangeRequest(db: Database, id: string) {
  const row = await findChangeRequest(db, id);
  if (!row) throw new NotFoundError(`Change request ${id}`);
  return changeRequestView(db, row);
}

export async function listChangeRequestViews(
  db: Database,
  actor: Actor,
  filter: Omit<ListFilter, 'userRef'>,
  page: Parameters<typeof listChangeRequests>[2],
) {
  const rows = await listChangeRequests(db, { ...filter, userRef: personOf(actor).userId }, page);
  // One read of each kind for the whole page, not a few per request.
  const ctx = await viewContext(
    db,
    rows.map((r) => r.row),
  );
  return rows.map((r) => ({ at: r.at, row: r.row, view: changeRequestSummary(ctx, r.row) }));
}
