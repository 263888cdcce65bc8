import type { FastifyInstance } from 'fastify';
import type { BrokerRepository, NewTenant, TenantPatch } from '@tsp/broker-store';
import { newTenantBody, tenantIdParams, tenantListQuery, tenantPatchBody } from './api-schemas';
import { BrokerError } from './broker-error';
import { changeContext, ownTenantOnly, principalOf, vendorOnly } from './principal';
import { tenantView } from './views';

/**
 * Tenants: POST/GET /tenants, GET/PATCH/DELETE /tenants/{id} (under the /api/v1 prefix). Creating,
 * changing and deleting tenants is the vendor admin's; a tenant admin reads its own tenant only.
 */
export function registerTenantRoutes(app: FastifyInstance, repo: BrokerRepository): void {
  app.post<{ Body: NewTenant }>('/tenants', { onRequest: vendorOnly, schema: { body: newTenantBody } }, async (req, reply) => {
    return reply.code(201).send(tenantView(await repo.createTenant(req.body, changeContext(req))));
  });

  app.get<{ Querystring: { tag?: string; includeArchived?: 'true' | 'false' } }>('/tenants', { schema: { querystring: tenantListQuery } }, async (req) => {
    const filter: { tag?: string; includeArchived?: boolean } = { includeArchived: req.query.includeArchived === 'true' };
    if (req.query.tag !== undefined) filter.tag = req.query.tag;
    const p = principalOf(req);
    // A tenant admin's list holds its own tenant only.
    const tenants = (await repo.listTenants(filter)).filter((t) => p.kind === 'vendor-admin' || t.id === p.tenantId);
    return { tenants: tenants.map(tenantView) };
  });

  app.get<{ Params: { id: string } }>('/tenants/:id', { onRequest: ownTenantOnly, schema: { params: tenantIdParams } }, async (req) => {
    const t = await repo.getTenant(req.params.id);
    if (t === undefined) throw tenantNotFound(req.params.id);
    return tenantView(t);
  });

  app.patch<{ Params: { id: string }; Body: TenantPatch }>('/tenants/:id', { onRequest: vendorOnly, schema: { params: tenantIdParams, body: tenantPatchBody } }, async (req) => {
    return tenantView(await repo.updateTenant(req.params.id, req.body, changeContext(req)));
  });

  app.delete<{ Params: { id: string } }>('/tenants/:id', { onRequest: vendorOnly, schema: { params: tenantIdParams } }, async (req, reply) => {
    await repo.deleteTenant(req.params.id, changeContext(req));
    return reply.code(204).send();
  });
}

export function tenantNotFound(id: string): BrokerError {
  return new BrokerError('not-found', `tenant '${id}' does not exist`);
}
