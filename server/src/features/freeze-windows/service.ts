import type { Database } from '../../db/client.ts';
import { type Actor, Role, roleAtLeast, roleIn } from '../../domain/actor.ts';
import { type ChangeDeps, type ChangeTx, runChange } from '../../domain/changes.ts';
import { AppError, ErrorCode, ForbiddenError, NotFoundError, ValidationError, VersionMismatchError } from '../../errors.ts';
import { findEnvironment } from '../environments/store.ts';
import {
  deleteFreezeWindowRow,
  type FreezeWindowRow,
  findFreezeWindow,
  insertFreezeWindow,
  listFreezeWindows,
  updateFreezeWindowIfVersion,
} from './store.ts';

export const FreezeMode = { Refuse: 'refuse', Defer: 'defer' } as const;
export type FreezeMode = (typeof FreezeMode)[keyof typeof FreezeMode];
export const Recurrence = { None: 'none', Weekly: 'weekly' } as const;
export type Recurrence = (typeof Recurrence)[keyof typeof Recurrence];

const WEEK_MS = 7 * 86_400_000;
/** The header an admin sends to write through a freeze; its text lands in the audit log. */
export const FREEZE_OVERRIDE_HEADER = 'x-freeze-override';
export const OVERRIDE_MIN_LENGTH = 10;

/** One occurrence of a window: the window itself, or this week's repetition of a weekly one. */
export interface FreezeOccurrence {
  window: FreezeWindowRow;
  start: Date;
  end: Date;
}

/** The occurrence of `row` in force at `at`, if any. A weekly window repeats [start, end) every 7 days from its start. */
export function occurrenceAt(row: FreezeWindowRow, at: Date): FreezeOccurrence | undefined {
  const t = at.getTime();
  const start = row.startsAt.getTime();
  const end = row.endsAt.getTime();
  if (t < start) return undefined;
  const shift = row.recurrence === Recurrence.Weekly ? Math.floor((t - start) / WEEK_MS) * WEEK_MS : 0;
  if (t >= end + shift) return undefined;
  return { window: row, start: new Date(start + shift), end: new Date(end + shift) };
}

/**
 * The window in force in an environment at `at`: a refusing one before a deferring one (refusal is
 * the stricter answer), then the one ending last. Ends are chained, so back-to-back windows defer
 * work to the end of the last.
 */
export async function activeFreeze(db: Database, environmentKey: string, at: Date): Promise<FreezeOccurrence | undefined> {
  const rows = await listFreezeWindows(db, environmentKey);
  const active = rows.map((r) => occurrenceAt(r, at)).filter((o): o is FreezeOccurrence => o !== undefined);
  active.sort((a, b) => {
    if (a.window.mode !== b.window.mode) return a.window.mode === FreezeMode.Refuse ? -1 : 1;
    return b.end.getTime() - a.end.getTime();
  });
  const first = active[0];
  if (!first || first.window.mode === FreezeMode.Refuse) return first;
  // A deferral lands at the end; if another window covers that instant, at the end of that one.
  let end = first.end;
  for (let i = 0; i < 10; i++) {
    const next = rows.map((r) => occurrenceAt(r, end)).find((o) => o !== undefined && o.end > end);
    if (!next) break;
    end = next.end;
  }
  return { ...first, end };
}

export class EnvironmentFrozenError extends AppError {
  constructor(environment: string, o: FreezeOccurrence) {
    super(423, ErrorCode.EnvironmentFrozen, `${environment} is frozen until ${o.end.toISOString()} (${o.window.reason})`, {
      windowId: o.window.id,
      environment,
      start: o.start.toISOString(),
      end: o.end.toISOString(),
      reason: o.window.reason,
      mode: o.window.mode,
    });
  }
}

/**
 * Refuses a write to a frozen environment, unless an admin (in that environment) sends a
 * justification in `X-Freeze-Override`; then the override is audited in the write's transaction
 * (`freeze.overridden`, with the justification and what it was for) and the write goes on.
 */
export async function assertNotFrozenIn(
  c: ChangeTx,
  environmentKey: string,
  override: string | undefined,
  what: string,
  at: Date = new Date(),
): Promise<void> {
  const frozen = await activeFreeze(c.tx, environmentKey, at);
  if (!frozen) return;
  const justification = override?.trim();
  if (!justification) throw new EnvironmentFrozenError(environmentKey, frozen);
  if (!roleAtLeast(roleIn(c.actor, environmentKey), Role.Admin))
    throw new ForbiddenError(`Only an admin may write through a freeze of ${environmentKey}`);
  if (justification.length < OVERRIDE_MIN_LENGTH)
    throw new ValidationError(`Say why in ${OVERRIDE_MIN_LENGTH} characters or more (X-Freeze-Override)`, [
      { path: '/headers/x-freeze-override', message: `at least ${OVERRIDE_MIN_LENGTH} characters` },
    ]);
  await c.audit({
    action: 'freeze.overridden',
    resourceType: 'freeze_window',
    resourceKey: frozen.window.id,
    environmentKey,
    after: { justification, for: what, window: freezeWindowView(frozen.window, at) },
  });
}

export function freezeWindowView(row: FreezeWindowRow, now: Date = new Date()) {
  return {
    id: row.id,
    environment: row.environmentKey,
    start: row.startsAt.toISOString(),
    end: row.endsAt.toISOString(),
    reason: row.reason,
    recurrence: row.recurrence as Recurrence,
    mode: row.mode as FreezeMode,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    version: row.version,
    activeNow: occurrenceAt(row, now) !== undefined,
  };
}

export interface FreezeWindowInput {
  start: string;
  end: string;
  reason: string;
  recurrence: Recurrence;
  mode: FreezeMode;
}

function checkSpan(start: Date, end: Date, recurrence: string): void {
  if (!(end.getTime() > start.getTime()))
    throw new ValidationError('A freeze window ends after it starts', [{ path: '/end', message: 'after start' }]);
  if (recurrence === Recurrence.Weekly && end.getTime() - start.getTime() >= WEEK_MS)
    throw new ValidationError('A weekly window lasts less than a week', [{ path: '/end', message: 'less than 7 days after start' }]);
}

async function requireEnvironment(db: Database, key: string): Promise<void> {
  if (!(await findEnvironment(db, key))) throw new NotFoundError(`Environment ${key}`);
}

export async function listWindows(db: Database, environmentKey: string) {
  await requireEnvironment(db, environmentKey);
  const now = new Date();
  return (await listFreezeWindows(db, environmentKey)).map((r) => freezeWindowView(r, now));
}

export async function createFreezeWindow(deps: ChangeDeps, actor: Actor, environmentKey: string, input: FreezeWindowInput) {
  const start = new Date(input.start);
  const end = new Date(input.end);
  checkSpan(start, end, input.recurrence);
  return runChange(deps, actor, async (c) => {
    await requireEnvironment(c.tx, environmentKey);
    const row = await insertFreezeWindow(c.tx, {
      environmentKey,
      startsAt: start,
      endsAt: end,
      reason: input.reason,
      recurrence: input.recurrence,
      mode: input.mode,
      createdBy: actor.name,
    });
    const view = freezeWindowView(row);
    await c.audit({ action: 'freeze.created', resourceType: 'freeze_window', resourceKey: row.id, environmentKey, after: view });
    return view;
  });
}

export async function updateFreezeWindow(
  deps: ChangeDeps,
  actor: Actor,
  environmentKey: string,
  id: string,
  version: number,
  input: Partial<FreezeWindowInput>,
) {
  return runChange(deps, actor, async (c) => {
    const before = await findFreezeWindow(c.tx, environmentKey, id);
    if (!before) throw new NotFoundError(`Freeze window ${id} of ${environmentKey}`);
    const start = input.start !== undefined ? new Date(input.start) : before.startsAt;
    const end = input.end !== undefined ? new Date(input.end) : before.endsAt;
    checkSpan(start, end, input.recurrence ?? before.recurrence);
    const row = await updateFreezeWindowIfVersion(c.tx, id, version, {
      startsAt: start,
      endsAt: end,
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
      ...(input.recurrence !== undefined ? { recurrence: input.recurrence } : {}),
      ...(input.mode !== undefined ? { mode: input.mode } : {}),
    });
    if (!row) throw new VersionMismatchError((await findFreezeWindow(c.tx, environmentKey, id))?.version ?? before.version);
    const view = freezeWindowView(row);
    await c.audit({
      action: 'freeze.updated',
      resourceType: 'freeze_window',
      resourceKey: id,
      environmentKey,
      before: freezeWindowView(before),
      after: view,
    });
    return view;
  });
}

export async function deleteFreezeWindow(deps: ChangeDeps, actor: Actor, environmentKey: string, id: string) {
  return runChange(deps, actor, async (c) => {
    const before = await findFreezeWindow(c.tx, environmentKey, id);
    if (!before) throw new NotFoundError(`Freeze window ${id} of ${environmentKey}`);
    await deleteFreezeWindowRow(c.tx, id);
    await c.audit({
      action: 'freeze.deleted',
      resourceType: 'freeze_window',
      resourceKey: id,
      environmentKey,
      before: freezeWindowView(before),
    });
  });
}

/**
 * For scheduled work (ramp steps, scheduled changes) falling due at `now`: nothing when the
 * environment is not frozen; the instant to move the work to when a `defer` window holds it; and an
 * `EnvironmentFrozenError` when a `refuse` window does (a ramp then pauses with it as the reason, a
 * scheduled change fails with it).
 */
export async function freezeDeferral(db: Database, environmentKey: string, now: Date): Promise<Date | undefined> {
  const frozen = await activeFreeze(db, environmentKey, now);
  if (!frozen) return undefined;
  if (frozen.window.mode === FreezeMode.Refuse) throw new EnvironmentFrozenError(environmentKey, frozen);
  return frozen.end;
}
