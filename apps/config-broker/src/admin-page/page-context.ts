import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionTokens } from '../tenant-admin-auth';
import { AdminApi, ApiAnswer } from './api-client';
import { parseCookies, SESSION_COOKIE, serializeCookie } from './cookies';
import { messagePage } from './auth-views';
import type { Html } from './html';
import type { Viewer } from './layout';

/** What every admin page handler shares. */
export interface PageContext {
  api: AdminApi;
  sessions: SessionTokens;
  now: () => number;
  /** The page's base path as browsers see it: the public URL's path + '/admin'. */
  base: string;
  /** Cookies get `Secure` when the broker's public URL is https. */
  secure: boolean;
}

/** The session token of the request's cookie when it is valid now (signature and expiry). */
export function sessionTokenOf(ctx: PageContext, req: FastifyRequest): string | undefined {
  const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  if (token === undefined || token === '') return undefined;
  return ctx.sessions.verify(token, ctx.now()) === undefined ? undefined : token;
}

/** The viewer of a request with a valid session; undefined otherwise. */
export function viewerOf(ctx: PageContext, req: FastifyRequest): { viewer: Viewer; token: string } | undefined {
  const token = sessionTokenOf(ctx, req);
  if (token === undefined) return undefined;
  const subject = ctx.sessions.verify(token, ctx.now());
  const csrf = ctx.sessions.csrf(token);
  return { token, viewer: { kind: subject === 'vendor-admin' ? 'vendor-admin' : 'tenant-admin', csrf } };
}

export function sendPage(reply: FastifyReply, status: number, body: Html): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body.text);
}

/** 303 See Other to a page path under the base (after a POST, so reloading does not repeat it). */
export function redirect(ctx: PageContext, reply: FastifyReply, path: string): FastifyReply {
  return reply.code(303).header('location', `${ctx.base}${path}`).send();
}

/** Clears the session cookie (logout, or a session the API no longer accepts). */
export function clearSession(ctx: PageContext, reply: FastifyReply): void {
  void reply.header('set-cookie', serializeCookie(SESSION_COOKIE, '', { path: ctx.base, secure: ctx.secure, maxAgeSeconds: 0 }));
}

/**
 * The page for an API refusal that is not a form's problem: 401 (the session ended) → back to
 * login; 403/404 and others → a message page with the API's message and status.
 */
export function apiFailurePage(ctx: PageContext, reply: FastifyReply, viewer: Viewer, a: Extract<ApiAnswer<unknown>, { ok: false }>): FastifyReply {
  if (a.status === 401) {
    clearSession(ctx, reply);
    return redirect(ctx, reply, '/login?notice=session-ended');
  }
  const title = a.status === 403 ? 'Not allowed' : a.status === 404 ? 'Not found' : 'Something went wrong';
  return sendPage(reply, a.status, messagePage({ base: ctx.base, title, message: a.message, viewer, link: { href: `${ctx.base}/`, label: 'Back to the start page' } }));
}

/** Splits "a, b c" into tags (the API validates each). */
export function splitList(s: string | undefined): string[] {
  return (s ?? '').split(/[\s,]+/).filter((x) => x !== '');
}
