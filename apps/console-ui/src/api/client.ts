// The console backend's HTTP API as seen from the browser: JSON in and out, the session is the
// HttpOnly cookie (sent by the browser), and the CSRF token from the session goes in a header on
// every non-GET request. Credentials are never kept here or anywhere in the browser.
import type { ApiError } from '@etcd-patterns/console-contract';

/** Header name of the CSRF token (the contract's `CSRF_HEADER`; repeated so no runtime import is needed). */
const CSRF_HEADER = 'x-csrf-token';

type ApiIssue = NonNullable<ApiError['error']['issues']>[number];
type ApiConflict = NonNullable<ApiError['error']['conflict']>;

/** An API call that failed: the HTTP status (0: the backend did not answer) and the error body. */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  readonly status: number;
  readonly code: string;
  readonly issues: readonly ApiIssue[];
  readonly conflict: ApiConflict | undefined;

  constructor(status: number, code: string, message: string, options: { issues?: readonly ApiIssue[]; conflict?: ApiConflict; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = status;
    this.code = code;
    this.issues = options.issues ?? [];
    this.conflict = options.conflict;
  }
}

/** Whether `error` is an {@link ApiRequestError} with one of the given statuses. */
export function isApiError(error: unknown, ...statuses: number[]): error is ApiRequestError {
  return error instanceof ApiRequestError && (statuses.length === 0 || statuses.includes(error.status));
}

function isApiErrorBody(body: unknown): body is ApiError {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  410: 'ETCD_COMPACTED',
  413: 'TOO_LARGE',
  429: 'RATE_LIMITED',
  502: 'BAD_GATEWAY',
  503: 'ETCD_UNAVAILABLE',
  504: 'TIMEOUT',
};

async function errorFrom(response: Response): Promise<ApiRequestError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (isApiErrorBody(body)) {
    const { code, message, issues, conflict } = body.error;
    return new ApiRequestError(response.status, code || STATUS_CODES[response.status] || 'HTTP_ERROR', message, { issues, conflict });
  }
  // Not the contract's error shape (a proxy, an old backend): keep whatever text came back.
  const message = text.trim().slice(0, 500) || `${response.status} ${response.statusText}`.trim();
  return new ApiRequestError(response.status, STATUS_CODES[response.status] ?? 'HTTP_ERROR', message);
}

/** Options of one request. */
export interface RequestOptions {
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Query parameters; undefined values are left out. */
  readonly query?: Record<string, string | number | boolean | undefined>;
}

/** Builds `/api/...` URLs with encoded query parameters. */
export function apiUrl(path: string, query: RequestOptions['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const search = params.toString();
  return `/api${path}${search ? `?${search}` : ''}`;
}

/**
 * The API client of one browser tab. It holds the CSRF token of the current session (memory
 * only) and tells its owner when the session is gone (401), so the sign-in page comes back.
 */
export class ApiClient {
  private csrfToken = '';
  private readonly onUnauthenticated: () => void;

  constructor(onUnauthenticated: () => void) {
    this.onUnauthenticated = onUnauthenticated;
  }

  /** Sets the token sent as `x-csrf-token` (from `SessionInfo.csrfToken`). */
  setCsrfToken(token: string): void {
    this.csrfToken = token;
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }
  post<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }
  put<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...options, body });
  }
  delete<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  /**
   * Sends one request. Resolves with the parsed JSON (undefined for 204); rejects with
   * {@link ApiRequestError} for every non-2xx answer, and with status 0 when the console backend
   * itself cannot be reached. Never retries: the caller (react-query) decides.
   */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET' && method !== 'HEAD') headers[CSRF_HEADER] = this.csrfToken;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(apiUrl(path, options.query), {
        method,
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (cause) {
      if (options.signal?.aborted) throw cause;
      throw new ApiRequestError(0, 'CONSOLE_UNREACHABLE', 'the console backend did not answer (is it running?)', { cause });
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401 && path !== '/session') this.onUnauthenticated();
      throw error;
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new ApiRequestError(response.status, 'BAD_RESPONSE', `the console answered ${method} ${path} with something that is not JSON`, { cause });
    }
  }
}
