// The JSON APIs of rampartd on the page's own origin (the admin API, the account center's).
// Errors are RFC 9457 problems: ApiError carries `detail`. Every state change sends the
// session's CSRF token; a 401 from any call ends the session in the page (the handler shows
// the sign-in form with the server's message).
import { t } from './i18n';

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface TotpEnrolment {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
  period: number;
  digits: number;
  algorithm: string;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly detail: string, readonly title = '',
              readonly retryAfter: number | null = null) {
    super(detail);
    this.name = 'ApiError';
  }
}

let csrfToken = '';
let unauthorized: ((detail: string) => void) | null = null;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export function onUnauthorized(fn: ((detail: string) => void) | null): void {
  unauthorized = fn;
}

type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  // The sign-in and the first session check answer 401 as a matter of course.
  expect401?: boolean;
  as?: 'json' | 'text' | 'blob';
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== null && v !== undefined && v !== '') params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

export async function request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string,
                                 options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {
    Accept: options.as === 'text' || options.as === 'blob' ? '*/*'
      : 'application/json, application/problem+json',
  };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(withQuery(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, t('error.network'));
  }
  if (!res.ok) {
    let detail = '';
    let title = res.statusText;
    try {
      const problem = await res.json() as { detail?: string; title?: string };
      detail = problem.detail ?? '';
      title = problem.title ?? title;
    } catch {
      // Not a problem document: the status line is all there is.
    }
    const retry = Number(res.headers.get('Retry-After'));
    const error = new ApiError(res.status, detail || title || `HTTP ${res.status}`, title,
                               Number.isFinite(retry) && retry > 0 ? retry : null);
    if (res.status === 401 && !options.expect401 && unauthorized) unauthorized(error.detail);
    throw error;
  }
  if (res.status === 204) return undefined as T;
  if (options.as === 'text') return await res.text() as T;
  if (options.as === 'blob') return await res.blob() as T;
  return await res.json() as T;
}

export const get = <T>(path: string, query?: Query, options: RequestOptions = {}) =>
  request<T>('GET', path, { ...options, query });
export const post = <T>(path: string, body?: unknown, options: RequestOptions = {}) =>
  request<T>('POST', path, { ...options, body: body ?? {} });
export const put = <T>(path: string, body?: unknown) => request<T>('PUT', path, { body });
export const del = <T>(path: string) => request<T>('DELETE', path);

export const seg = (s: string) => encodeURIComponent(s);

// The message to show for a failed call.
export function problemText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429 && e.retryAfter) {
      return `${e.detail} ${t('error.retryAfter', { seconds: e.retryAfter })}`;
    }
    return e.detail;
  }
  return e instanceof Error ? e.message : String(e);
}
