import { type Context, compileSnapshot, evaluate, type FlagConfig } from '@switchboard/core';
import { allOperators } from '@switchboard/core/operators';
import type { Static } from 'typebox';
import type { Database } from '../../db/client.ts';
import { NotFoundError } from '../../errors.ts';
import { serverFlag } from '../delivery/client-view.ts';
import { loadEnvironment } from '../delivery/store.ts';
import type { EvaluateBody, EvaluateResponse, PlaygroundResult } from './schemas.ts';
import { flagNames } from './store.ts';

/**
 * Every flag of one environment for one context, as a server SDK would evaluate it (the server
 * view: raw sensitive values, every operator), read fresh from the database rather than from the
 * delivery hub, so the answer is the committed state even on a replica that is catching up. The
 * result names the rule that decided, so "why does user X get this" has an answer.
 */
export async function evaluateForContext(db: Database, body: Static<typeof EvaluateBody>): Promise<Static<typeof EvaluateResponse>> {
  const loaded = await loadEnvironment(db, body.environment);
  if (!loaded) throw new NotFoundError(`Environment ${body.environment}`);
  const configs = new Map<string, FlagConfig>(loaded.flags.map((f) => [f.key, serverFlag(f)]));
  const compiled = compileSnapshot(
    { environment: loaded.environment, revision: loaded.revision, flags: [...configs.values()], segments: loaded.segments },
    allOperators,
  );
  const keys = body.flags ?? [...configs.keys()];
  const names = await flagNames(db, keys);
  const context: Context = { ...body.context, environment: body.environment };
  const evaluatedAt = new Date();
  const results = keys.map((key): Static<typeof PlaygroundResult> => {
    const r = evaluate(compiled, key, context, { now: () => evaluatedAt.getTime() });
    const rules = configs.get(key)?.rules ?? [];
    const index = r.ruleId === null ? -1 : rules.findIndex((rule) => rule.id === r.ruleId);
    const rule = index >= 0 ? rules[index] : undefined;
    const variant = r.variant.payload
      ? { name: r.variant.name, enabled: r.variant.enabled, payload: { type: r.variant.payload.type, value: r.variant.payload.value } }
      : { name: r.variant.name, enabled: r.variant.enabled };
    return {
      flag: key,
      name: names.get(key) ?? key,
      enabled: r.enabled,
      reason: r.reason,
      rule:
        rule && r.ruleId !== null
          ? { id: r.ruleId, index: index + 1, ...(rule.description ? { description: rule.description } : {}) }
          : null,
      variant,
      ...(r.errorCode ? { errorCode: r.errorCode } : {}),
      ...(r.errorMessage ? { errorMessage: r.errorMessage } : {}),
    };
  });
  return { environment: loaded.environment, revision: loaded.revision, evaluatedAt: evaluatedAt.toISOString(), results };
}
