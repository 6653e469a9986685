import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { auditLog } from '../../db/schema/index.ts';

export type AuditRow = typeof auditLog.$inferSelect;

export interface AuditFilter {
  resourceType?: string | undefined;
  resourceKey?: string | undefined;
  environment?: string | undefined;
  /** Id cursor: rows older than this one. */
  before?: number | undefined;
  limit: number;
}

/** Newest first. Read-only by design: nothing in the server updates or deletes audit rows. */
export function listAudit(db: Database, f: AuditFilter): Promise<AuditRow[]> {
  const where: SQL[] = [];
  if (f.resourceType) where.push(eq(auditLog.resourceType, f.resourceType));
  if (f.resourceKey) where.push(eq(auditLog.resourceKey, f.resourceKey));
  if (f.environment) where.push(eq(auditLog.environmentKey, f.environment));
  if (f.before !== undefined) where.push(lt(auditLog.id, f.before));
  return db
    .select()
    .from(auditLog)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(f.limit);
}
