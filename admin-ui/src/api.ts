/** The admin API over fetch: JSON in and out, the session cookie, `{ error }` bodies as ApiError. */

export interface IssueDetail {
  path: string;
  code?: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Validation issues with JSON-pointer paths (`/rules/0/conditions/1/values/0`). */
  get issues(): IssueDetail[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.filter((d): d is IssueDetail => typeof d === 'object' && d !== null && typeof d.path === 'string');
  }

  get isConflict(): boolean {
    return this.status === 412 || this.code === 'VERSION_MISMATCH';
  }
}

const listeners = new Set<() => void>();

/** Called when the session ended (401 on an authenticated call). */
export function onUnauthenticated(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export interface RequestOptions {
  /** Sent as `If-Match: "<version>"`. */
  version?: number;
  query?: Record<string, string | number | boolean | undefined | null>;
  /** Do not announce a 401 as the end of the session (login, first /me). */
  quiet401?: boolean;
  /** Further request headers (`X-Freeze-Override`). */
  headers?: Record<string, string>;
}

export function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export async function request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { ...options.headers, accept: 'application/json' };
  // On every write, body or not: the server refuses cookie writes of any other type (no HTML form can send JSON).
  if (body !== undefined || method !== 'GET') headers['content-type'] = 'application/json';
  if (options.version !== undefined) headers['if-match'] = `"${options.version}"`;
  let res: Response;
  try {
    res = await fetch(`/api/admin${path}${queryString(options.query)}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    if (res.status === 401 && !options.quiet401) for (const l of listeners) l();
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `The server answered ${res.status}`, err?.details);
  }
  return data as T;
}

/**
 * Every item of a paged list, following `nextCursor` page by page, as `{ [field]: items }` (the
 * shape the list had before it was paged).
 */
async function getAll<K extends string, T>(path: string, field: K, options: RequestOptions = {}): Promise<Record<K, T[]>> {
  const all: T[] = [];
  let cursor: string | undefined;
  // Bounded, in case a server ever answered the same cursor twice.
  for (let pages = 0; pages < 1000; pages++) {
    const page = await request<Record<K, T[]> & { nextCursor?: string | null }>('GET', path, undefined, {
      ...options,
      query: { ...options.query, limit: 500, cursor },
    });
    all.push(...page[field]);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return { [field]: all } as Record<K, T[]>;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, undefined, options),
  getAll,
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, body ?? {}, options),
  patch: <T>(path: string, body: unknown, options?: RequestOptions) => request<T>('PATCH', path, body, options),
  put: <T>(path: string, body: unknown, options?: RequestOptions) => request<T>('PUT', path, body, options),
  del: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, undefined, options),
};

/** A path segment for a key (keys may hold `:` and non-ASCII letters). */
export function seg(key: string): string {
  return encodeURIComponent(key);
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
