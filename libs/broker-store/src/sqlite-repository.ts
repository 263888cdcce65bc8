import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { LoggingConfig, LoggingSinkConfig, SecretStatus, TenantSecretType } from '@tsp/config-crypto';
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
} from './repository';
import {
  checkKmsConfigPatch,
  checkLoggingConfig,
  checkNewKmsConfig,
  checkNewServiceAccount,
  checkNewTenant,
  checkPrimaryActive,
  checkTags,
  checkTenantPatch,
  MAX_KMS_CONFIG_ID,
} from './repository-validation';
import { SecretBox } from './secret-box';
import { migrate } from './sqlite-migrations';
import {
  KmsConfigRow,
  LoggingConfigRow,
  ServiceAccountRow,
  StoredSink,
  TenantRow,
  TenantSecretRow,
  toKmsConfigView,
  toLoggingConfigView,
  toServiceAccount,
  toTenant,
  toTenantSecretView,
} from './sqlite-rows';

export interface SqliteBrokerRepositoryOptions {
  /** The database file; its directory is created when missing. */
  file: string;
  /** The broker master key (32 bytes): secrets at rest are sealed under it. Never logged. */
  masterKey: Buffer;
}

const KEY_CHECK = 'tsp-broker-master-key-check';
const KEY_CHECK_AT = { table: 'meta', rowId: 'key_check', field: 'value' } as const;

const b = (v: boolean): number => (v ? 1 : 0);
const now = (): string => new Date().toISOString();

/**
 * The embedded BrokerRepository: one SQLite file (better-sqlite3, WAL, foreign keys on).
 *
 * Every write runs in ONE transaction that also bumps the document sequence, so a reader
 * never sees a change without its sequence. better-sqlite3 is synchronous: the async methods
 * run to completion on the event loop and never interleave. Secret fields are sealed with
 * SecretBox bound to (table, row id, field). The constructor throws a clear Error when the
 * master key is not the one the database was created with.
 */
export class SqliteBrokerRepository implements BrokerRepository {
  private readonly db: Database.Database;
  private readonly box: SecretBox;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(opts: SqliteBrokerRepositoryOptions) {
    this.box = new SecretBox(opts.masterKey);
    mkdirSync(path.dirname(opts.file), { recursive: true });
    this.db = new Database(opts.file);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
      this.checkMasterKey();
    } catch (err) {
      this.db.close();
      throw err;
    }
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

  private stmt<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s as unknown as Database.Statement<P, R>;
  }

  /** Runs `fn` in one write transaction that bumps the sequence. */
  private write<T>(fn: () => T): T {
    return this.db.transaction(() => {
      const out = fn();
      this.stmt("UPDATE counters SET value = value + 1 WHERE name = 'sequence'").run();
      return out;
    })();
  }

  private tenantRow(id: string): TenantRow | undefined {
    return this.stmt<[string], TenantRow>('SELECT * FROM tenants WHERE id = ?').get(id);
  }

  private requireTenant(id: string, field: string): TenantRow {
    const row = typeof id === 'string' ? this.tenantRow(id) : undefined;
    if (row === undefined) throw new RepositoryError('not-found', 'no such tenant', field);
    return row;
  }

  private kmsRow(id: number): KmsConfigRow | undefined {
    return this.stmt<[number], KmsConfigRow>('SELECT * FROM kms_configs WHERE id = ?').get(id);
  }

  private requireKms(id: number): KmsConfigRow {
    const row = Number.isInteger(id) ? this.kmsRow(id) : undefined;
    if (row === undefined) throw new RepositoryError('not-found', 'no such kms config', 'id');
    return row;
  }

  private demotePrimary(tenantId: string, exceptId: number, at: string): void {
    this.stmt('UPDATE kms_configs SET is_primary = 0, updated_at = ? WHERE tenant_id = ? AND is_primary = 1 AND id <> ?').run(at, tenantId, exceptId);
  }

  async sequence(): Promise<number> {
    return this.stmt<[], { value: number }>("SELECT value FROM counters WHERE name = 'sequence'").get()!.value;
  }

  async createTenant(t: NewTenant): Promise<Tenant> {
    checkNewTenant(t);
    return this.write(() => {
      if (this.tenantRow(t.id) !== undefined) throw new RepositoryError('conflict', 'a tenant with this id exists', 'id');
      const at = now();
      this.stmt('INSERT INTO tenants (id, name, tags, archived, leasing_required, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        t.id, t.name, JSON.stringify(checkTags(t.tags, 'tags')), b(t.archived ?? false), b(t.leasingRequired ?? false), at, at,
      );
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

  async updateTenant(id: string, patch: TenantPatch): Promise<Tenant> {
    checkTenantPatch(patch);
    return this.write(() => {
      const cur = toTenant(this.requireTenant(id, 'id'));
      const tags = patch.tags === undefined ? cur.tags : checkTags(patch.tags, 'tags');
      this.stmt('UPDATE tenants SET name = ?, tags = ?, archived = ?, leasing_required = ?, updated_at = ? WHERE id = ?').run(
        patch.name ?? cur.name, JSON.stringify(tags), b(patch.archived ?? cur.archived), b(patch.leasingRequired ?? cur.leasingRequired), now(), id,
      );
      return toTenant(this.tenantRow(id)!);
    });
  }

  async deleteTenant(id: string): Promise<void> {
    this.write(() => {
      this.requireTenant(id, 'id');
      this.stmt('DELETE FROM tenants WHERE id = ?').run(id);
    });
  }

  async createKmsConfig(c: NewKmsConfig): Promise<KmsConfigView> {
    checkNewKmsConfig(c);
    const active = c.active ?? true;
    const primary = c.primary ?? false;
    checkPrimaryActive(primary, active);
    return this.write(() => {
      this.requireTenant(c.tenantId, 'tenantId');
      const last = this.stmt<[], { value: number }>("SELECT value FROM counters WHERE name = 'kms_config_id'").get()!.value;
      const id = last + 1;
      if (id > MAX_KMS_CONFIG_ID) throw new RepositoryError('invalid', 'every kms config id has been used', 'id');
      this.stmt("UPDATE counters SET value = ? WHERE name = 'kms_config_id'").run(id);
      const at = now();
      if (primary) this.demotePrimary(c.tenantId, id, at);
      this.stmt(
        `INSERT INTO kms_configs (id, tenant_id, type, key_path, credentials, has_credentials, endpoint, active, is_primary,
           leasing_allowed, leasing_lifetime_seconds, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id, c.tenantId, c.type, JSON.stringify(c.keyPath), this.sealKmsCredentials(id, c.credentials), b(Object.keys(c.credentials).length > 0),
        c.endpoint ?? null, b(active), b(primary), b(c.leasingAllowed ?? false), c.leasingLifetimeSeconds ?? null, at, at,
      );
      return toKmsConfigView(this.kmsRow(id)!);
    });
  }

  private sealKmsCredentials(id: number, credentials: Record<string, unknown>): string {
    return this.box.sealJson(credentials, { table: 'kms_configs', rowId: id, field: 'credentials' });
  }

  async getKmsConfig(id: number): Promise<KmsConfigView | undefined> {
    const row = this.kmsRow(id);
    return row === undefined ? undefined : toKmsConfigView(row);
  }

  async listKmsConfigs(tenantId: string): Promise<KmsConfigView[]> {
    return this.stmt<[string], KmsConfigRow>('SELECT * FROM kms_configs WHERE tenant_id = ? ORDER BY id').all(tenantId).map(toKmsConfigView);
  }

  async updateKmsConfig(id: number, patch: KmsConfigPatch): Promise<KmsConfigView> {
    checkKmsConfigPatch(patch);
    return this.write(() => {
      const cur = this.requireKms(id);
      const active = patch.active ?? cur.active === 1;
      const primary = patch.primary ?? cur.is_primary === 1;
      checkPrimaryActive(primary, active);
      const at = now();
      if (primary) this.demotePrimary(cur.tenant_id, id, at);
      const credentials = patch.credentials === undefined ? cur.credentials : this.sealKmsCredentials(id, patch.credentials);
      const hasCredentials = patch.credentials === undefined ? cur.has_credentials : b(Object.keys(patch.credentials).length > 0);
      this.stmt(
        `UPDATE kms_configs SET credentials = ?, has_credentials = ?, endpoint = ?, active = ?, is_primary = ?, leasing_allowed = ?,
           leasing_lifetime_seconds = ?, updated_at = ? WHERE id = ?`,
      ).run(
        credentials, hasCredentials, patch.endpoint ?? cur.endpoint, b(active), b(primary),
        b(patch.leasingAllowed ?? cur.leasing_allowed === 1), patch.leasingLifetimeSeconds ?? cur.leasing_lifetime_seconds, at, id,
      );
      return toKmsConfigView(this.kmsRow(id)!);
    });
  }

  async deleteKmsConfig(id: number): Promise<void> {
    this.write(() => {
      this.requireKms(id);
      this.stmt('DELETE FROM kms_configs WHERE id = ?').run(id);
    });
  }

  async putLoggingConfig(tenantId: string, config: LoggingConfig): Promise<LoggingConfigView> {
    checkLoggingConfig(tenantId, config);
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
      this.stmt(
        `INSERT INTO logging_configs (tenant_id, sinks, sink_credentials, rate_limit, batch, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id) DO UPDATE SET sinks = excluded.sinks, sink_credentials = excluded.sink_credentials,
           rate_limit = excluded.rate_limit, batch = excluded.batch, updated_at = excluded.updated_at`,
      ).run(
        tenantId, JSON.stringify(sinks), sealed, config.rateLimit === undefined ? null : JSON.stringify(config.rateLimit),
        config.batch === undefined ? null : JSON.stringify(config.batch), now(),
      );
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

  async deleteLoggingConfig(tenantId: string): Promise<void> {
    this.write(() => {
      this.requireTenant(tenantId, 'tenantId');
      if (this.stmt('DELETE FROM logging_configs WHERE tenant_id = ?').run(tenantId).changes === 0) {
        throw new RepositoryError('not-found', 'the tenant has no logging config', 'tenantId');
      }
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

  /**
   * Adds a tenant secret (material already wrapped by one of the tenant's KMS configs, base64
   * EncryptedDeks), sealed at rest like every secret. Not on the BrokerRepository contract yet.
   */
  async createTenantSecret(
    tenantId: string,
    secretPath: string,
    secretType: TenantSecretType,
    encryptedSecret: string,
    status: SecretStatus = 'current',
  ): Promise<TenantSecretView> {
    if (typeof secretPath !== 'string' || secretPath.length === 0) throw new RepositoryError('invalid', 'secretPath must not be empty', 'secretPath');
    if (!['deterministic', 'search', 'vector'].includes(secretType)) throw new RepositoryError('invalid', 'secretType is not known', 'secretType');
    if (!['current', 'inRotation', 'archived'].includes(status)) throw new RepositoryError('invalid', 'status is not known', 'status');
    if (typeof encryptedSecret !== 'string' || encryptedSecret.length === 0) throw new RepositoryError('invalid', 'encryptedSecret must not be empty', 'encryptedSecret');
    return this.write(() => {
      this.requireTenant(tenantId, 'tenantId');
      const id = Number(
        this.stmt("INSERT INTO tenant_secrets (tenant_id, secret_path, secret_type, status, encrypted_secret, created_at) VALUES (?, ?, ?, ?, '', ?)")
          .run(tenantId, secretPath, secretType, status, now()).lastInsertRowid,
      );
      const sealed = this.box.seal(encryptedSecret, { table: 'tenant_secrets', rowId: id, field: 'encrypted_secret' });
      this.stmt('UPDATE tenant_secrets SET encrypted_secret = ? WHERE id = ?').run(sealed, id);
      return toTenantSecretView(this.stmt<[number], TenantSecretRow>('SELECT * FROM tenant_secrets WHERE id = ?').get(id)!);
    });
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
    const kmsConfigs = this.stmt<[string], KmsConfigRow>('SELECT * FROM kms_configs WHERE tenant_id = ? ORDER BY id')
      .all(tenant.id)
      .map((r) => ({
        ...toKmsConfigView(r),
        credentials: this.box.openJson<Record<string, unknown>>(r.credentials, { table: 'kms_configs', rowId: r.id, field: 'credentials' }),
      }));
    const secrets = this.stmt<[string], TenantSecretRow>('SELECT * FROM tenant_secrets WHERE tenant_id = ? ORDER BY id')
      .all(tenant.id)
      .map((r) => ({
        ...toTenantSecretView(r),
        encryptedSecret: this.box.open(r.encrypted_secret, { table: 'tenant_secrets', rowId: r.id, field: 'encrypted_secret' }),
      }));
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
    if (this.db.open) this.db.close();
  }
}
