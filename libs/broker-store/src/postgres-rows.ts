import type { KmsType, LoggingConfig, SecretStatus, TenantSecretType } from '@tsp/config-crypto';
import type { Actor, AdminEventRecord, KmsConfigView, LoggingConfigView, ServiceAccount, Tenant, TenantAdmin, TenantSecretView } from './repository';

/**
 * Rows of the PostgreSQL broker store (see postgres-migrations.ts) as node-postgres returns them
 * (timestamptz as Date, bigint as string, json parsed), and their mapping to the contract's views.
 */

export interface PgTenantRow {
  id: string;
  name: string;
  tags: string[];
  archived: boolean;
  leasing_required: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface PgKmsConfigRow {
  id: number;
  tenant_id: string;
  type: KmsType;
  key_path: Record<string, unknown>;
  credentials: string;
  has_credentials: boolean;
  endpoint: string | null;
  active: boolean;
  is_primary: boolean;
  leasing_allowed: boolean;
  leasing_lifetime_seconds: number | null;
  created_at: Date;
  updated_at: Date;
}

/** A sink as stored in logging_configs.sinks: no credentials. */
export interface PgStoredSink {
  id: string;
  type: string;
  settings?: Record<string, unknown>;
  hasCredentials: boolean;
}

export interface PgLoggingConfigRow {
  tenant_id: string;
  sinks: PgStoredSink[];
  sink_credentials: string | null;
  rate_limit: LoggingConfig['rateLimit'] | null;
  batch: LoggingConfig['batch'] | null;
  updated_at: Date;
}

export interface PgServiceAccountRow {
  id: string;
  name: string;
  encryption_public_key: string;
  signing_public_key: string;
  tenant_tags: string[];
  revoked_at: Date | null;
  created_at: Date;
}

export interface PgTenantSecretRow {
  id: string;
  tenant_id: string;
  secret_path: string;
  secret_type: TenantSecretType;
  status: SecretStatus;
  encrypted_secret: string;
  created_at: Date;
}

export interface PgTenantAdminRow {
  id: string;
  tenant_id: string;
  email: string;
  status: 'invited' | 'active';
  invite_token_hash: string | null;
  invite_expires_at: Date | null;
  password_hash: string | null;
  created_at: Date;
  last_login_at: Date | null;
}

export interface PgAdminEventRow {
  id: string;
  tenant_id: string;
  event: string;
  actor_kind: Actor['kind'];
  actor_id: string;
  details: Record<string, unknown>;
  at: Date;
}

const iso = (d: Date): string => d.toISOString();

export function pgToTenant(r: PgTenantRow): Tenant {
  return {
    id: r.id,
    name: r.name,
    tags: r.tags,
    archived: r.archived,
    leasingRequired: r.leasing_required,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function pgToKmsConfigView(r: PgKmsConfigRow): KmsConfigView {
  const view: KmsConfigView = {
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type,
    keyPath: r.key_path,
    active: r.active,
    primary: r.is_primary,
    leasingAllowed: r.leasing_allowed,
    hasCredentials: r.has_credentials,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
  if (r.endpoint !== null) view.endpoint = r.endpoint;
  if (r.leasing_lifetime_seconds !== null) view.leasingLifetimeSeconds = r.leasing_lifetime_seconds;
  return view;
}

export function pgToLoggingConfigView(r: PgLoggingConfigRow): LoggingConfigView {
  const sinks = r.sinks.map((s) => ({ id: s.id, type: s.type, settings: s.settings ?? {}, hasCredentials: s.hasCredentials }));
  const view: LoggingConfigView = { tenantId: r.tenant_id, sinks, updatedAt: iso(r.updated_at) };
  if (r.rate_limit !== null) view.rateLimit = r.rate_limit;
  if (r.batch !== null) view.batch = r.batch;
  return view;
}

export function pgToServiceAccount(r: PgServiceAccountRow): ServiceAccount {
  const sa: ServiceAccount = {
    id: r.id,
    name: r.name,
    encryptionPublicKey: r.encryption_public_key,
    signingPublicKey: r.signing_public_key,
    tenantTags: r.tenant_tags,
    createdAt: iso(r.created_at),
  };
  if (r.revoked_at !== null) sa.revokedAt = iso(r.revoked_at);
  return sa;
}

export function pgToTenantSecretView(r: PgTenantSecretRow): TenantSecretView {
  return { id: Number(r.id), tenantId: r.tenant_id, secretPath: r.secret_path, secretType: r.secret_type, status: r.status, createdAt: iso(r.created_at) };
}

export function pgToTenantAdmin(r: PgTenantAdminRow): TenantAdmin {
  const admin: TenantAdmin = { id: r.id, tenantId: r.tenant_id, email: r.email, status: r.status, createdAt: iso(r.created_at) };
  if (r.last_login_at !== null) admin.lastLoginAt = iso(r.last_login_at);
  return admin;
}

export function pgToAdminEvent(r: PgAdminEventRow): AdminEventRecord {
  return { id: Number(r.id), tenantId: r.tenant_id, event: r.event, actor: { kind: r.actor_kind, id: r.actor_id }, details: r.details, at: iso(r.at) };
}
