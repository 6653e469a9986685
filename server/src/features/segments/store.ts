import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { flagEnvironments, segments } from '../../db/schema/index.ts';

export type SegmentRow = typeof segments.$inferSelect;

export async function segmentKeys(db: Database): Promise<Set<string>> {
  const rows = await db.select({ key: segments.key }).from(segments);
  return new Set(rows.map((r) => r.key));
}

/** Which of `keys` exist: what validating a config needs, rather than every segment's key. */
export async function existingSegmentKeys(db: Database, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db
    .select({ key: segments.key })
    .from(segments)
    .where(inArray(segments.key, [...keys]));
  return new Set(rows.map((r) => r.key));
}

/** By key; `limit + 1` rows after `afterKey`, so the caller knows whether a page follows. */
export function listSegments(db: Database, page: { limit: number; afterKey?: string | undefined }): Promise<SegmentRow[]> {
  return db
    .select()
    .from(segments)
    .where(page.afterKey === undefined ? undefined : gt(segments.key, page.afterKey))
    .orderBy(asc(segments.key))
    .limit(page.limit + 1);
}

export async function findSegment(db: Database, key: string): Promise<SegmentRow | undefined> {
  const [row] = await db.select().from(segments).where(eq(segments.key, key)).limit(1);
  return row;
}

export function findSegments(db: Database, keys: readonly string[]): Promise<SegmentRow[]> {
  if (keys.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(segments)
    .where(inArray(segments.key, [...keys]));
}

export async function insertSegment(db: Database, values: typeof segments.$inferInsert): Promise<SegmentRow> {
  const [row] = await db.insert(segments).values(values).returning();
  if (!row) throw new Error('insert returned nothing');
  return row;
}

export async function updateSegmentIfVersion(
  db: Database,
  key: string,
  version: number,
  set: Partial<typeof segments.$inferInsert>,
): Promise<SegmentRow | undefined> {
  const [row] = await db
    .update(segments)
    .set({ ...set, version: sql`${segments.version} + 1`, updatedAt: new Date() })
    .where(and(eq(segments.key, key), eq(segments.version, version)))
    .returning();
  return row;
}

export async function deleteSegmentRow(db: Database, key: string): Promise<void> {
  await db.delete(segments).where(eq(segments.key, key));
}

/**
 * Flag keys using each segment, in any environment's rules (archived flags included); with `only`,
 * of those segments alone.
 */
export async function segmentUsage(db: Database, only?: readonly string[]): Promise<Map<string, string[]>> {
  const usage = new Map<string, string[]>();
  if (only?.length === 0) return usage;
  const filter =
    only === undefined
      ? sql``
      : sql`where s.seg in (${sql.join(
          only.map((k) => sql`${k}`),
          sql`, `,
        )})`;
  // Both drivers (pg and PGlite) answer raw queries with `{ rows }`.
  const result = (await db.execute(sql`
    select distinct s.seg as segment, fe.flag_key as flag
    from ${flagEnvironments} fe,
      jsonb_array_elements(coalesce(fe.config->'rules', '[]'::jsonb)) r,
      jsonb_array_elements_text(coalesce(r->'segments', '[]'::jsonb)) s(seg)
    ${filter}
    order by 1, 2`)) as unknown as { rows: Array<{ segment: string; flag: string }> };
  for (const row of result.rows) {
    const list = usage.get(row.segment) ?? [];
    list.push(row.flag);
    usage.set(row.segment, list);
  }
  return usage;
}
