import type { KmsType, LoggingConfig, SecretStatus, TenantSecretType } from '@tsp/config-crypto';
import type { Actor, AdminEventRecord, KmsConfigView, LoggingConfigView, ServiceAccount, Tenant, TenantAdmin, TenantSecretView } from './repository';

/** Rows of the SQLite broker store (see sqlite-migrations.ts) and their mapping to the contract's views. */

export interface TenantRow {
  id: string;
  name: string;
  tags: string;
  archived: number;
  leasing_required: number;
  created_at: string;
  updated_at: string;
}

export interface KmsConfigRow {
  id: number;
  tenant_id: string;
  type: KmsType;
  key_path: string;
  credentials: string;
  has_credentials: number;
  endpoint: string | null;
  active: number;
  is_primary: number;
  leasing_allowed: number;
  leasing_lifetime_seconds: number | null;
  created_at: string;
  updated_at: string;
}

export interface LoggingConfigRow {
  tenant_id: string;
  sinks: string;
  sink_credentials: string | null;
  rate_limit: string | null;
  batch: string | null;
  updated_at: string;
}

/** A sink as stored in logging_configs.sinks: no credentials. */
export interface StoredSink {
  id: string;
  type: string;
  settings?: Record<string, unknown>;
  hasCredentials: boolean;
}

export interface ServiceAccountRow {
  id: string;
  name: string;
  encryption_public_key: string;
  signing_public_key: string;
  tenant_tags: string;
  revoked_at: string | null;
  created_at: string;
}

export interface TenantSecretRow {
  id: number;
  tenant_id: string;
  secret_path: string;
  secret_type: TenantSecretType;
  status: SecretStatus;
  encrypted_secret: string;
  created_at: string;
}

export function toTenant(r: TenantRow): Tenant {
  return {
    id: r.id,
    name: r.name,
    tags: JSON.parse(r.tags) as string[],
    archived: r.archived === 1,
    leasingRequired: r.leasing_required === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toKmsConfigView(r: KmsConfigRow): KmsConfigView {
  const view: KmsConfigView = {
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type,
    keyPath: JSON.parse(r.key_path) as Record<string, unknown>,
    active: r.active === 1,
    primary: r.is_primary === 1,
    leasingAllowed: r.leasing_allowed === 1,
    hasCredentials: r.has_credentials === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (r.endpoint !== null) view.endpoint = r.endpoint;
  if (r.leasing_lifetime_seconds !== null) view.leasingLifetimeSeconds = r.leasing_lifetime_seconds;
  return view;
}

export function toLoggingConfigView(r: LoggingConfigRow): LoggingConfigView {
  const sinks = (JSON.parse(r.sinks) as StoredSink[]).map((s) => ({ id: s.id, type: s.type, settings: s.settings ?? {}, hasCredentials: s.hasCredentials }));
  const view: LoggingConfigView = { tenantId: r.tenant_id, sinks, updatedAt: r.updated_at };
  if (r.rate_limit !== null) view.rateLimit = JSON.parse(r.rate_limit) as LoggingConfig['rateLimit'];
  if (r.batch !== null) view.batch = JSON.parse(r.batch) as LoggingConfig['batch'];
  return view;
}

export function toServiceAccount(r: ServiceAccountRow): ServiceAccount {
  const sa: ServiceAccount = {
    id: r.id,
    name: r.name,
    encryptionPublicKey: r.encryption_public_key,
    signingPublicKey: r.signing_public_key,
    tenantTags: JSON.parse(r.tenant_tags) as string[],
    createdAt: r.created_at,
  };
  if (r.revoked_at !== null) sa.revokedAt = r.revoked_at;
  return sa;
}

export function toTenantSecretView(r: TenantSecretRow): TenantSecretView {
  return { id: r.id, tenantId: r.tenant_id, secretPath: r.secret_path, secretType: r.secret_type, status: r.status, createdAt: r.created_at };
}

export interface TenantAdminRow {
  id: string;
  tenant_id: string;
  email: string;
  status: 'invited' | 'active';
  password_hash: string | null;
  invite_token_hash: string | null;
  invite_expires_at: string | null;
  created_at: string;
  last_login_at: string | null;
}

/** Never the password hash or the invitation token hash. */
export function toTenantAdmin(r: TenantAdminRow): TenantAdmin {
  const a: TenantAdmin = { id: r.id, tenantId: r.tenant_id, email: r.email, status: r.status, createdAt: r.created_at };
  if (r.last_login_at !== null) a.lastLoginAt = r.last_login_at;
  return a;
}

export interface AdminEventRow {
  id: number;
  tenant_id: string;
  event: string;
  actor_kind: Actor['kind'];
  actor_id: string;
  details: string;
  at: string;
}

export function toAdminEventRecord(r: AdminEventRow): AdminEventRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    event: r.event,
    actor: { kind: r.actor_kind, id: r.actor_id },
    details: JSON.parse(r.details) as Record<string, unknown>,
    at: r.at,
  };
}
