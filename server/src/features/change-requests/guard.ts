import { eq, inArray, sql } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../../db/client.ts';
import { environments as environmentsTable, flagEnvironments, freezeWindows, rampPlans } from '../../db/schema/index.ts';
import { type ChangeDeps, runChange, type WriteGate } from '../../domain/changes.ts';
import { AppError, ErrorCode } from '../../errors.ts';
import { actorOf } from '../../plugins/auth.ts';
import { activeFreeze, assertNotFrozenIn, FREEZE_OVERRIDE_HEADER } from '../freeze-windows/service.ts';

/**
 * 409: the environment takes changes through change requests only. Nobody bypasses it, admins
 * included (the issue's "0 = direct writes"): an admin who must write directly sets
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
 * at most that one write through, as if it had come a moment earlier. Edits of one flag's
 * configuration check the same inside their transaction instead (`directWriteGate`).
 */
export async function assertWritable(
  deps: ChangeDeps,
  request: FastifyRequest,
  environments: readonly string[],
  options: { freeze?: boolean } = {},
): Promise<void> {
  const unique = [...new Set(environments)].sort();
  if (unique.length === 0) return;
  // One round trip on the write path: the settings, and whether any window exists at all.
  const gates = await writeGates(deps.db, unique);
  for (const gate of gates) {
    if (gate.requiredApprovals > 0) throw new ApprovalRequiredError(gate.env, gate.requiredApprovals);
  }
  if (options.freeze === false) return;
  const now = new Date();
  for (const { env } of gates.filter((g) => g.hasWindows)) {
    if (!(await activeFreeze(deps.db, env, now))) continue;
    await runChange(deps, actorOf(request), (c) => assertNotFrozenIn(c, env, overrideOf(request), whatOf(request), now));
  }
}

/** How an override's audit row names the write it let through. */
const whatOf = (request: FastifyRequest) => `${request.method} ${request.url.split('?')[0]}`;

/**
 * `assertWritable` for one environment, as a `WriteGate`: run inside the write's transaction on
 * the settings its first read brought along (no round trip of its own where nothing is frozen),
 * and an override's audit row commits with the write or not at all.
 */
export function directWriteGate(request: FastifyRequest): WriteGate {
  return async (c, gate) => {
    if (gate.requiredApprovals > 0) throw new ApprovalRequiredError(gate.environment, gate.requiredApprovals);
    if (gate.hasWindows) await assertNotFrozenIn(c, gate.environment, overrideOf(request), whatOf(request));
  };
}

/** Environments whose flag configurations use a segment: where editing the segment changes evaluation. */
export function environmentsUsingSegment(db: Database, segmentKey: string): Promise<string[]> {
  return environmentsUsingSegments(db, [segmentKey]);
}

/** `environmentsUsingSegment` for several segments in one query: those any of them reaches. */
export async function environmentsUsingSegments(db: Database, segmentKeys: readonly string[]): Promise<string[]> {
  if (segmentKeys.length === 0) return [];
  const keys = sql`array[${sql.join(
    segmentKeys.map((k) => sql`${k}`),
    sql`, `,
  )}]::text[]`;
  const result = (await db.execute(sql`
    select distinct fe.environment_key as env
    from ${flagEnvironments} fe, jsonb_array_elements(coalesce(fe.config->'rules', '[]'::jsonb)) r
    where coalesce(r->'segments', '[]'::jsonb) ?| ${keys}
    order by 1`)) as unknown as { rows: Array<{ env: string }> };
  return result.rows.map((r) => r.env);
}

/** `assertWritable` for the environment of a ramp plan (an unknown plan: the route answers 404). */
export async function assertRampWritable(deps: ChangeDeps, request: FastifyRequest, id: string): Promise<void> {
  const [row] = await deps.db.select({ env: rampPlans.environmentKey }).from(rampPlans).where(eq(rampPlans.id, id)).limit(1);
  if (row) await assertWritable(deps, request, [row.env]);
}

/** Per environment: the approvals its writes need, and whether it has freeze windows to look at. */
async function writeGates(db: Database, keys: string[]): Promise<Array<{ env: string; requiredApprovals: number; hasWindows: boolean }>> {
  const rows = await db
    .select({
      env: environmentsTable.key,
      requiredApprovals: environmentsTable.requiredApprovals,
      hasWindows: sql<boolean>`exists (select 1 from ${freezeWindows} where ${freezeWindows.environmentKey} = ${environmentsTable.key})`,
    })
    .from(environmentsTable)
    .where(inArray(environmentsTable.key, keys))
    .orderBy(environmentsTable.key);
  return rows;
}
