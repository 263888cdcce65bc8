import type { KmsType, LoggingConfig, TenantSecretType, SecretStatus } from '@tsp/config-crypto';

/**
 * The configuration broker's storage contract (issue 5). One interface, implemented by SQLite
 * (the embedded default, better-sqlite3) and later PostgreSQL; both must pass the same
 * repository test suite. Every write bumps the document sequence (proxies never go back to a
 * lower one). Secret fields (KMS credentials, logging credentials, tenant-secret material) are
 * stored encrypted under the broker master key by the implementation and come back decrypted
 * ONLY from the `...ForDocument` reads used to build sealed documents; every other read leaves
 * them out.
 */

export interface Tenant {
  id: string;
  name: string;
  tags: string[];
  archived: boolean;
  /** Every wrap must be leased (the original's "leasing required"). */
  leasingRequired: boolean;
  createdAt: string;
  updatedAt: string;
}

export type NewTenant = Pick<Tenant, 'id' | 'name'> & Partial<Pick<Tenant, 'tags' | 'archived' | 'leasingRequired'>>;
export type TenantPatch = Partial<Pick<Tenant, 'name' | 'tags' | 'archived' | 'leasingRequired'>>;

/** A KMS config as reads return it: no credentials. */
export interface KmsConfigView {
  /** Positive int32, unique across the broker (it goes into EDEKs). */
  id: number;
  tenantId: string;
  type: KmsType;
  /** Immutable after creation. */
  keyPath: Record<string, unknown>;
  endpoint?: string;
  active: boolean;
  primary: boolean;
  leasingAllowed: boolean;
  leasingLifetimeSeconds?: number;
  /** Whether credentials are stored (never their value). */
  hasCredentials: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewKmsConfig {
  /**
   * An explicit id (seeding, moving configs from a file document whose EDEKs carry it): a
   * conflict when the id was ever used. Omitted: the store assigns the next unused id (ids
   * handed out explicitly are never handed out again).
   */
  id?: number;
  tenantId: string;
  type: KmsType;
  keyPath: Record<string, unknown>;
  credentials: Record<string, unknown>;
  endpoint?: string;
  active?: boolean;
  primary?: boolean;
  leasingAllowed?: boolean;
  leasingLifetimeSeconds?: number;
}

/** keyPath and type are immutable; credentials may be replaced (write-only). */
export type KmsConfigPatch = Partial<Pick<NewKmsConfig, 'credentials' | 'endpoint' | 'active' | 'primary' | 'leasingAllowed' | 'leasingLifetimeSeconds'>>;

/** A tenant's logging config as reads return it: each sink without its credentials. */
export interface LoggingConfigView {
  tenantId: string;
  sinks: { id: string; type: string; settings: Record<string, unknown>; hasCredentials: boolean }[];
  rateLimit?: LoggingConfig['rateLimit'];
  batch?: LoggingConfig['batch'];
  updatedAt: string;
}

export interface ServiceAccount {
  id: string;
  name: string;
  /** base64 SPKI X25519: tenant parts are sealed for it. */
  encryptionPublicKey: string;
  /** base64 SPKI Ed25519: verifies its signed requests. */
  signingPublicKey: string;
  /** Serves the tenants having at least one of these tags; empty: every tenant. */
  tenantTags: string[];
  revokedAt?: string;
  createdAt: string;
}

export type NewServiceAccount = Omit<ServiceAccount, 'createdAt' | 'revokedAt'>;

export interface TenantSecretView {
  id: number;
  tenantId: string;
  secretPath: string;
  secretType: TenantSecretType;
  status: SecretStatus;
  createdAt: string;
}

export interface NewTenantSecret {
  tenantId: string;
  secretPath: string;
  secretType: TenantSecretType;
  /** base64 EncryptedDeks: 32 random bytes wrapped by one of the tenant's KMS configs. */
  encryptedSecret: string;
  /** Default 'current'. */
  status?: SecretStatus;
}

export type TenantSecretWithMaterial = TenantSecretView & { encryptedSecret: string };

/** A vendor admin, a tenant admin, a service account (a proxy creating a secret) or the broker itself. */
export interface Actor {
  kind: 'vendor-admin' | 'tenant-admin' | 'service-account' | 'system';
  /** The admin's id, the service account's id, or 'broker'. Never a token or password. */
  id: string;
}

/** Passed to every write: who made the change (recorded with the tenant's ADMIN_* event). */
export interface ChangeContext {
  actor: Actor;
}

export interface TenantAdmin {
  /** Store-assigned, opaque (never reused). */
  id: string;
  tenantId: string;
  /** Lower-cased; unique across the broker (it is the login name). */
  email: string;
  /** 'invited' until the invitation is accepted and a password set. */
  status: 'invited' | 'active';
  createdAt: string;
  lastLoginAt?: string;
}

export interface NewTenantAdminInvite {
  tenantId: string;
  email: string;
  /** SHA-256 (hex) of the one-time invitation token; the token itself is never stored. */
  inviteTokenHash: string;
  /** ISO time after which the invitation cannot be accepted. */
  inviteExpiresAt: string;
}

/**
 * The security event an admin change emits to the tenant's logging (an outbox row written in
 * the SAME transaction as the change, so no change goes unreported and no report is invented).
 */
export interface AdminEventRecord {
  /** Increasing; the outbox is read and acknowledged in this order. */
  id: number;
  tenantId: string;
  /** ADMIN_ADD | ADMIN_REMOVE | ADMIN_CHANGE_SETTING | ADMIN_CHANGE_PERMISSIONS */
  event: string;
  actor: Actor;
  /** What changed, e.g. {action: 'kms-config.update', kmsConfigId: 7, changed: ['active']}: never a secret value. */
  details: Record<string, unknown>;
  /** ISO time of the change. */
  at: string;
}

/** Everything a sealed document needs about one tenant, secrets decrypted. */
export interface TenantForDocument {
  tenant: Tenant;
  kmsConfigs: (KmsConfigView & { credentials: Record<string, unknown> })[];
  logging: LoggingConfig | undefined;
  secrets: TenantSecretWithMaterial[];
}

/** A failed precondition; `field` names the field, never a value. */
export class RepositoryError extends Error {
  override name = 'RepositoryError';
  constructor(
    readonly kind: 'not-found' | 'conflict' | 'invalid',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface BrokerRepository {
  /** Increases with every change; documents carry it. */
  sequence(): Promise<number>;

  createTenant(t: NewTenant, ctx: ChangeContext): Promise<Tenant>;
  getTenant(id: string): Promise<Tenant | undefined>;
  listTenants(filter?: { tag?: string; includeArchived?: boolean }): Promise<Tenant[]>;
  updateTenant(id: string, patch: TenantPatch, ctx: ChangeContext): Promise<Tenant>;
  /** Deletes the tenant and everything of it (its pending admin events stay in the outbox). */
  deleteTenant(id: string, ctx: ChangeContext): Promise<void>;

  /** Assigns the next free id unless `c.id` is given. At most one primary per tenant: a new primary demotes the old one. */
  createKmsConfig(c: NewKmsConfig, ctx: ChangeContext): Promise<KmsConfigView>;
  getKmsConfig(id: number): Promise<KmsConfigView | undefined>;
  listKmsConfigs(tenantId: string): Promise<KmsConfigView[]>;
  updateKmsConfig(id: number, patch: KmsConfigPatch, ctx: ChangeContext): Promise<KmsConfigView>;
  deleteKmsConfig(id: number, ctx: ChangeContext): Promise<void>;

  putLoggingConfig(tenantId: string, config: LoggingConfig, ctx: ChangeContext): Promise<LoggingConfigView>;
  getLoggingConfig(tenantId: string): Promise<LoggingConfigView | undefined>;
  deleteLoggingConfig(tenantId: string, ctx: ChangeContext): Promise<void>;

  createServiceAccount(sa: NewServiceAccount): Promise<ServiceAccount>;
  getServiceAccount(id: string): Promise<ServiceAccount | undefined>;
  listServiceAccounts(): Promise<ServiceAccount[]>;
  revokeServiceAccount(id: string): Promise<ServiceAccount>;

  /**
   * Adds a tenant secret, sealed at rest. Idempotent for a Current secret: when the tenant
   * already has a Current secret of this path and type, nothing is written and that one comes
   * back with `created: false` (so concurrent first requests of many proxies create exactly
   * one; the database enforces it with a unique index, not only a read-then-write).
   */
  createTenantSecret(s: NewTenantSecret, ctx: ChangeContext): Promise<{ secret: TenantSecretWithMaterial; created: boolean }>;
  getTenantSecret(id: number): Promise<TenantSecretView | undefined>;
  listTenantSecrets(tenantId: string): Promise<TenantSecretView[]>;
  /**
   * Rotation: current → inRotation (begin: the next derive creates a new Current secret),
   * inRotation → current (cancel; a conflict while another Current exists), inRotation →
   * archived (end: no longer served). Archived is final; anything else is 'invalid' naming 'status'.
   */
  setTenantSecretStatus(id: number, status: SecretStatus, ctx: ChangeContext): Promise<TenantSecretView>;

  /** Invites a tenant admin (status 'invited'); conflict when the email is taken. */
  inviteTenantAdmin(invite: NewTenantAdminInvite, ctx: ChangeContext): Promise<TenantAdmin>;
  /**
   * Accepts the invitation whose token hashes to `inviteTokenHash` (not expired, not used):
   * sets the password hash, status 'active', and forgets the token. not-found otherwise.
   */
  acceptTenantAdminInvite(inviteTokenHash: string, passwordHash: string, at: string): Promise<TenantAdmin>;
  /** For login: the admin and its password hash (undefined while invited). */
  tenantAdminByEmail(email: string): Promise<(TenantAdmin & { passwordHash?: string }) | undefined>;
  getTenantAdmin(id: string): Promise<TenantAdmin | undefined>;
  listTenantAdmins(tenantId: string): Promise<TenantAdmin[]>;
  recordTenantAdminLogin(id: string, at: string): Promise<void>;
  deleteTenantAdmin(id: string, ctx: ChangeContext): Promise<void>;

  /** The oldest unacknowledged admin events, at most `limit`. */
  pendingAdminEvents(limit: number): Promise<AdminEventRecord[]>;
  /** Removes delivered events from the outbox. */
  ackAdminEvents(ids: readonly number[]): Promise<void>;

  /** The tenants a service account serves (not archived, tag match), secrets decrypted. */
  tenantsForDocument(serviceAccountId: string): Promise<TenantForDocument[]>;

  close(): Promise<void>;
}
