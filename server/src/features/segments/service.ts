import type { Condition } from '@switchboard/core';
import { validateSegment } from '@switchboard/core/validation';
import type { Actor } from '../../domain/actor.ts';
import { type ChangeDeps, lockAllEnvironments, runChange } from '../../domain/changes.ts';
import { ConflictError, ErrorCode, NotFoundError, ValidationError, VersionMismatchError } from '../../errors.ts';
import { deleteSegmentRow, findSegment, insertSegment, type SegmentRow, segmentUsage, updateSegmentIfVersion } from './store.ts';

export interface SegmentInput {
  key: string;
  name?: string | undefined;
  description?: string | undefined;
  conditions: Condition[];
}

export function segmentView(row: SegmentRow, usedBy: string[]) {
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    conditions: row.conditions,
    usedBy,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function validate(key: string, conditions: Condition[]): void {
  const issues = validateSegment({ key, conditions });
  if (issues.length > 0) throw new ValidationError('The segment is invalid', issues);
}

export async function createSegment(deps: ChangeDeps, actor: Actor, input: SegmentInput) {
  return runChange(deps, actor, async (c) => {
    await lockAllEnvironments(c.tx);
    validate(input.key, input.conditions);
    if (await findSegment(c.tx, input.key)) throw new ConflictError(`Segment ${input.key} exists already`);
    const row = await insertSegment(c.tx, {
      key: input.key,
      name: input.name ?? input.key,
      description: input.description ?? '',
      conditions: input.conditions,
    });
    await c.appendChangeEverywhere(() => ({ op: 'segment', key: row.key, segment: { key: row.key, conditions: row.conditions } }));
    const view = segmentView(row, []);
    await c.audit({ action: 'segment.created', resourceType: 'segment', resourceKey: row.key, after: view });
    return view;
  });
}

export async function updateSegment(
  deps: ChangeDeps,
  actor: Actor,
  key: string,
  version: number,
  input: Partial<Omit<SegmentInput, 'key'>>,
) {
  return runChange(deps, actor, async (c) => {
    await lockAllEnvironments(c.tx);
    const before = await findSegment(c.tx, key);
    if (!before) throw new NotFoundError(`Segment ${key}`);
    if (input.conditions) validate(key, input.conditions);
    const set: Partial<SegmentRow> = {};
    if (input.name !== undefined) set.name = input.name;
    if (input.description !== undefined) set.description = input.description;
    if (input.conditions !== undefined) set.conditions = input.conditions;
    const row = await updateSegmentIfVersion(c.tx, key, version, set);
    // Read again: the version that won, not the one read before the update waited for it.
    if (!row) throw new VersionMismatchError((await findSegment(c.tx, key))?.version ?? before.version);
    await c.appendChangeEverywhere(() => ({ op: 'segment', key, segment: { key, conditions: row.conditions } }));
    // Only this segment's flags: reading every segment's usage costs with the number in use.
    const usedBy = (await segmentUsage(c.tx, [key])).get(key) ?? [];
    const view = segmentView(row, usedBy);
    await c.audit({
      action: 'segment.updated',
      resourceType: 'segment',
      resourceKey: key,
      before: segmentView(before, usedBy),
      after: view,
    });
    return view;
  });
}

/** Refused while any flag's rules use the segment, naming those flags. */
export async function deleteSegment(deps: ChangeDeps, actor: Actor, key: string) {
  return runChange(deps, actor, async (c) => {
    await lockAllEnvironments(c.tx);
    const before = await findSegment(c.tx, key);
    if (!before) throw new NotFoundError(`Segment ${key}`);
    const usedBy = (await segmentUsage(c.tx, [key])).get(key) ?? [];
    if (usedBy.length > 0) {
      throw new ConflictError(
        `Segment ${key} is used by ${usedBy.length} flag(s): ${usedBy.join(', ')}`,
        { flags: usedBy },
        ErrorCode.InUse,
      );
    }
    await deleteSegmentRow(c.tx, key);
    await c.appendChangeEverywhere(() => ({ op: 'segment-removed', key }));
    await c.audit({ action: 'segment.deleted', resourceType: 'segment', resourceKey: key, before: segmentView(before, []) });
  });
}
