import type { LoggingConfig, SecretStatus } from '@tsp/config-crypto';
import type { AdminEventRecord, ChangeContext, KmsConfigPatch, KmsConfigView, TenantAdmin, TenantPatch, TenantSecretView } from './repository';

/**
 * The ADMIN_* events every BrokerRepository back end appends to its outbox, built here once so
 * SQLite and PostgreSQL record the same event, actor and details for the same change.
 *
 * Details name the action, the ids involved and the NAMES of changed fields; they never carry
 * a value that could be secret (credentials, passwords, token hashes, secret material): each
 * builder copies only the fields listed, never a caller's object.
 */

export const ADMIN_EVENT_NAMES = ['ADMIN_ADD', 'ADMIN_REMOVE', 'ADMIN_CHANGE_SETTING', 'ADMIN_CHANGE_PERMISSIONS'] as const;
export type AdminEventName = (typeof ADMIN_EVENT_NAMES)[number];

export type AdminAction =
  | 'tenant.create'
  | 'tenant.update'
  | 'tenant.delete'
  | 'kms-config.create'
  | 'kms-config.update'
  | 'kms-config.delete'
  | 'logging-config.put'
  | 'logging-config.delete'
  | 'tenant-secret.create'
  | 'tenant-secret.status'
  | 'tenant-admin.invite'
  | 'tenant-admin.accept'
  | 'tenant-admin.delete';

/** An outbox row before the store numbers it. */
export type AdminEventDraft = Omit<AdminEventRecord, 'id'> & { event: AdminEventName; details: { action: AdminAction } & Record<string, unknown> };

const TENANT_FIELDS = ['name', 'tags', 'archived', 'leasingRequired'] as const;
const KMS_PATCH_FIELDS = ['credentials', 'endpoint', 'active', 'primary', 'leasingAllowed', 'leasingLifetimeSeconds'] as const;

function draft(tenantId: string, event: AdminEventName, ctx: ChangeContext, at: string, details: AdminEventDraft['details']): AdminEventDraft {
  return { tenantId, event, actor: { kind: ctx.actor.kind, id: ctx.actor.id }, details, at };
}

/** The names of the fields a patch sets (never their values), in a fixed order. */
function changed<T extends object>(patch: T, fields: readonly (keyof T & string)[]): string[] {
  return fields.filter((f) => patch[f] !== undefined);
}

export function tenantCreateEvent(tenantId: string, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(tenantId, 'ADMIN_CHANGE_SETTING', ctx, at, { action: 'tenant.create' });
}

export function tenantUpdateEvent(tenantId: string, patch: TenantPatch, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(tenantId, 'ADMIN_CHANGE_SETTING', ctx, at, { action: 'tenant.update', changed: changed(patch, TENANT_FIELDS) });
}

export function tenantDeleteEvent(tenantId: string, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(tenantId, 'ADMIN_CHANGE_SETTING', ctx, at, { action: 'tenant.delete' });
}

export function kmsConfigCreateEvent(c: KmsConfigView, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(c.tenantId, 'ADMIN_CHANGE_SETTING', ctx, at, { action: 'kms-config.create', kmsConfigId: c.id, type: c.type, primary: c.primary });
}

export function kmsConfigUpdateEvent(tenantId: string, kmsConfigId: number, patch: KmsConfigPatch, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(tenantId, 'ADMIN_CHANGE_SETTING', ctx, at, { action: 'kms-config.update', kmsConfigId, changed: changed(patch, KMS_PATCH_FIELDS) });
}

export function kmsConfigDeleteEvent(tenantId: string, kmsConfigId: number, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(tenantId, 'ADMIN_CHANGE_SETTING', ctx, at, { action: 'kms-config.delete', kmsConfigId });
}

export function loggingConfigPutEvent(tenantId: string, config: LoggingConfig, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(tenantId, 'ADMIN_CHANGE_SETTING', ctx, at, { action: 'logging-config.put', sinkIds: config.sinks.map((s) => s.id) });
}

export function loggingConfigDeleteEvent(tenantId: string, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(tenantId, 'ADMIN_CHANGE_SETTING', ctx, at, { action: 'logging-config.delete' });
}

export function tenantSecretCreateEvent(s: TenantSecretView, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(s.tenantId, 'ADMIN_CHANGE_SETTING', ctx, at, {
    action: 'tenant-secret.create',
    tenantSecretId: s.id,
    secretPath: s.secretPath,
    secretType: s.secretType,
    status: s.status,
  });
}

export function tenantSecretStatusEvent(before: TenantSecretView, to: SecretStatus, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(before.tenantId, 'ADMIN_CHANGE_SETTING', ctx, at, {
    action: 'tenant-secret.status',
    tenantSecretId: before.id,
    secretPath: before.secretPath,
    secretType: before.secretType,
    from: before.status,
    to,
  });
}

export function tenantAdminInviteEvent(a: TenantAdmin, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(a.tenantId, 'ADMIN_ADD', ctx, at, { action: 'tenant-admin.invite', tenantAdminId: a.id, email: a.email });
}

/** The invited admin itself accepted: it is the actor. */
export function tenantAdminAcceptEvent(a: TenantAdmin, at: string): AdminEventDraft {
  return draft(a.tenantId, 'ADMIN_CHANGE_PERMISSIONS', { actor: { kind: 'tenant-admin', id: a.id } }, at, {
    action: 'tenant-admin.accept',
    tenantAdminId: a.id,
    email: a.email,
  });
}

export function tenantAdminDeleteEvent(a: TenantAdmin, ctx: ChangeContext, at: string): AdminEventDraft {
  return draft(a.tenantId, 'ADMIN_REMOVE', ctx, at, { action: 'tenant-admin.delete', tenantAdminId: a.id, email: a.email });
}
