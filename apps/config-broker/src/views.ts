import type { KmsConfigView, LoggingConfigView, ServiceAccount, Tenant, TenantAdmin } from '@tsp/broker-store';

/**
 * What the API answers, field by field. Every answer goes through one of these, so a storage
 * implementation that returned a secret field by mistake still could not leak it.
 */
export function tenantView(t: Tenant): Tenant {
  return { id: t.id, name: t.name, tags: [...t.tags], archived: t.archived, leasingRequired: t.leasingRequired, createdAt: t.createdAt, updatedAt: t.updatedAt };
}

export function kmsConfigView(c: KmsConfigView): KmsConfigView {
  return {
    id: c.id,
    tenantId: c.tenantId,
    type: c.type,
    keyPath: c.keyPath,
    ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
    active: c.active,
    primary: c.primary,
    leasingAllowed: c.leasingAllowed,
    ...(c.leasingLifetimeSeconds !== undefined ? { leasingLifetimeSeconds: c.leasingLifetimeSeconds } : {}),
    hasCredentials: c.hasCredentials,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export function loggingConfigView(l: LoggingConfigView): LoggingConfigView {
  return {
    tenantId: l.tenantId,
    sinks: l.sinks.map((s) => ({ id: s.id, type: s.type, settings: s.settings, hasCredentials: s.hasCredentials })),
    ...(l.rateLimit !== undefined ? { rateLimit: l.rateLimit } : {}),
    ...(l.batch !== undefined ? { batch: l.batch } : {}),
    updatedAt: l.updatedAt,
  };
}

export function serviceAccountView(a: ServiceAccount): ServiceAccount {
  return {
    id: a.id,
    name: a.name,
    encryptionPublicKey: a.encryptionPublicKey,
    signingPublicKey: a.signingPublicKey,
    tenantTags: [...a.tenantTags],
    ...(a.revokedAt !== undefined ? { revokedAt: a.revokedAt } : {}),
    createdAt: a.createdAt,
  };
}

/** Never the password hash or the invitation token hash. */
export function tenantAdminView(a: TenantAdmin): TenantAdmin {
  return {
    id: a.id,
    tenantId: a.tenantId,
    email: a.email,
    status: a.status,
    createdAt: a.createdAt,
    ...(a.lastLoginAt !== undefined ? { lastLoginAt: a.lastLoginAt } : {}),
  };
}
