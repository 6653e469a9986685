import { validateFlagConfig, validateSegment } from '@switchboard/core/validation';
import { asc, eq, isNull } from 'drizzle-orm';
import { flagEnvironments, flags, segments } from '../../db/schema/index.ts';
import { type Actor, Role, roleAtLeast } from '../../domain/actor.ts';
import { type ChangeDeps, type ChangeTx, lockAllEnvironments, runChange } from '../../domain/changes.ts';
import { ConflictError, ErrorCode, ForbiddenError, VersionMismatchError, VersionRequiredError } from '../../errors.ts';
import { type AttributeRow, findAttribute, insertAttribute, updateAttributeIfVersion } from './store.ts';

export function attributeView(row: AttributeRow) {
  return {
    name: row.name,
    description: row.description,
    sensitive: row.sensitive,
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Flags and segments whose conditions would break if `name` became sensitive. */
async function conflictsWithSensitive(c: ChangeTx, name: string): Promise<string[]> {
  const only = new Set([name]);
  const found: string[] = [];
  const configs = await c.tx
    .select({
      key: flagEnvironments.flagKey,
      env: flagEnvironments.environmentKey,
      enabled: flagEnvironments.enabled,
      config: flagEnvironments.config,
    })
    .from(flagEnvironments)
    .innerJoin(flags, eq(flags.key, flagEnvironments.flagKey))
    .where(isNull(flags.archivedAt))
    .orderBy(asc(flagEnvironments.flagKey));
  for (const row of configs) {
    const issues = validateFlagConfig({ key: row.key, enabled: row.enabled, ...row.config }, { sensitiveAttributes: only });
    if (issues.some((i) => i.code === 'SENSITIVE_ATTRIBUTE')) found.push(`flag ${row.key} (${row.env})`);
  }
  for (const s of await c.tx.select().from(segments).orderBy(asc(segments.key))) {
    if (validateSegment({ key: s.key, conditions: s.conditions }, only).some((i) => i.code === 'SENSITIVE_ATTRIBUTE'))
      found.push(`segment ${s.key}`);
  }
  return found;
}

export interface AttributeInput {
  description?: string | undefined;
  sensitive?: boolean | undefined;
}

/**
 * Creates or updates an attribute's description and sensitivity. Making one sensitive is refused
 * while conditions compare it in ways a digest cannot (prefixes, regexes, stickiness). Any change
 * of sensitivity reshapes every client view, so each environment gets a revision that reloads it.
 */
export async function putAttribute(deps: ChangeDeps, actor: Actor, name: string, version: number | undefined, input: AttributeInput) {
  return runChange(deps, actor, async (c) => {
    await lockAllEnvironments(c.tx);
    const before = await findAttribute(c.tx, name);
    const sensitive = input.sensitive ?? before?.sensitive ?? false;
    // Un-marking sends the attribute's values to browsers in clear text again: an admin's decision.
    // Marking one sensitive only protects more, so editors may.
    if (before?.sensitive && !sensitive && !roleAtLeast(actor.role, Role.Admin))
      throw new ForbiddenError('Only admins can mark a sensitive attribute as not sensitive');
    if (sensitive && !before?.sensitive) {
      const conflicts = await conflictsWithSensitive(c, name);
      if (conflicts.length > 0) {
        throw new ConflictError(
          `${name} is compared in ways a digest cannot support: ${conflicts.join(', ')}`,
          { uses: conflicts },
          ErrorCode.InUse,
        );
      }
    }
    let row: AttributeRow | undefined;
    if (before) {
      if (version === undefined) throw new VersionRequiredError();
      row = await updateAttributeIfVersion(c.tx, name, version, { description: input.description ?? before.description, sensitive });
      // Read again: the version that won, not the one read before the update waited for it.
      if (!row) throw new VersionMismatchError((await findAttribute(c.tx, name))?.version ?? before.version);
    } else {
      row = await insertAttribute(c.tx, { name, description: input.description ?? '', sensitive });
    }
    if (row.sensitive !== (before?.sensitive ?? false)) await c.appendChangeEverywhere((env) => ({ op: 'environment', key: env }));
    await c.audit({
      action: before ? 'attribute.updated' : 'attribute.created',
      resourceType: 'attribute',
      resourceKey: name,
      before: before ? attributeView(before) : null,
      after: attributeView(row),
    });
    return attributeView(row);
  });
}
