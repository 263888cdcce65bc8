import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceAccount, Tenant } from '@tsp/broker-store';
import { seg } from './api-client';
import { formOf } from './form-body';
import type { Viewer } from './layout';
import { noticeOf } from './notices';
import { apiFailurePage, PageContext, redirect, sendPage, splitList, viewerOf } from './page-context';
import { envFilePage, FormErrors, FormValues, serviceAccountsPage, tenantsPage } from './vendor-views';

type Session = { viewer: Viewer; token: string };

/**
 * The vendor admin's pages: tenants (list, create, archive) and service accounts (list, create
 * with the env file shown once, revoke). A tenant admin reaching them gets the API's 403.
 */
export function registerVendorPages(scope: FastifyInstance, ctx: PageContext): void {
  const session = (req: FastifyRequest, reply: FastifyReply): Session | undefined => {
    const v = viewerOf(ctx, req);
    if (v === undefined) void redirect(ctx, reply, '/login');
    return v;
  };

  const renderTenants = async (reply: FastifyReply, s: Session, o: { showArchived: boolean; status?: number; notice?: string; errors?: FormErrors; values?: FormValues }): Promise<FastifyReply> => {
    const list = await ctx.api.call<{ tenants: Tenant[] }>(s.token, 'GET', `/tenants${o.showArchived ? '?includeArchived=true' : ''}`);
    if (!list.ok) return apiFailurePage(ctx, reply, s.viewer, list);
    return sendPage(reply, o.status ?? 200, tenantsPage({ base: ctx.base, viewer: s.viewer, tenants: list.body.tenants, showArchived: o.showArchived, ...pick(o) }));
  };

  scope.get('/tenants', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    // A tenant admin has one tenant: the start page leads to it.
    if (s.viewer.kind === 'tenant-admin') return redirect(ctx, reply, '/');
    const notice = noticeOf(req.query);
    return renderTenants(reply, s, { showArchived: (req.query as Record<string, unknown>)['archived'] === '1', ...(notice !== undefined ? { notice } : {}) });
  });

  scope.post('/tenants', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const f = formOf(req.body);
    const body = { id: (f['id'] ?? '').trim(), name: (f['name'] ?? '').trim(), tags: splitList(f['tags']), leasingRequired: f['leasingRequired'] === 'true' };
    const a = await ctx.api.call<Tenant>(s.token, 'POST', '/tenants', body);
    if (!a.ok) return a.status === 401 || a.status === 403 ? apiFailurePage(ctx, reply, s.viewer, a) : renderTenants(reply, s, { showArchived: false, status: a.status, errors: { create: a.message }, values: { ...f } });
    return redirect(ctx, reply, `/tenants/${seg(a.body.id)}?notice=tenant-created`);
  });

  scope.post<{ Params: { id: string } }>('/tenants/:id/archive', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const archived = formOf(req.body)['archived'] === 'true';
    const a = await ctx.api.call<Tenant>(s.token, 'PATCH', `/tenants/${seg(req.params.id)}`, { archived });
    if (!a.ok) return a.status === 401 || a.status === 403 ? apiFailurePage(ctx, reply, s.viewer, a) : renderTenants(reply, s, { showArchived: true, status: a.status, errors: { list: a.message } });
    return redirect(ctx, reply, `/tenants?archived=1&notice=${archived ? 'tenant-archived' : 'tenant-unarchived'}`);
  });

  const renderAccounts = async (reply: FastifyReply, s: Session, o: { status?: number; notice?: string; errors?: FormErrors; values?: FormValues }): Promise<FastifyReply> => {
    const list = await ctx.api.call<{ serviceAccounts: ServiceAccount[] }>(s.token, 'GET', '/service-accounts');
    if (!list.ok) return apiFailurePage(ctx, reply, s.viewer, list);
    return sendPage(reply, o.status ?? 200, serviceAccountsPage({ base: ctx.base, viewer: s.viewer, accounts: list.body.serviceAccounts, ...pick(o) }));
  };

  scope.get('/service-accounts', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const notice = noticeOf(req.query);
    return renderAccounts(reply, s, notice !== undefined ? { notice } : {});
  });

  scope.post('/service-accounts', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const f = formOf(req.body);
    const body = { id: (f['id'] ?? '').trim(), name: (f['name'] ?? '').trim(), tenantTags: splitList(f['tenantTags']) };
    const a = await ctx.api.call<{ serviceAccount: ServiceAccount; envFile: string }>(s.token, 'POST', '/service-accounts', body);
    if (!a.ok) return a.status === 401 || a.status === 403 ? apiFailurePage(ctx, reply, s.viewer, a) : renderAccounts(reply, s, { status: a.status, errors: { create: a.message }, values: { ...f } });
    // The env file holds private keys: this answer is its only appearance (no-store, never stored).
    return sendPage(reply.header('cache-control', 'no-store'), 201, envFilePage({ base: ctx.base, viewer: s.viewer, account: a.body.serviceAccount, envFile: a.body.envFile }));
  });

  scope.post<{ Params: { id: string } }>('/service-accounts/:id/revoke', async (req, reply) => {
    const s = session(req, reply);
    if (s === undefined) return reply;
    const a = await ctx.api.call<ServiceAccount>(s.token, 'POST', `/service-accounts/${seg(req.params.id)}/revoke`);
    if (!a.ok) return a.status === 401 || a.status === 403 ? apiFailurePage(ctx, reply, s.viewer, a) : renderAccounts(reply, s, { status: a.status, errors: { list: a.message } });
    return redirect(ctx, reply, '/service-accounts?notice=sa-revoked');
  });
}

/** The optional parts of a render request, without undefined values. */
export function pick(o: { notice?: string; errors?: FormErrors; values?: FormValues }): { notice?: string; errors?: FormErrors; values?: FormValues } {
  return { ...(o.notice !== undefined ? { notice: o.notice } : {}), ...(o.errors !== undefined ? { errors: o.errors } : {}), ...(o.values !== undefined ? { values: o.values } : {}) };
}
