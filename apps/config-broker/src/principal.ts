import type { FastifyRequest } from 'fastify';
import type { ChangeContext } from '@tsp/broker-store';
import { BrokerError } from './broker-error';

/**
 * Who is calling the admin API: the vendor admin (the broker admin token) or a tenant admin
 * (a session from /api/v1/login or the web page), who may see and change only its own tenant.
 */
export type Principal =
  | { kind: 'vendor-admin'; id: 'vendor-admin' }
  | { kind: 'tenant-admin'; id: string; tenantId: string; email: string };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export const VENDOR_ADMIN: Principal = { kind: 'vendor-admin', id: 'vendor-admin' };

export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === undefined) throw new BrokerError('unauthorized', 'Authorization must be "Bearer <admin token>" or a tenant admin session');
  return req.principal;
}

/** The change context of the caller: recorded with the tenant's ADMIN_* event. */
export function changeContext(req: FastifyRequest): ChangeContext {
  const p = principalOf(req);
  return { actor: { kind: p.kind, id: p.id } };
}

/** Only the vendor admin (tenants, service accounts): a tenant admin gets 403. */
export function requireVendorAdmin(req: FastifyRequest): void {
  if (principalOf(req).kind !== 'vendor-admin') throw new BrokerError('forbidden', 'only the vendor admin may do this; a tenant admin manages its own tenant only');
}

/** The vendor admin, or the admin of `tenantId`; another tenant's admin gets 403 (whether or not the tenant exists). */
export function requireTenantAccess(req: FastifyRequest, tenantId: string): void {
  if (!mayAccessTenant(req, tenantId)) throw new BrokerError('forbidden', 'a tenant admin may only see and change its own tenant');
}

/** True when the caller may see `tenantId`'s resources (used where a foreign resource must look absent). */
export function mayAccessTenant(req: FastifyRequest, tenantId: string): boolean {
  const p = principalOf(req);
  return p.kind === 'vendor-admin' || p.tenantId === tenantId;
}

/** Route-level onRequest hook: vendor admin only (runs before validation, so a tenant admin learns nothing from a 400). */
export async function vendorOnly(req: FastifyRequest): Promise<void> {
  requireVendorAdmin(req);
}

/** Route-level onRequest hook for routes whose `:id` parameter is a tenant id. */
export async function ownTenantOnly(req: FastifyRequest): Promise<void> {
  requireTenantAccess(req, (req.params as { id?: string }).id ?? '');
}

/**
 * Route-level onRequest hook for routes whose `:id` names a resource of some tenant (a KMS
 * config, a tenant admin, a tenant secret): a resource that does not exist, or belongs to a
 * tenant the caller may not see, is answered `notFound` before the body is even validated. A
 * malformed id is left to the parameter schema (400).
 */
export function ownResourceOnly(idPattern: RegExp, tenantOf: (id: string) => Promise<string | undefined>, notFound: (id: string) => BrokerError) {
  return async (req: FastifyRequest): Promise<void> => {
    const id = (req.params as { id?: string }).id ?? '';
    if (!idPattern.test(id)) return;
    const tenantId = await tenantOf(id);
    if (tenantId === undefined || !mayAccessTenant(req, tenantId)) throw notFound(id);
  };
}
