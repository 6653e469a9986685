import { ApiError, NetworkError } from './errors.ts';

export interface ApiClientOptions {
  /** Where the server is, possibly with a path prefix (behind a proxy). */
  baseUrl: URL;
  token: string | undefined;
  timeoutMs: number;
  userAgent: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** The version the write edits, sent as `If-Match: "<n>"`. */
  ifMatch?: number;
  headers?: Record<string, string>;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/**
 * Builds an API path with every interpolated value URL-encoded, so a flag key or id can never
 * change which route is called.
 */
export function apiPath(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  return strings.reduce((path, s, i) => path + s + (i < values.length ? encodeURIComponent(String(values[i])) : ''), '');
}

/** The admin API over fetch: JSON in and out, error bodies turned into `ApiError`, no answer into `NetworkError`. */
export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  get<T>(path: string, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('GET', path, options).then((r) => r.body);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, { body }).then((r) => r.body);
  }

  patch<T>(path: string, body: unknown, ifMatch: number): Promise<T> {
    return this.request<T>('PATCH', path, { body, ifMatch }).then((r) => r.body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path).then((r) => r.body);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.urlOf(path, options.query);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.options.userAgent };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
    Object.assign(headers, options.headers);
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }

    let res: Response;
    let text: string;
    try {
      // One deadline for the whole exchange, body included: a hung server must not hang a pipeline.
      const signal = AbortSignal.timeout(this.options.timeoutMs);
      res = await fetch(url, { method, headers, body, signal });
      text = await res.text();
    } catch (err) {
      throw new NetworkError(this.describeNetworkFailure(err));
    }

    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw errorFromResponse(res, parsed);
    if (parsed === undefined && text !== '') {
      // A 200 that is not JSON is not the admin API (a login page of a proxy, a wrong --url).
      throw new ApiError(
        res.status,
        'NOT_JSON',
        `${url.origin} answered ${method} ${url.pathname} with something that is not JSON; is --url right?`,
      );
    }
    return { status: res.status, body: parsed as T };
  }

  private urlOf(path: string, query: RequestOptions['query']): URL {
    // Appending rather than `new URL(path, base)`: an absolute path would drop a base path prefix.
    const base = this.options.baseUrl.href.replace(/\/+$/, '');
    const url = new URL(base + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }

  private describeNetworkFailure(err: unknown): string {
    const where = this.options.baseUrl.origin;
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
      return `no answer from ${where} within ${Math.round(this.options.timeoutMs / 1000)} s`;
    }
    // undici reports "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND, ...) in `cause`.
    const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
    const reason = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    return `cannot reach ${where} (${reason})`;
  }
}

function errorFromResponse(res: Response, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new ApiError(res.status, error.code, error.message, error.details);
  }
  // Not the server's error shape: a proxy or load balancer answered.
  return new ApiError(res.status, `HTTP_${res.status}`, `the server answered ${res.status} ${res.statusText}`.trim());
}
