import { Pool, PoolClient } from 'pg';
import type { LoggingConfig, SecretStatus } from '@tsp/config-crypto';
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
import {
  loggingConfigDeleteEvent,
  loggingConfigPutEvent,
  tenantCreateEvent,
  tenantDeleteEvent,
  tenantUpdateEvent,
} from './repository-events';
import {
  checkChangeContext,
  checkLoggingConfig,
  checkNewServiceAccount,
  checkNewTenant,
  checkTags,
  checkTenantPatch,
} from './repository-validation';
import { SecretBox } from './secret-box';
import { readDocuments, sealLoggingCredentials, storedSinks } from './postgres-documents';
import { checkSchemaName, migrate } from './postgres-migrations';
import {
  PgLoggingConfigRow,
  PgServiceAccountRow,
  PgTenantRow,
  pgToLoggingConfigView,
  pgToServiceAccount,
  pgToTenant,
} from './postgres-rows';
import { PgKmsConfigs } from './postgres-kms-configs';
import { PgStore } from './postgres-store';
import { PgTenantAdmins } from './postgres-tenant-admins';
import { PgTenantSecrets } from './postgres-tenant-secrets';

export interface PostgresBrokerRepositoryOptions {
  /** postgres:// or postgresql:// URL (it may hold a password: never logged by this class). */
  connectionString: string;
  /** The broker master key (32 bytes): secrets at rest are sealed under it. Never logged. */
  masterKey: Buffer;
  /** The schema holding the broker's tables (created when missing); default 'public'. */
  schema?: string;
  /** Most connections the pool opens (default 10). */
  maxConnections?: number;
  /** How long opening a connection may take before it fails, ms (default 10000; never unbounded). */
  connectTimeoutMs?: number;
}

const KEY_CHECK = 'tsp-broker-master-key-check';
const KEY_CHECK_AT = { table: 'meta', rowId: 'key_check', field: 'value' } as const;

/**
 * The BrokerRepository on PostgreSQL (npm pg, one Pool), for brokers that share one database.
 *
 * Every write runs in ONE transaction whose first statement bumps the document sequence
 * (`UPDATE counters SET value = value + 1`): that row lock serialises the writers of every broker on
 * the database until commit, which keeps "at most one primary", id assignment and the admin
 * event outbox order consistent, and lets each write check its preconditions with plain reads.
 * A write that fails or changes nothing rolls back, the sequence bump with it. Secret fields
 * are sealed with SecretBox bound to (table, row id, field), like the SQLite store; `open()`
 * fails with a clear Error when the master key is not the one the store was created with.
 */
export class PostgresBrokerRepository implements BrokerRepository {
  private readonly kms: PgKmsConfigs;
  private readonly secrets: PgTenantSecrets;
  private readonly admins: PgTenantAdmins;

  private constructor(
    private readonly store: PgStore,
    private readonly box: SecretBox,
  ) {
    this.kms = new PgKmsConfigs(store, box);
    this.secrets = new PgTenantSecrets(store, box);
    this.admins = new PgTenantAdmins(store);
  }

  /** Connects, brings the schema up to date (advisory lock: brokers starting together take turns) and checks the master key. */
  static async open(opts: PostgresBrokerRepositoryOptions): Promise<PostgresBrokerRepository> {
    const box = new SecretBox(opts.masterKey);
    const schema = checkSchemaName(opts.schema ?? 'public');
    const pool = new Pool({
      connectionString: opts.connectionString,
      options: `-c search_path="${schema}"`,
      max: opts.maxConnections ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10000,
    });
    // An idle connection that breaks (server restart) is dropped by the pool; the next query
    // reports the problem to its caller. Without a listener the error would end the process.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await migrate(client, schema, (c) => checkMasterKey(c, box));
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return new PostgresBrokerRepository(new PgStore(pool), box);
  }

  sequence(): Promise<number> {
    return this.store.sequence();
  }

  async createTenant(t: NewTenant, ctx: ChangeContext): Promise<Tenant> {
    checkNewTenant(t);
    checkChangeContext(ctx);
    return this.store.write(async ({ q, at }) => {
      if ((await this.store.one('SELECT 1 FROM tenants WHERE id = $1', [t.id], q)) !== undefined) throw new RepositoryError('conflict', 'a tenant with this id exists', 'id');
      const row = (await this.store.one<PgTenantRow>(
        'INSERT INTO tenants (id, name, tags, archived, leasing_required, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *',
        [t.id, t.name, JSON.stringify(checkTags(t.tags, 'tags')), t.archived ?? false, t.leasingRequired ?? false, at],
        q,
      ))!;
      await this.store.emit(q, tenantCreateEvent(t.id, ctx, at));
      return pgToTenant(row);
    });
  }

  async getTenant(id: string): Promise<Tenant | undefined> {
    const row = await this.store.one<PgTenantRow>('SELECT * FROM tenants WHERE id = $1', [id]);
    return row === undefined ? undefined : pgToTenant(row);
  }

  async listTenants(filter: { tag?: string; includeArchived?: boolean } = {}): Promise<Tenant[]> {
    const rows = await this.store.many<PgTenantRow>(
      'SELECT * FROM tenants WHERE ($1 OR NOT archived) AND ($2::text IS NULL OR tags ? $2) ORDER BY id COLLATE "C"',
      [filter.includeArchived === true, filter.tag ?? null],
    );
    return rows.map(pgToTenant);
  }

  async updateTenant(id: string, patch: TenantPatch, ctx: ChangeContext): Promise<Tenant> {
    checkTenantPatch(patch);
    checkChangeContext(ctx);
    return this.store.write(async ({ q, at }) => {
      const cur = pgToTenant(await this.store.requireTenant(q, id, 'id'));
      const tags = patch.tags === undefined ? cur.tags : checkTags(patch.tags, 'tags');
      const row = (await this.store.one<PgTenantRow>(
        'UPDATE tenants SET name = $1, tags = $2, archived = $3, leasing_required = $4, updated_at = $5 WHERE id = $6 RETURNING *',
        [patch.name ?? cur.name, JSON.stringify(tags), patch.archived ?? cur.archived, patch.leasingRequired ?? cur.leasingRequired, at, id],
        q,
      ))!;
      await this.store.emit(q, tenantUpdateEvent(id, patch, ctx, at));
      return pgToTenant(row);
    });
  }

  async deleteTenant(id: string, ctx: ChangeContext): Promise<void> {
    checkChangeContext(ctx);
    await this.store.write(async ({ q, at }) => {
      await this.store.requireTenant(q, id, 'id');
      await q.query('DELETE FROM tenants WHERE id = $1', [id]);
      await this.store.emit(q, tenantDeleteEvent(id, ctx, at));
    });
  }

  createKmsConfig(c: NewKmsConfig, ctx: ChangeContext): Promise<KmsConfigView> {
    return this.kms.create(c, ctx);
  }

  getKmsConfig(id: number): Promise<KmsConfigView | undefined> {
    return this.kms.get(id);
  }

  listKmsConfigs(tenantId: string): Promise<KmsConfigView[]> {
    return this.kms.list(tenantId);
  }

  updateKmsConfig(id: number, patch: KmsConfigPatch, ctx: ChangeContext): Promise<KmsConfigView> {
    return this.kms.update(id, patch, ctx);
  }

  deleteKmsConfig(id: number, ctx: ChangeContext): Promise<void> {
    return this.kms.delete(id, ctx);
  }

  async putLoggingConfig(tenantId: string, config: LoggingConfig, ctx: ChangeContext): Promise<LoggingConfigView> {
    checkLoggingConfig(tenantId, config);
    checkChangeContext(ctx);
    return this.store.write(async ({ q, at }) => {
      await this.store.requireTenant(q, tenantId, 'tenantId');
      const row = (await this.store.one<PgLoggingConfigRow>(
        `INSERT INTO logging_configs (tenant_id, sinks, sink_credentials, rate_limit, batch, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id) DO UPDATE SET sinks = excluded.sinks, sink_credentials = excluded.sink_credentials,
           rate_limit = excluded.rate_limit, batch = excluded.batch, updated_at = excluded.updated_at RETURNING *`,
        [
          tenantId, JSON.stringify(storedSinks(config)), sealLoggingCredentials(this.box, tenantId, config),
          config.rateLimit === undefined ? null : JSON.stringify(config.rateLimit), config.batch === undefined ? null : JSON.stringify(config.batch), at,
        ],
        q,
      ))!;
      await this.store.emit(q, loggingConfigPutEvent(tenantId, config, ctx, at));
      return pgToLoggingConfigView(row);
    });
  }

  async getLoggingConfig(tenantId: string): Promise<LoggingConfigView | undefined> {
    const row = await this.store.one<PgLoggingConfigRow>('SELECT * FROM logging_configs WHERE tenant_id = $1', [tenantId]);
    return row === undefined ? undefined : pgToLoggingConfigView(row);
  }

  async deleteLoggingConfig(tenantId: string, ctx: ChangeContext): Promise<void> {
    checkChangeContext(ctx);
    await this.store.write(async ({ q, at }) => {
      await this.store.requireTenant(q, tenantId, 'tenantId');
      if ((await q.query('DELETE FROM logging_configs WHERE tenant_id = $1', [tenantId])).rowCount === 0) {
        throw new RepositoryError('not-found', 'the tenant has no logging config', 'tenantId');
      }
      await this.store.emit(q, loggingConfigDeleteEvent(tenantId, ctx, at));
    });
  }

  async createServiceAccount(sa: NewServiceAccount): Promise<ServiceAccount> {
    checkNewServiceAccount(sa);
    return this.store.write(async ({ q, at }) => {
      if ((await this.store.one('SELECT 1 FROM service_accounts WHERE id = $1', [sa.id], q)) !== undefined) {
        throw new RepositoryError('conflict', 'a service account with this id exists', 'id');
      }
      const row = (await this.store.one<PgServiceAccountRow>(
        `INSERT INTO service_accounts (id, name, encryption_public_key, signing_public_key, tenant_tags, revoked_at, created_at)
         VALUES ($1, $2, $3, $4, $5, NULL, $6) RETURNING *`,
        [sa.id, sa.name, sa.encryptionPublicKey, sa.signingPublicKey, JSON.stringify(checkTags(sa.tenantTags, 'tenantTags')), at],
        q,
      ))!;
      return pgToServiceAccount(row);
    });
  }

  async getServiceAccount(id: string): Promise<ServiceAccount | undefined> {
    const row = await this.store.one<PgServiceAccountRow>('SELECT * FROM service_accounts WHERE id = $1', [id]);
    return row === undefined ? undefined : pgToServiceAccount(row);
  }

  async listServiceAccounts(): Promise<ServiceAccount[]> {
    return (await this.store.many<PgServiceAccountRow>('SELECT * FROM service_accounts ORDER BY id COLLATE "C"')).map(pgToServiceAccount);
  }

  /** Revoking an already revoked account changes nothing (its first revokedAt stays; no sequence bump). */
  async revokeServiceAccount(id: string): Promise<ServiceAccount> {
    return this.store.write(async (tx) => {
      const cur = await this.store.one<PgServiceAccountRow>('SELECT * FROM service_accounts WHERE id = $1', [id], tx.q);
      if (cur === undefined) throw new RepositoryError('not-found', 'no such service account', 'id');
      if (cur.revoked_at !== null) {
        tx.unchanged();
        return pgToServiceAccount(cur);
      }
      return pgToServiceAccount((await this.store.one<PgServiceAccountRow>('UPDATE service_accounts SET revoked_at = $1 WHERE id = $2 RETURNING *', [tx.at, id], tx.q))!);
    });
  }

  createTenantSecret(s: NewTenantSecret, ctx: ChangeContext): Promise<{ secret: TenantSecretWithMaterial; created: boolean }> {
    return this.secrets.create(s, ctx);
  }

  getTenantSecret(id: number): Promise<TenantSecretView | undefined> {
    return this.secrets.get(id);
  }

  listTenantSecrets(tenantId: string): Promise<TenantSecretView[]> {
    return this.secrets.list(tenantId);
  }

  setTenantSecretStatus(id: number, status: SecretStatus, ctx: ChangeContext): Promise<TenantSecretView> {
    return this.secrets.setStatus(id, status, ctx);
  }

  inviteTenantAdmin(invite: NewTenantAdminInvite, ctx: ChangeContext): Promise<TenantAdmin> {
    return this.admins.invite(invite, ctx);
  }

  acceptTenantAdminInvite(inviteTokenHash: string, passwordHash: string, at: string): Promise<TenantAdmin> {
    return this.admins.accept(inviteTokenHash, passwordHash, at);
  }

  tenantAdminByEmail(email: string): Promise<(TenantAdmin & { passwordHash?: string }) | undefined> {
    return this.admins.byEmail(email);
  }

  getTenantAdmin(id: string): Promise<TenantAdmin | undefined> {
    return this.admins.get(id);
  }

  listTenantAdmins(tenantId: string): Promise<TenantAdmin[]> {
    return this.admins.list(tenantId);
  }

  recordTenantAdminLogin(id: string, at: string): Promise<void> {
    return this.admins.recordLogin(id, at);
  }

  deleteTenantAdmin(id: string, ctx: ChangeContext): Promise<void> {
    return this.admins.delete(id, ctx);
  }

  pendingAdminEvents(limit: number): Promise<AdminEventRecord[]> {
    return this.store.pendingAdminEvents(limit);
  }

  ackAdminEvents(ids: readonly number[]): Promise<void> {
    return this.store.ackAdminEvents(ids);
  }

  tenantsForDocument(serviceAccountId: string): Promise<TenantForDocument[]> {
    // One snapshot: a document never mixes two states of the store.
    return this.store.snapshot((q) => readDocuments(q, this.box, serviceAccountId));
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

async function checkMasterKey(q: PoolClient, box: SecretBox): Promise<void> {
  const row = (await q.query<{ value: string }>("SELECT value FROM meta WHERE key = 'key_check'")).rows[0];
  if (row === undefined) {
    await q.query("INSERT INTO meta (key, value) VALUES ('key_check', $1)", [box.seal(KEY_CHECK, KEY_CHECK_AT)]);
    return;
  }
  let opened: string | undefined;
  try {
    opened = box.open(row.value, KEY_CHECK_AT);
  } catch {
    opened = undefined;
  }
  if (opened !== KEY_CHECK) throw new Error('the broker master key does not open this store: it is not the key the store was created with');
}
