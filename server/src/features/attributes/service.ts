import { type Actor, Role, roleAtLeast } from '../../domain/actor.ts';
import { type ChangeDeps, lockAllEnvironments, runChange } from '../../domain/changes.ts';
import { ForbiddenError, VersionMismatchError, VersionRequiredError } from '../../errors.ts';
import { type AttributeRow, findAttribute, insertAttribute, updateAttributeIfVersion } from './store.ts';

/** Sensitive unless an admin says otherwise: what a person's identity is made of. */
export const DEFAULT_SENSITIVE: ReadonlySet<string> = new Set(['email', 'userId', 'sessionId', 'remoteAddress']);

export function attributeView(row: AttributeRow) {
  return {
    name: row.name,
    description: row.description,
    sensitive: row.sensitive,
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface AttributeInput {
  description?: string | undefined;
  sensitive?: boolean | undefined;
}

/**
 * Creates or updates an attribute's description and sensitivity. A flag whose conditions (or variant
 * overrides) compare a sensitive attribute is evaluated on the server for browsers, whatever the
 * operator, so marking one never conflicts with a configuration. Any change of sensitivity reshapes
 * every client view, so each environment gets a revision that reloads it.
 */
export async function putAttribute(deps: ChangeDeps, actor: Actor, name: string, version: number | undefined, input: AttributeInput) {
  return runChange(deps, actor, async (c) => {
    await lockAllEnvironments(c.tx);
    const before = await findAttribute(c.tx, name);
    const sensitive = input.sensitive ?? before?.sensitive ?? DEFAULT_SENSITIVE.has(name);
    // Un-marking sends the attribute's values to browsers in clear text again: an admin's decision.
    // Marking one sensitive only protects more, so editors may.
    if ((before?.sensitive ?? DEFAULT_SENSITIVE.has(name)) && !sensitive && !roleAtLeast(actor.role, Role.Admin))
      throw new ForbiddenError('Only admins can mark a sensitive attribute as not sensitive');
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
