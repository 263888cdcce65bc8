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

/** Everything a sealed document needs about one tenant, secrets decrypted. */
export interface TenantForDocument {
  tenant: Tenant;
  kmsConfigs: (KmsConfigView & { credentials: Record<string, unknown> })[];
  logging: LoggingConfig | undefined;
  secrets: (TenantSecretView & { encryptedSecret: string })[];
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

  createTenant(t: NewTenant): Promise<Tenant>;
  getTenant(id: string): Promise<Tenant | undefined>;
  listTenants(filter?: { tag?: string; includeArchived?: boolean }): Promise<Tenant[]>;
  updateTenant(id: string, patch: TenantPatch): Promise<Tenant>;
  /** Deletes the tenant and everything of it. */
  deleteTenant(id: string): Promise<void>;

  /** Assigns the next free id. At most one primary per tenant: a new primary demotes the old one. */
  createKmsConfig(c: NewKmsConfig): Promise<KmsConfigView>;
  getKmsConfig(id: number): Promise<KmsConfigView | undefined>;
  listKmsConfigs(tenantId: string): Promise<KmsConfigView[]>;
  updateKmsConfig(id: number, patch: KmsConfigPatch): Promise<KmsConfigView>;
  deleteKmsConfig(id: number): Promise<void>;

  putLoggingConfig(tenantId: string, config: LoggingConfig): Promise<LoggingConfigView>;
  getLoggingConfig(tenantId: string): Promise<LoggingConfigView | undefined>;
  deleteLoggingConfig(tenantId: string): Promise<void>;

  createServiceAccount(sa: NewServiceAccount): Promise<ServiceAccount>;
  getServiceAccount(id: string): Promise<ServiceAccount | undefined>;
  listServiceAccounts(): Promise<ServiceAccount[]>;
  revokeServiceAccount(id: string): Promise<ServiceAccount>;

  /** The tenants a service account serves (not archived, tag match), secrets decrypted. */
  tenantsForDocument(serviceAccountId: string): Promise<TenantForDocument[]>;

  close(): Promise<void>;
}
