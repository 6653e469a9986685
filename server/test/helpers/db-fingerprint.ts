import { count, sql } from 'drizzle-orm';
import { auditLog } from '../../src/db/schema/index.ts';
import type { TestServer } from './test-server.ts';

/**
 * Everything a write could touch, in one value: the audit row count, then every environment's
 * revision and the state of every table the admin API writes. Equal before and after a request
 * means it wrote nothing.
 */
export async function dbFingerprint(server: TestServer): Promise<string> {
  const [audit] = await server.app.db.select({ n: count() }).from(auditLog);
  const res: any = await server.app.db.execute(sql`select json_build_object(
    'environments', (select json_agg(json_build_array(key, name, revision, version) order by key) from environments),
    'flags', (select json_build_array(count(*), coalesce(sum(version), 0), count(archived_at)) from flags),
    'flagEnvironments', (select json_build_array(count(*), coalesce(sum(version), 0)) from flag_environments),
    'segments', (select json_build_array(count(*), coalesce(sum(version), 0)) from segments),
    'users', (select json_build_array(count(*), coalesce(sum(version), 0), count(disabled_at)) from users),
    'sessions', (select count(*) from sessions),
    'tokens', (select json_build_array(count(*), count(revoked_at)) from api_tokens),
    'keys', (select json_build_array(count(*), count(revoked_at)) from sdk_keys),
    'attributes', (select json_build_array(count(*), coalesce(sum(version), 0)) from context_attributes),
    'webhooks', (select json_build_array(count(*), coalesce(sum(version), 0)) from webhooks),
    'ramps', (select json_build_array(count(*), coalesce(sum(version), 0)) from ramp_plans),
    'schedules', (select json_agg(json_build_array(id, state) order by id) from scheduled_changes),
    'changeRequests', (select json_build_array(count(*), coalesce(sum(version), 0)) from change_requests),
    'reviews', (select count(*) from change_request_reviews),
    'freezeWindows', (select json_build_array(count(*), coalesce(sum(version), 0)) from freeze_windows),
    'environmentSettings', (select json_agg(json_build_array(key, protected, required_approvals, allow_self_apply) order by key) from environments)
  ) as state`);
  const rows = Array.isArray(res) ? res : res.rows;
  return JSON.stringify({ audit: audit?.n, state: rows[0].state });
}
