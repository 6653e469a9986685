import { eq, sql } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../../db/client.ts';
import { flagEnvironments, rampPlans } from '../../db/schema/index.ts';
import { type ChangeDeps, runChange } from '../../domain/changes.ts';
import { AppError, ErrorCode } from '../../errors.ts';
import { actorOf } from '../../plugins/auth.ts';
import { findEnvironment } from '../environments/store.ts';
import { activeFreeze, assertNotFrozenIn, FREEZE_OVERRIDE_HEADER } from '../freeze-windows/service.ts';

/**
 * 409: the environment takes changes through change requests only. Nobody bypasses it, admins
 * included (the "0 = direct writes"): an admin who must write directly sets
 * `requiredApprovals` to 0 first, which is itself audited.
 */
export class ApprovalRequiredError extends AppError {
  constructor(environment: string, requiredApprovals: number) {
    super(
      409,
      ErrorCode.ApprovalRequired,
      `Changes to ${environment} need ${requiredApprovals} approval(s): propose a change request (POST /api/admin/change-requests)`,
      { environment, requiredApprovals },
    );
  }
}

/** The justification an admin sent to write through a freeze, if any. */
export function overrideOf(request: FastifyRequest): string | undefined {
  const value = request.headers[FREEZE_OVERRIDE_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/**
 * What every direct write to an environment calls first (flag configuration, revert, segment
 * edits, ramps, schedules, imports): refused with APPROVAL_REQUIRED where changes need approvals,
 * with ENVIRONMENT_FROZEN (423) during a freeze unless an admin overrides with a justification,
 * which is audited. Change requests apply through the services directly, past this check.
 *
 * Checked before the write's own transaction: a settings change committing between the two lets
 * at most that one write through, as if it had come a moment earlier.
 */
export async function assertWritable(
  deps: ChangeDeps,
  request: FastifyRequest,
  environments: readonly string[],
  options: { freeze?: boolean } = {},
): Promise<void> {
  const unique = [...new Set(environments)].sort();
  for (const env of unique) {
    const row = await findEnvironment(deps.db, env);
    if (row && row.requiredApprovals > 0) throw new ApprovalRequiredError(env, row.requiredApprovals);
  }
  if (options.freeze === false) return;
  const now = new Date();
  for (const env of unique) {
    if (!(await activeFreeze(deps.db, env, now))) continue;
    const what = `${request.method} ${request.url.split('?')[0]}`;
    await runChange(deps, actorOf(request), (c) => assertNotFrozenIn(c, env, overrideOf(request), what, now));
  }
}

/** Environments whose flag configurations use a segment: where editing the segment changes evaluation. */
export async function environmentsUsingSegment(db: Database, segmentKey: string): Promise<string[]> {
  const result = (await db.execute(sql`
    select distinct fe.environment_key as env
    from ${flagEnvironments} fe, jsonb_array_elements(coalesce(fe.config->'rules', '[]'::jsonb)) r
    where coalesce(r->'segments', '[]'::jsonb) ? ${segmentKey}
    order by 1`)) as unknown as { rows: Array<{ env: string }> };
  return result.rows.map((r) => r.env);
}

/** `assertWritable` for the environment of a ramp plan (an unknown plan: the route answers 404). */
export async function assertRampWritable(deps: ChangeDeps, request: FastifyRequest, id: string): Promise<void> {
  const [row] = await deps.db.select({ env: rampPlans.environmentKey }).from(rampPlans).where(eq(rampPlans.id, id)).limit(1);
  if (row) await assertWritable(deps, request, [row.env]);
}
