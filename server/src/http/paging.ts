import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { Type } from 'typebox';
import { AppError, ErrorCode } from '../errors.ts';

/**
 * Cursor paging for admin lists. A cursor is opaque to clients: base64url of
 * `{"v":1,"s":<sort>,"a":[<the last row's sort values>]}`. Naming the sort lets a list offer more
 * orders later (flags by name, creation, last change) without old cursors being misread: a cursor
 * made for another sort is refused. Timestamps travel as text to the microsecond, since Postgres
 * keeps microseconds and a JavaScript Date would round them away (and skip or repeat rows).
 */

export const PAGE_MAX = 500;
export const PAGE_DEFAULT = 100;

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_MAX, description: `Page size (default ${PAGE_DEFAULT})` })),
  cursor: Type.Optional(
    Type.String({ minLength: 1, maxLength: 1000, pattern: '^[A-Za-z0-9_-]+$', description: 'The `nextCursor` of the previous page' }),
  ),
};

export const NextCursor = Type.Union([Type.String(), Type.Null()], {
  description: 'Pass as `cursor` for the next page; null on the last page',
});

export type CursorValue = string | number;

export function encodeCursor(sort: string, after: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify({ v: 1, s: sort, a: after })).toString('base64url');
}

export class InvalidCursorError extends AppError {
  constructor() {
    super(400, ErrorCode.InvalidCursor, 'The cursor is not one this list handed out; start again without it');
  }
}

/** The sort values a cursor carries, checked against the list's sort and value types. */
export type CursorType = 'string' | 'number' | 'uuid' | 'time';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

export function decodeCursor(cursor: string | undefined, sort: string, types: readonly CursorType[]): CursorValue[] | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const c = parsed as { v?: unknown; s?: unknown; a?: unknown };
  if (c?.v !== 1 || c.s !== sort || !Array.isArray(c.a) || c.a.length !== types.length) throw new InvalidCursorError();
  const values = c.a as unknown[];
  for (let i = 0; i < types.length; i++) {
    const v = values[i];
    const type = types[i];
    // Checked here so a forged value is a 400, never a database error.
    const ok =
      type === 'number'
        ? typeof v === 'number' && Number.isSafeInteger(v)
        : typeof v === 'string' &&
          (type === 'uuid'
            ? UUID.test(v)
            : type === 'time'
              ? TIME.test(v) && !Number.isNaN(Date.parse(v))
              : v.length <= 500 && !v.includes('\0'));
    if (!ok) throw new InvalidCursorError();
  }
  return values as CursorValue[];
}

/** A timestamp column as exact text (UTC, microseconds), for cursors. */
export function exactTime(column: SQLWrapper): SQL<string> {
  return sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** Rows after the cursor in an order by (time, uuid id), both ascending or both descending. */
export function afterTimeAndId(
  time: SQLWrapper,
  id: SQLWrapper,
  direction: 'asc' | 'desc',
  after: readonly CursorValue[] | undefined,
): SQL | undefined {
  if (!after) return undefined;
  const [t, i] = after;
  return direction === 'desc'
    ? sql`(${time}, ${id}) < (${t}::timestamptz, ${i}::uuid)`
    : sql`(${time}, ${id}) > (${t}::timestamptz, ${i}::uuid)`;
}

/** Fetch `limit + 1` rows; this keeps `limit` and says whether there is another page. */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => string): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  return { rows: kept, nextCursor: last === undefined ? null : cursorOf(last) };
}
