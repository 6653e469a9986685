import type { ApiClient } from './http.ts';

/** The server's largest page. */
const PAGE = 500;

/** Every item of a paged admin list, following `nextCursor`, so a CI job sees all of them. */
export async function allPages<T>(
  client: ApiClient,
  path: string,
  field: string,
  query: Record<string, string | number | boolean | undefined> = {},
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await client.get<Record<string, unknown> & { nextCursor?: string | null }>(path, {
      query: { ...query, limit: PAGE, cursor },
    });
    items.push(...((page[field] as T[] | undefined) ?? []));
    if (!page.nextCursor) return items;
    cursor = page.nextCursor;
  }
}
