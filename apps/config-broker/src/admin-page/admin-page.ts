import { randomBytes } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@tsp/observability';
import { BrokerError } from '../broker-error';
import { MIN_PASSWORD_LENGTH, SessionTokens } from '../tenant-admin-auth';
import { AdminApi } from './api-client';
import { invitePage, loginPage, messagePage } from './auth-views';
import type { Tenant } from '@tsp/broker-store';
import { parseCookies, PRE_SESSION_COOKIE, serializeCookie, SESSION_COOKIE } from './cookies';
import { formOf, registerFormParser } from './form-body';
import { noticeOf } from './notices';
import { apiFailurePage, clearSession, PageContext, redirect, sendPage, sessionTokenOf, viewerOf } from './page-context';
import { STYLESHEET } from './stylesheet';
import { registerTenantPages } from './tenant-pages';
import { registerVendorPages } from './vendor-pages';

export const ADMIN_PAGE_PREFIX = '/admin';

export interface AdminPageDeps {
  sessions: SessionTokens;
  now: () => number;
  /** The broker's public base URL (origin + path prefix, no trailing slash). */
  publicUrl: string;
  logger: Logger;
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Paths whose forms are posted before there is a session: their CSRF token is bound to the pre-session cookie. */
const PRE_SESSION_POSTS = new Set([`${ADMIN_PAGE_PREFIX}/login`, `${ADMIN_PAGE_PREFIX}/invite`]);

/**
 * The admin web page under /admin: server-rendered HTML with plain forms, no script. Every read
 * and change goes through the JSON API in-process (AdminApi), with the session token kept in an
 * HttpOnly, SameSite=Strict cookie; every form carries a CSRF token checked on every POST.
 */
export function registerAdminPage(app: FastifyInstance, deps: AdminPageDeps): void {
  const publicUrl = new URL(deps.publicUrl);
  const ctx: PageContext = {
    api: new AdminApi(app),
    sessions: deps.sessions,
    now: deps.now,
    base: `${publicUrl.pathname.replace(/\/+$/, '')}${ADMIN_PAGE_PREFIX}`,
    secure: publicUrl.protocol === 'https:',
  };
  void app.register(async (scope) => adminPagePlugin(scope, ctx, deps.logger), { prefix: ADMIN_PAGE_PREFIX });
}

async function adminPagePlugin(scope: FastifyInstance, ctx: PageContext, logger: Logger): Promise<void> {
  registerFormParser(scope);
  scope.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(k)) void reply.header(k, v);
    return payload;
  });
  scope.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST') return;
    const given = formOf(req.body)['_csrf'];
    if (PRE_SESSION_POSTS.has(req.routeOptions.url ?? '')) {
      const pre = parseCookies(req.headers.cookie)[PRE_SESSION_COOKIE];
      if (pre !== undefined && pre !== '' && ctx.sessions.checkCsrf(`pre\n${pre}`, given)) return;
    } else {
      const token = sessionTokenOf(ctx, req);
      if (token === undefined) return redirect(ctx, reply, '/login?notice=session-ended');
      if (ctx.sessions.checkCsrf(token, given)) return;
    }
    return sendPage(reply, 403, messagePage({ base: ctx.base, title: 'Form refused', message: 'This form did not come from this page or has expired (CSRF check). Reload the page and try again.', link: { href: `${ctx.base}/`, label: 'Back to the start page' } }));
  });
  scope.setErrorHandler((err: FastifyError | BrokerError, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) logger.error('unexpected error in the admin page', { errorName: err.name, errorCode: err.code });
    const message = err instanceof BrokerError ? err.message : status === 413 ? 'The form is larger than the broker accepts.' : status === 415 ? 'Forms must be sent as application/x-www-form-urlencoded.' : status === 500 ? 'Unexpected error in the configuration broker.' : 'The request is not valid.';
    return sendPage(reply, status, messagePage({ base: ctx.base, title: 'Request refused', message, link: { href: `${ctx.base}/`, label: 'Back to the start page' } }));
  });
  scope.setNotFoundHandler((_req, reply) => sendPage(reply, 404, messagePage({ base: ctx.base, title: 'Not found', message: 'There is no such page.', link: { href: `${ctx.base}/`, label: 'Back to the start page' } })));

  scope.get('/admin.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(STYLESHEET));

  scope.get('/', async (req, reply) => {
    const v = viewerOf(ctx, req);
    if (v === undefined) return redirect(ctx, reply, '/login');
    if (v.viewer.kind === 'vendor-admin') return redirect(ctx, reply, '/tenants');
    // A tenant admin's tenant list holds its own tenant only: its page is the start page.
    const own = await ctx.api.call<{ tenants: Tenant[] }>(v.token, 'GET', '/tenants?includeArchived=true');
    if (!own.ok) return apiFailurePage(ctx, reply, v.viewer, own);
    const tenant = own.body.tenants[0];
    if (tenant === undefined) return sendPage(reply, 404, messagePage({ base: ctx.base, title: 'Not found', message: 'Your tenant does not exist any more.', viewer: v.viewer }));
    return redirect(ctx, reply, `/tenants/${encodeURIComponent(tenant.id)}`);
  });

  scope.get('/login', async (req, reply) => {
    const notice = noticeOf(req.query);
    return sendPage(reply, 200, loginPage({ base: ctx.base, csrf: preSessionCsrf(ctx, req, reply), ...(notice !== undefined ? { notice } : {}) }));
  });

  scope.post('/login', async (req, reply) => {
    const f = formOf(req.body);
    const adminToken = f['adminToken'] ?? '';
    const email = (f['email'] ?? '').trim();
    const payload = adminToken !== '' ? { adminToken } : { email, password: f['password'] ?? '' };
    const a = await ctx.api.call<{ token: string; expiresAt: string; principal: { kind: string; tenantId?: string } }>(undefined, 'POST', '/login', payload);
    if (!a.ok) {
      const message = a.status === 400 ? 'Enter an email and a password, or the admin token.' : a.message;
      return sendPage(reply, a.status, loginPage({ base: ctx.base, csrf: preSessionCsrf(ctx, req, reply), email, error: message }));
    }
    const maxAgeSeconds = (Date.parse(a.body.expiresAt) - ctx.now()) / 1000;
    void reply.header('set-cookie', serializeCookie(SESSION_COOKIE, a.body.token, { path: ctx.base, secure: ctx.secure, maxAgeSeconds }));
    const tenantId = a.body.principal.kind === 'tenant-admin' ? a.body.principal.tenantId : undefined;
    return redirect(ctx, reply, tenantId === undefined ? '/tenants' : `/tenants/${encodeURIComponent(tenantId)}`);
  });

  scope.post('/logout', async (_req, reply) => {
    clearSession(ctx, reply);
    return redirect(ctx, reply, '/login?notice=logged-out');
  });

  scope.get('/invite', async (req, reply) => {
    const token = (req.query as Record<string, unknown>)['token'];
    if (typeof token !== 'string' || token === '') {
      return sendPage(reply, 400, messagePage({ base: ctx.base, title: 'Invitation', message: 'This link has no invitation token: open the full link you were sent.' }));
    }
    return sendPage(reply, 200, invitePage({ base: ctx.base, csrf: preSessionCsrf(ctx, req, reply), token, minPasswordLength: MIN_PASSWORD_LENGTH }));
  });

  scope.post('/invite', async (req, reply) => {
    const f = formOf(req.body);
    const token = f['token'] ?? '';
    const password = f['password'] ?? '';
    const again = (error: string, status: number): FastifyReply =>
      sendPage(reply, status, invitePage({ base: ctx.base, csrf: preSessionCsrf(ctx, req, reply), token, error, minPasswordLength: MIN_PASSWORD_LENGTH }));
    if (password !== (f['password2'] ?? '')) return again('The two passwords differ.', 400);
    const a = await ctx.api.call<{ email: string }>(undefined, 'POST', '/invitations/accept', { token, password });
    if (!a.ok) return again(a.status === 404 ? 'This invitation is not valid: it was used already, has expired or was withdrawn. Ask for a new one.' : a.message, a.status);
    return redirect(ctx, reply, '/login?notice=password-set');
  });

  registerVendorPages(scope, ctx);
  registerTenantPages(scope, ctx);
}

/** The CSRF token of the login and invitation forms, bound to a random pre-session cookie (set here when absent). */
function preSessionCsrf(ctx: PageContext, req: FastifyRequest, reply: FastifyReply): string {
  let pre = parseCookies(req.headers.cookie)[PRE_SESSION_COOKIE];
  if (pre === undefined || !/^[A-Za-z0-9_-]{43}$/.test(pre)) {
    pre = randomBytes(32).toString('base64url');
    void reply.header('set-cookie', serializeCookie(PRE_SESSION_COOKIE, pre, { path: ctx.base, secure: ctx.secure }));
  }
  return ctx.sessions.csrf(`pre\n${pre}`);
}
