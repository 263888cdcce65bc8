/** Cookies of the admin page: parsing the Cookie header and writing Set-Cookie values. */

export const SESSION_COOKIE = 'tsp_admin_session';
/** A random value before login: the login and invitation forms' CSRF tokens are bound to it. */
export const PRE_SESSION_COOKIE = 'tsp_admin_pre';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (header === undefined) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (name in out) continue;
    const value = part.slice(i + 1).trim();
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      // A malformed value is treated as absent.
    }
  }
  return out;
}

export interface CookieOptions {
  path: string;
  secure: boolean;
  /** Seconds; 0 deletes the cookie; undefined: a browser-session cookie. */
  maxAgeSeconds?: number;
}

/** Always HttpOnly and SameSite=Strict; Secure when the broker's public URL is https. */
export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${o.path}`, 'HttpOnly', 'SameSite=Strict'];
  if (o.maxAgeSeconds !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}`);
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}
