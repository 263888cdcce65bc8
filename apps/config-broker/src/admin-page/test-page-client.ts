/**
 * A browser stand-in for the admin page's unit tests: real HTTP to the broker, a cookie jar,
 * no redirect following (tests look at each answer), and forms posted with the CSRF token of
 * the last page seen (or an explicit one).
 */
export interface PageAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The Location header of a redirect, '' otherwise. */
  location: string;
  /** The raw Set-Cookie headers of this answer. */
  setCookies: string[];
}

export class PageClient {
  readonly cookies = new Map<string, string>();
  private lastCsrf = '';

  constructor(private readonly baseUrl: string) {}

  async get(path: string): Promise<PageAnswer> {
    return this.send('GET', path);
  }

  /** Posts a form; `_csrf` is the last page's token unless the fields give one ('' sends none). */
  async post(path: string, fields: Record<string, string>, init: { contentType?: string; rawBody?: string } = {}): Promise<PageAnswer> {
    const all = { ...fields };
    if (!('_csrf' in all)) all['_csrf'] = this.lastCsrf;
    if (all['_csrf'] === '') delete all['_csrf'];
    return this.send('POST', path, init.rawBody ?? new URLSearchParams(all).toString(), init.contentType ?? 'application/x-www-form-urlencoded');
  }

  /** The CSRF token of the last page with a form. */
  csrf(): string {
    return this.lastCsrf;
  }

  private async send(method: string, path: string, body?: string, contentType?: string): Promise<PageAnswer> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers['cookie'] = [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
    if (contentType !== undefined) headers['content-type'] = contentType;
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const [pair = '', ...attrs] = c.split(';').map((s) => s.trim());
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = decodeURIComponent(pair.slice(i + 1));
      if (attrs.some((a) => a.toLowerCase() === 'max-age=0') || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const m = /name="_csrf" value="([^"]*)"/.exec(text);
    if (m !== null) this.lastCsrf = m[1] ?? '';
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') ?? '', setCookies };
  }
}
