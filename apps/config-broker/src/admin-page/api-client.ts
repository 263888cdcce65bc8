import type { FastifyInstance } from 'fastify';

/** An answer of the JSON admin API: its body on success, its `{code, message}` otherwise. */
export type ApiAnswer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; code: string; message: string };

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * The admin page's only way to read or change anything: the JSON API under /api/v1, called
 * in-process (`app.inject`) with the page user's session token. So authorization, validation
 * and the audit events of every change exist once, in the API.
 */
export class AdminApi {
  constructor(private readonly app: FastifyInstance) {}

  async call<T>(token: string | undefined, method: ApiMethod, path: string, payload?: unknown): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    const res = await this.app.inject({
      method,
      url: `/api/v1${path}`,
      headers,
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
    let body: unknown;
    try {
      body = res.body === '' ? undefined : JSON.parse(res.body);
    } catch {
      body = undefined;
    }
    if (res.statusCode < 400) return { ok: true, status: res.statusCode, body: body as T };
    const err = (typeof body === 'object' && body !== null ? body : {}) as { code?: unknown; message?: unknown };
    return {
      ok: false,
      status: res.statusCode,
      code: typeof err.code === 'string' ? err.code : 'internal',
      message: typeof err.message === 'string' ? err.message : `the API answered ${res.statusCode}`,
    };
  }
}

/** The path segment of an id, encoded (ids are pattern-checked by the API anyway). */
export function seg(id: string | number): string {
  return encodeURIComponent(String(id));
}
