import type { FastifyInstance } from 'fastify';
import type { BrokerRepository, NewTenant, TenantPatch } from '@tsp/broker-store';
import { newTenantBody, tenantIdParams, tenantListQuery, tenantPatchBody } from './api-schemas';
import { BrokerError } from './broker-error';
import { tenantView } from './views';

/** Tenants: POST/GET /tenants, GET/PATCH/DELETE /tenants/{id} (under the /api/v1 prefix). */
export function registerTenantRoutes(app: FastifyInstance, repo: BrokerRepository): void {
  app.post<{ Body: NewTenant }>('/tenants', { schema: { body: newTenantBody } }, async (req, reply) => {
    return reply.code(201).send(tenantView(await repo.createTenant(req.body)));
  });

  app.get<{ Querystring: { tag?: string; includeArchived?: 'true' | 'false' } }>('/tenants', { schema: { querystring: tenantListQuery } }, async (req) => {
    const filter: { tag?: string; includeArchived?: boolean } = { includeArchived: req.query.includeArchived === 'true' };
    if (req.query.tag !== undefined) filter.tag = req.query.tag;
    return { tenants: (await repo.listTenants(filter)).map(tenantView) };
  });

  app.get<{ Params: { id: string } }>('/tenants/:id', { schema: { params: tenantIdParams } }, async (req) => {
    const t = await repo.getTenant(req.params.id);
    if (t === undefined) throw tenantNotFound(req.params.id);
    return tenantView(t);
  });

  app.patch<{ Params: { id: string }; Body: TenantPatch }>('/tenants/:id', { schema: { params: tenantIdParams, body: tenantPatchBody } }, async (req) => {
    return tenantView(await repo.updateTenant(req.params.id, req.body));
  });

  app.delete<{ Params: { id: string } }>('/tenants/:id', { schema: { params: tenantIdParams } }, async (req, reply) => {
    await repo.deleteTenant(req.params.id);
    return reply.code(204).send();
  });
}

export function tenantNotFound(id: string): BrokerError {
  return new BrokerError('not-found', `tenant '${id}' does not exist`);
}
