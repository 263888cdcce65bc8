import type { LoggingConfig, SecretStatus, TenantSecretType } from '@tsp/config-crypto';
import {
  BrokerRepository,
  KmsConfigPatch,
  KmsConfigView,
  LoggingConfigView,
  NewKmsConfig,
  NewServiceAccount,
  NewTenant,
  RepositoryError,
  ServiceAccount,
  Tenant,
  TenantForDocument,
  TenantPatch,
  TenantSecretView,
} from '@tsp/broker-store';

type StoredKms = KmsConfigView & { credentials: Record<string, unknown> };
type StoredSecret = TenantSecretView & { encryptedSecret: string };

/**
 * A test double of BrokerRepository (the SQLite one lives in libs/broker-store): the same
 * observable contract, nothing encrypted, everything in maps. Reads return copies, so a caller
 * cannot change stored state by mutating an answer. `calls` counts method calls (tests check
 * that an unchanged poll reads only the sequence).
 */
export class InMemoryBrokerRepository implements BrokerRepository {
  readonly calls: Record<string, number> = {};
  private seq = 0;
  private nextKmsId = 1;
  private nextSecretId = 1;
  private readonly tenants = new Map<string, Tenant>();
  private readonly kms = new Map<number, StoredKms>();
  private readonly logging = new Map<string, { config: LoggingConfig; updatedAt: string }>();
  private readonly accounts = new Map<string, ServiceAccount>();
  private readonly secrets = new Map<number, StoredSecret>();

  private count(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }

  private bump(): string {
    this.seq++;
    return new Date().toISOString();
  }

  private mustTenant(id: string): Tenant {
    const t = this.tenants.get(id);
    if (t === undefined) throw new RepositoryError('not-found', `tenant '${id}' does not exist`, 'tenantId');
    return t;
  }

  async sequence(): Promise<number> {
    this.count('sequence');
    return this.seq;
  }

  async createTenant(t: NewTenant): Promise<Tenant> {
    this.count('createTenant');
    if (this.tenants.has(t.id)) throw new RepositoryError('conflict', `tenant '${t.id}' already exists`, 'id');
    const now = this.bump();
    const row: Tenant = { id: t.id, name: t.name, tags: [...(t.tags ?? [])], archived: t.archived ?? false, leasingRequired: t.leasingRequired ?? false, createdAt: now, updatedAt: now };
    this.tenants.set(t.id, row);
    return clone(row);
  }

  async getTenant(id: string): Promise<Tenant | undefined> {
    this.count('getTenant');
    const t = this.tenants.get(id);
    return t === undefined ? undefined : clone(t);
  }

  async listTenants(filter: { tag?: string; includeArchived?: boolean } = {}): Promise<Tenant[]> {
    this.count('listTenants');
    return [...this.tenants.values()]
      .filter((t) => (filter.includeArchived === true || !t.archived) && (filter.tag === undefined || t.tags.includes(filter.tag)))
      .map(clone);
  }

  async updateTenant(id: string, patch: TenantPatch): Promise<Tenant> {
    this.count('updateTenant');
    const t = this.mustTenant(id);
    const next: Tenant = { ...t, ...definedOnly(patch), updatedAt: this.bump() };
    this.tenants.set(id, next);
    return clone(next);
  }

  async deleteTenant(id: string): Promise<void> {
    this.count('deleteTenant');
    this.mustTenant(id);
    this.tenants.delete(id);
    this.logging.delete(id);
    for (const [k, c] of this.kms) if (c.tenantId === id) this.kms.delete(k);
    for (const [k, s] of this.secrets) if (s.tenantId === id) this.secrets.delete(k);
    this.bump();
  }

  async createKmsConfig(c: NewKmsConfig): Promise<KmsConfigView> {
    this.count('createKmsConfig');
    this.mustTenant(c.tenantId);
    const now = this.bump();
    const primary = c.primary ?? false;
    if (primary) this.demotePrimary(c.tenantId, now);
    const row: StoredKms = {
      id: this.nextKmsId++,
      tenantId: c.tenantId,
      type: c.type,
      keyPath: clone(c.keyPath),
      ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
      active: c.active ?? true,
      primary,
      leasingAllowed: c.leasingAllowed ?? false,
      ...(c.leasingLifetimeSeconds !== undefined ? { leasingLifetimeSeconds: c.leasingLifetimeSeconds } : {}),
      hasCredentials: Object.keys(c.credentials).length > 0,
      credentials: clone(c.credentials),
      createdAt: now,
      updatedAt: now,
    };
    this.kms.set(row.id, row);
    return view(row);
  }

  async getKmsConfig(id: number): Promise<KmsConfigView | undefined> {
    this.count('getKmsConfig');
    const c = this.kms.get(id);
    return c === undefined ? undefined : view(c);
  }

  async listKmsConfigs(tenantId: string): Promise<KmsConfigView[]> {
    this.count('listKmsConfigs');
    return [...this.kms.values()].filter((c) => c.tenantId === tenantId).map(view);
  }

  async updateKmsConfig(id: number, patch: KmsConfigPatch): Promise<KmsConfigView> {
    this.count('updateKmsConfig');
    const c = this.kms.get(id);
    if (c === undefined) throw new RepositoryError('not-found', `KMS config ${id} does not exist`, 'id');
    const now = this.bump();
    if (patch.primary === true && !c.primary) this.demotePrimary(c.tenantId, now);
    const next: StoredKms = { ...c, ...definedOnly(patch), updatedAt: now };
    if (patch.credentials !== undefined) {
      next.credentials = clone(patch.credentials);
      next.hasCredentials = Object.keys(patch.credentials).length > 0;
    }
    this.kms.set(id, next);
    return view(next);
  }

  async deleteKmsConfig(id: number): Promise<void> {
    this.count('deleteKmsConfig');
    if (!this.kms.delete(id)) throw new RepositoryError('not-found', `KMS config ${id} does not exist`, 'id');
    this.bump();
  }

  async putLoggingConfig(tenantId: string, config: LoggingConfig): Promise<LoggingConfigView> {
    this.count('putLoggingConfig');
    this.mustTenant(tenantId);
    const updatedAt = this.bump();
    this.logging.set(tenantId, { config: clone(config), updatedAt });
    return loggingView(tenantId, config, updatedAt);
  }

  async getLoggingConfig(tenantId: string): Promise<LoggingConfigView | undefined> {
    this.count('getLoggingConfig');
    const l = this.logging.get(tenantId);
    return l === undefined ? undefined : loggingView(tenantId, l.config, l.updatedAt);
  }

  async deleteLoggingConfig(tenantId: string): Promise<void> {
    this.count('deleteLoggingConfig');
    if (!this.logging.delete(tenantId)) throw new RepositoryError('not-found', `tenant '${tenantId}' has no logging config`, 'tenantId');
    this.bump();
  }

  async createServiceAccount(sa: NewServiceAccount): Promise<ServiceAccount> {
    this.count('createServiceAccount');
    if (this.accounts.has(sa.id)) throw new RepositoryError('conflict', `service account '${sa.id}' already exists`, 'id');
    const row: ServiceAccount = { ...clone(sa), createdAt: this.bump() };
    this.accounts.set(sa.id, row);
    return clone(row);
  }

  async getServiceAccount(id: string): Promise<ServiceAccount | undefined> {
    this.count('getServiceAccount');
    const a = this.accounts.get(id);
    return a === undefined ? undefined : clone(a);
  }

  async listServiceAccounts(): Promise<ServiceAccount[]> {
    this.count('listServiceAccounts');
    return [...this.accounts.values()].map(clone);
  }

  async revokeServiceAccount(id: string): Promise<ServiceAccount> {
    this.count('revokeServiceAccount');
    const a = this.accounts.get(id);
    if (a === undefined) throw new RepositoryError('not-found', `service account '${id}' does not exist`, 'id');
    const next = { ...a, revokedAt: a.revokedAt ?? this.bump() };
    this.accounts.set(id, next);
    return clone(next);
  }

  async tenantsForDocument(serviceAccountId: string): Promise<TenantForDocument[]> {
    this.count('tenantsForDocument');
    const sa = this.accounts.get(serviceAccountId);
    if (sa === undefined) throw new RepositoryError('not-found', `service account '${serviceAccountId}' does not exist`, 'id');
    return [...this.tenants.values()]
      .filter((t) => !t.archived && (sa.tenantTags.length === 0 || t.tags.some((tag) => sa.tenantTags.includes(tag))))
      .map((t) => ({
        tenant: clone(t),
        kmsConfigs: [...this.kms.values()].filter((c) => c.tenantId === t.id).map(clone),
        logging: this.logging.has(t.id) ? clone(this.logging.get(t.id)!.config) : undefined,
        secrets: [...this.secrets.values()].filter((s) => s.tenantId === t.id).map(clone),
      }));
  }

  /** Test helper (the contract has no secret writes yet): stores a tenant secret. */
  addSecret(tenantId: string, s: { secretPath: string; secretType: TenantSecretType; status: SecretStatus; encryptedSecret: string }): TenantSecretView {
    this.mustTenant(tenantId);
    const row: StoredSecret = { id: this.nextSecretId++, tenantId, ...s, createdAt: this.bump() };
    this.secrets.set(row.id, row);
    const { encryptedSecret: _omitted, ...rest } = row;
    return rest;
  }

  async close(): Promise<void> {
    this.count('close');
  }

  private demotePrimary(tenantId: string, now: string): void {
    for (const [k, c] of this.kms) if (c.tenantId === tenantId && c.primary) this.kms.set(k, { ...c, primary: false, updatedAt: now });
  }
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function view(c: StoredKms): KmsConfigView {
  const { credentials: _omitted, ...rest } = c;
  return clone(rest);
}

function loggingView(tenantId: string, config: LoggingConfig, updatedAt: string): LoggingConfigView {
  return {
    tenantId,
    sinks: config.sinks.map((s) => ({ id: s.id, type: s.type, settings: clone(s.settings ?? {}), hasCredentials: s.credentials !== undefined && Object.keys(s.credentials).length > 0 })),
    ...(config.rateLimit !== undefined ? { rateLimit: clone(config.rateLimit) } : {}),
    ...(config.batch !== undefined ? { batch: clone(config.batch) } : {}),
    updatedAt,
  };
}
