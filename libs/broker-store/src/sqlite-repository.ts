import type { LoggingConfig, LoggingSinkConfig, SecretStatus } from '@tsp/config-crypto';
import {
  AdminEventRecord,
  BrokerRepository,
  ChangeContext,
  KmsConfigPatch,
  KmsConfigView,
  LoggingConfigView,
  NewKmsConfig,
  NewServiceAccount,
  NewTenant,
  NewTenantAdminInvite,
  NewTenantSecret,
  RepositoryError,
  ServiceAccount,
  Tenant,
  TenantAdmin,
  TenantForDocument,
  TenantPatch,
  TenantSecretView,
  TenantSecretWithMaterial,
} from './repository';
import { loggingConfigDeleteEvent, loggingConfigPutEvent, tenantCreateEvent, tenantDeleteEvent, tenantUpdateEvent } from './repository-events';
import { checkChangeContext, checkLoggingConfig, checkNewServiceAccount, checkNewTenant, checkTags, checkTenantPatch } from './repository-validation';
import { SecretBox } from './secret-box';
import { SqliteKmsConfigs } from './sqlite-kms-configs';
import { LoggingConfigRow, ServiceAccountRow, StoredSink, TenantRow, toLoggingConfigView, toServiceAccount, toTenant } from './sqlite-rows';
import { now, SqliteStore } from './sqlite-store';
import { SqliteTenantAdmins } from './sqlite-tenant-admins';
import { SqliteTenantSecrets } from './sqlite-tenant-secrets';

export interface SqliteBrokerRepositoryOptions {
  /** The database file; its directory is created when missing. */
  file: string;
  /** The broker master key (32 bytes): secrets at rest are sealed under it. Never logged. */
  masterKey: Buffer;
}

const KEY_CHECK = 'tsp-broker-master-key-check';
const KEY_CHECK_AT = { table: 'meta', rowId: 'key_check', field: 'value' } as const;

const b = (v: boolean): number => (v ? 1 : 0);

/**
 * The embedded BrokerRepository: one SQLite file (better-sqlite3, WAL, foreign keys on).
 *
 * Every write runs in ONE transaction that also bumps the document sequence and, for a
 * tenant-scoped change, appends its ADMIN_* event to the outbox (repository-events.ts), so a
 * reader never sees a change without its sequence and no change goes unreported. Not changes
 * (no bump, no event): recording a tenant admin login, acknowledging events, and creating a
 * Current tenant secret that already exists. better-sqlite3 is synchronous: the async methods
 * run to completion on the event loop and never interleave; other connections to the same file
 * are serialised by IMMEDIATE transactions. Secret fields are sealed with SecretBox bound to
 * (table, row id, field). The constructor throws a clear Error when the master key is not the
 * one the database was created with.
 */
export class SqliteBrokerRepository implements BrokerRepository {
  private readonly store: SqliteStore;
  private readonly box: SecretBox;
  private readonly kms: SqliteKmsConfigs;
  private readonly secrets: SqliteTenantSecrets;
  private readonly admins: SqliteTenantAdmins;

  constructor(opts: SqliteBrokerRepositoryOptions) {
    this.box = new SecretBox(opts.masterKey);
    this.store = new SqliteStore(opts.file);
    try {
      this.checkMasterKey();
    } catch (err) {
      this.store.close();
      throw err;
    }
    this.kms = new SqliteKmsConfigs(this.store, this.box);
    this.secrets = new SqliteTenantSecrets(this.store, this.box);
    this.admins = new SqliteTenantAdmins(this.store);
  }

  private checkMasterKey(): void {
    const row = this.stmt<[], { value: string }>("SELECT value FROM meta WHERE key = 'key_check'").get();
    if (row === undefined) {
      this.stmt("INSERT INTO meta (key, value) VALUES ('key_check', ?)").run(this.box.seal(KEY_CHECK, KEY_CHECK_AT));
      return;
    }
    let opened: string | undefined;
    try {
      opened = this.box.open(row.value, KEY_CHECK_AT);
    } catch {
      opened = undefined;
    }
    if (opened !== KEY_CHECK) throw new Error('the broker master key does not open this store: it is not the key the store was created with');
  }

  private stmt<P extends unknown[] = unknown[], R = unknown>(sql: string) {
    return this.store.stmt<P, R>(sql);
  }

  private write<T>(fn: () => T): T {
    return this.store.write(fn);
  }

  private tenantRow(id: string): TenantRow | undefined {
    return this.store.tenantRow(id);
  }

  private requireTenant(id: string, field: string): TenantRow {
    return this.store.requireTenant(id, field);
  }

  async sequence(): Promise<number> {
    return this.store.sequence();
  }

  async createTenant(t: NewTenant, ctx: ChangeContext): Promise<Tenant> {
    checkNewTenant(t);
    checkChangeContext(ctx);
    return this.write(() => {
      if (this.tenantRow(t.id) !== undefined) throw new RepositoryError('conflict', 'a tenant with this id exists', 'id');
      const at = now();
      this.stmt('INSERT INTO tenants (id, name, tags, archived, leasing_required, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        t.id, t.name, JSON.stringify(checkTags(t.tags, 'tags')), b(t.archived ?? false), b(t.leasingRequired ?? false), at, at,
      );
      this.store.emit(tenantCreateEvent(t.id, ctx, at));
      return toTenant(this.tenantRow(t.id)!);
    });
  }

  async getTenant(id: string): Promise<Tenant | undefined> {
    const row = this.tenantRow(id);
    return row === undefined ? undefined : toTenant(row);
  }

  async listTenants(filter: { tag?: string; includeArchived?: boolean } = {}): Promise<Tenant[]> {
    const rows = this.stmt<[number, string | null, string | null], TenantRow>(
      `SELECT * FROM tenants WHERE (? = 1 OR archived = 0)
         AND (? IS NULL OR EXISTS (SELECT 1 FROM json_each(tenants.tags) WHERE value = ?)) ORDER BY id`,
    ).all(b(filter.includeArchived === true), filter.tag ?? null, filter.tag ?? null);
    return rows.map(toTenant);
  }

  async updateTenant(id: string, patch: TenantPatch, ctx: ChangeContext): Promise<Tenant> {
    checkTenantPatch(patch);
    checkChangeContext(ctx);
    return this.write(() => {
      const cur = toTenant(this.requireTenant(id, 'id'));
      const tags = patch.tags === undefined ? cur.tags : checkTags(patch.tags, 'tags');
      const at = now();
      this.stmt('UPDATE tenants SET name = ?, tags = ?, archived = ?, leasing_required = ?, updated_at = ? WHERE id = ?').run(
        patch.name ?? cur.name, JSON.stringify(tags), b(patch.archived ?? cur.archived), b(patch.leasingRequired ?? cur.leasingRequired), at, id,
      );
      this.store.emit(tenantUpdateEvent(id, patch, ctx, at));
      return toTenant(this.tenantRow(id)!);
    });
  }

  async deleteTenant(id: string, ctx: ChangeContext): Promise<void> {
    checkChangeContext(ctx);
    this.write(() => {
      this.requireTenant(id, 'id');
      this.stmt('DELETE FROM tenants WHERE id = ?').run(id);
      this.store.emit(tenantDeleteEvent(id, ctx, now()));
    });
  }

  async createKmsConfig(c: NewKmsConfig, ctx: ChangeContext): Promise<KmsConfigView> {
    return this.kms.create(c, ctx);
  }

  async getKmsConfig(id: number): Promise<KmsConfigView | undefined> {
    return this.kms.get(id);
  }

  async listKmsConfigs(tenantId: string): Promise<KmsConfigView[]> {
    return this.kms.list(tenantId);
  }

  async updateKmsConfig(id: number, patch: KmsConfigPatch, ctx: ChangeContext): Promise<KmsConfigView> {
    return this.kms.update(id, patch, ctx);
  }

  async deleteKmsConfig(id: number, ctx: ChangeContext): Promise<void> {
    this.kms.delete(id, ctx);
  }

  async putLoggingConfig(tenantId: string, config: LoggingConfig, ctx: ChangeContext): Promise<LoggingConfigView> {
    checkLoggingConfig(tenantId, config);
    checkChangeContext(ctx);
    return this.write(() => {
      this.requireTenant(tenantId, 'tenantId');
      const sinks: StoredSink[] = [];
      const credentials: Record<string, Record<string, unknown>> = {};
      for (const s of config.sinks) {
        const stored: StoredSink = { id: s.id, type: s.type, hasCredentials: s.credentials !== undefined && Object.keys(s.credentials).length > 0 };
        if (s.settings !== undefined) stored.settings = s.settings;
        if (s.credentials !== undefined) credentials[s.id] = s.credentials;
        sinks.push(stored);
      }
      const sealed = Object.keys(credentials).length === 0 ? null : this.box.sealJson(credentials, { table: 'logging_configs', rowId: tenantId, field: 'sink_credentials' });
      const at = now();
      this.stmt(
        `INSERT INTO logging_configs (tenant_id, sinks, sink_credentials, rate_limit, batch, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id) DO UPDATE SET sinks = excluded.sinks, sink_credentials = excluded.sink_credentials,
           rate_limit = excluded.rate_limit, batch = excluded.batch, updated_at = excluded.updated_at`,
      ).run(
        tenantId, JSON.stringify(sinks), sealed, config.rateLimit === undefined ? null : JSON.stringify(config.rateLimit),
        config.batch === undefined ? null : JSON.stringify(config.batch), at,
      );
      this.store.emit(loggingConfigPutEvent(tenantId, config, ctx, at));
      return toLoggingConfigView(this.loggingRow(tenantId)!);
    });
  }

  private loggingRow(tenantId: string): LoggingConfigRow | undefined {
    return this.stmt<[string], LoggingConfigRow>('SELECT * FROM logging_configs WHERE tenant_id = ?').get(tenantId);
  }

  async getLoggingConfig(tenantId: string): Promise<LoggingConfigView | undefined> {
    const row = this.loggingRow(tenantId);
    return row === undefined ? undefined : toLoggingConfigView(row);
  }

  async deleteLoggingConfig(tenantId: string, ctx: ChangeContext): Promise<void> {
    checkChangeContext(ctx);
    this.write(() => {
      this.requireTenant(tenantId, 'tenantId');
      if (this.stmt('DELETE FROM logging_configs WHERE tenant_id = ?').run(tenantId).changes === 0) {
        throw new RepositoryError('not-found', 'the tenant has no logging config', 'tenantId');
      }
      this.store.emit(loggingConfigDeleteEvent(tenantId, ctx, now()));
    });
  }

  async createServiceAccount(sa: NewServiceAccount): Promise<ServiceAccount> {
    checkNewServiceAccount(sa);
    return this.write(() => {
      if (this.saRow(sa.id) !== undefined) throw new RepositoryError('conflict', 'a service account with this id exists', 'id');
      this.stmt(
        'INSERT INTO service_accounts (id, name, encryption_public_key, signing_public_key, tenant_tags, revoked_at, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)',
      ).run(sa.id, sa.name, sa.encryptionPublicKey, sa.signingPublicKey, JSON.stringify(checkTags(sa.tenantTags, 'tenantTags')), now());
      return toServiceAccount(this.saRow(sa.id)!);
    });
  }

  private saRow(id: string): ServiceAccountRow | undefined {
    return this.stmt<[string], ServiceAccountRow>('SELECT * FROM service_accounts WHERE id = ?').get(id);
  }

  async getServiceAccount(id: string): Promise<ServiceAccount | undefined> {
    const row = this.saRow(id);
    return row === undefined ? undefined : toServiceAccount(row);
  }

  async listServiceAccounts(): Promise<ServiceAccount[]> {
    return this.stmt<[], ServiceAccountRow>('SELECT * FROM service_accounts ORDER BY id').all().map(toServiceAccount);
  }

  /** Revoking an already revoked account changes nothing (its first revokedAt stays; no sequence bump). */
  async revokeServiceAccount(id: string): Promise<ServiceAccount> {
    const cur = this.saRow(id);
    if (cur === undefined) throw new RepositoryError('not-found', 'no such service account', 'id');
    if (cur.revoked_at !== null) return toServiceAccount(cur);
    return this.write(() => {
      this.stmt('UPDATE service_accounts SET revoked_at = ? WHERE id = ?').run(now(), id);
      return toServiceAccount(this.saRow(id)!);
    });
  }

  async createTenantSecret(s: NewTenantSecret, ctx: ChangeContext): Promise<{ secret: TenantSecretWithMaterial; created: boolean }> {
    return this.secrets.create(s, ctx);
  }

  async getTenantSecret(id: number): Promise<TenantSecretView | undefined> {
    return this.secrets.get(id);
  }

  async listTenantSecrets(tenantId: string): Promise<TenantSecretView[]> {
    return this.secrets.list(tenantId);
  }

  async setTenantSecretStatus(id: number, status: SecretStatus, ctx: ChangeContext): Promise<TenantSecretView> {
    return this.secrets.setStatus(id, status, ctx);
  }

  async inviteTenantAdmin(invite: NewTenantAdminInvite, ctx: ChangeContext): Promise<TenantAdmin> {
    return this.admins.invite(invite, ctx);
  }

  async acceptTenantAdminInvite(inviteTokenHash: string, passwordHash: string, at: string): Promise<TenantAdmin> {
    return this.admins.accept(inviteTokenHash, passwordHash, at);
  }

  async tenantAdminByEmail(email: string): Promise<(TenantAdmin & { passwordHash?: string }) | undefined> {
    return this.admins.byEmail(email);
  }

  async getTenantAdmin(id: string): Promise<TenantAdmin | undefined> {
    return this.admins.get(id);
  }

  async listTenantAdmins(tenantId: string): Promise<TenantAdmin[]> {
    return this.admins.list(tenantId);
  }

  async recordTenantAdminLogin(id: string, at: string): Promise<void> {
    this.admins.recordLogin(id, at);
  }

  async deleteTenantAdmin(id: string, ctx: ChangeContext): Promise<void> {
    this.admins.delete(id, ctx);
  }

  async pendingAdminEvents(limit: number): Promise<AdminEventRecord[]> {
    return this.store.pendingAdminEvents(limit);
  }

  async ackAdminEvents(ids: readonly number[]): Promise<void> {
    this.store.ackAdminEvents(ids);
  }

  async tenantsForDocument(serviceAccountId: string): Promise<TenantForDocument[]> {
    const sa = this.saRow(serviceAccountId);
    if (sa === undefined) throw new RepositoryError('not-found', 'no such service account', 'serviceAccountId');
    if (sa.revoked_at !== null) return [];
    const tags = new Set(JSON.parse(sa.tenant_tags) as string[]);
    const tenants = this.stmt<[], TenantRow>('SELECT * FROM tenants WHERE archived = 0 ORDER BY id')
      .all()
      .map(toTenant)
      .filter((t) => tags.size === 0 || t.tags.some((tag) => tags.has(tag)));
    return tenants.map((tenant) => this.tenantForDocument(tenant));
  }

  private tenantForDocument(tenant: Tenant): TenantForDocument {
    const kmsConfigs = this.kms.forDocument(tenant.id);
    const secrets = this.secrets.forDocument(tenant.id);
    const row = this.loggingRow(tenant.id);
    return { tenant, kmsConfigs, logging: row === undefined ? undefined : this.loggingForDocument(row), secrets };
  }

  private loggingForDocument(row: LoggingConfigRow): LoggingConfig {
    const credentials =
      row.sink_credentials === null
        ? {}
        : this.box.openJson<Record<string, Record<string, unknown>>>(row.sink_credentials, { table: 'logging_configs', rowId: row.tenant_id, field: 'sink_credentials' });
    const sinks = (JSON.parse(row.sinks) as StoredSink[]).map((s) => {
      const sink: LoggingSinkConfig = { id: s.id, type: s.type };
      if (s.settings !== undefined) sink.settings = s.settings;
      if (credentials[s.id] !== undefined) sink.credentials = credentials[s.id];
      return sink;
    });
    const config: LoggingConfig = { sinks };
    if (row.rate_limit !== null) config.rateLimit = JSON.parse(row.rate_limit) as LoggingConfig['rateLimit'];
    if (row.batch !== null) config.batch = JSON.parse(row.batch) as LoggingConfig['batch'];
    return config;
  }

  async close(): Promise<void> {
    this.store.close();
  }
}
