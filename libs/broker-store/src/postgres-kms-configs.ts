import type { PoolClient } from 'pg';
import { ChangeContext, KmsConfigPatch, KmsConfigView, NewKmsConfig, RepositoryError } from './repository';
import { kmsConfigCreateEvent, kmsConfigDeleteEvent, kmsConfigUpdateEvent } from './repository-events';
import { checkChangeContext, checkKmsConfigPatch, checkNewKmsConfig, checkPrimaryActive, MAX_KMS_CONFIG_ID } from './repository-validation';
import { SecretBox } from './secret-box';
import { PgKmsConfigRow, pgToKmsConfigView } from './postgres-rows';
import { PgStore } from './postgres-store';

/**
 * KMS configs of the PostgreSQL store: credentials sealed with SecretBox bound to (kms_configs,
 * id, credentials); ids never handed out twice (the 'kms_config_id' counter and
 * kms_config_ids, every id ever used); at most one primary per tenant (kms_configs_one_primary),
 * a new primary demoting the old one in the same transaction.
 */
export class PgKmsConfigs {
  constructor(
    private readonly store: PgStore,
    private readonly box: SecretBox,
  ) {}

  private async require(q: PoolClient, id: number): Promise<PgKmsConfigRow> {
    const row = Number.isInteger(id) && id >= 1 && id <= MAX_KMS_CONFIG_ID ? await this.store.one<PgKmsConfigRow>('SELECT * FROM kms_configs WHERE id = $1', [id], q) : undefined;
    if (row === undefined) throw new RepositoryError('not-found', 'no such kms config', 'id');
    return row;
  }

  /** The id for a new KMS config: the explicit one (a conflict when ever used) or the next never used. */
  private async allocateId(q: PoolClient, explicit: number | undefined): Promise<number> {
    const last = Number((await this.store.one<{ value: string }>("SELECT value FROM counters WHERE name = 'kms_config_id'", [], q))!.value);
    if (explicit !== undefined) {
      const used = explicit <= last || (await this.store.one('SELECT 1 FROM kms_config_ids WHERE id = $1', [explicit], q)) !== undefined;
      if (used) throw new RepositoryError('conflict', 'this kms config id was already used', 'id');
      await q.query('INSERT INTO kms_config_ids (id) VALUES ($1)', [explicit]);
      return explicit;
    }
    if (last >= MAX_KMS_CONFIG_ID) throw new RepositoryError('invalid', 'every kms config id has been used', 'id');
    // The smallest id above the counter that no explicit id took.
    const next = await this.store.one<{ id: string }>(
      `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM kms_config_ids WHERE id = $1) THEN $1::bigint
              ELSE (SELECT min(u.id::bigint) + 1 FROM kms_config_ids u WHERE u.id >= $1 AND NOT EXISTS (SELECT 1 FROM kms_config_ids v WHERE v.id = u.id::bigint + 1)) END AS id`,
      [last + 1],
      q,
    );
    const id = Number(next!.id);
    if (id > MAX_KMS_CONFIG_ID) throw new RepositoryError('invalid', 'every kms config id has been used', 'id');
    await q.query("UPDATE counters SET value = $1 WHERE name = 'kms_config_id'", [id]);
    await q.query('INSERT INTO kms_config_ids (id) VALUES ($1)', [id]);
    return id;
  }

  private seal(id: number, credentials: Record<string, unknown>): string {
    return this.box.sealJson(credentials, { table: 'kms_configs', rowId: id, field: 'credentials' });
  }

  async create(c: NewKmsConfig, ctx: ChangeContext): Promise<KmsConfigView> {
    checkNewKmsConfig(c);
    checkChangeContext(ctx);
    const active = c.active ?? true;
    const primary = c.primary ?? false;
    checkPrimaryActive(primary, active);
    return this.store.write(async ({ q, at }) => {
      await this.store.requireTenant(q, c.tenantId, 'tenantId');
      const id = await this.allocateId(q, c.id);
      const credentials = this.seal(id, c.credentials);
      if (primary) await q.query('UPDATE kms_configs SET is_primary = false, updated_at = $1 WHERE tenant_id = $2 AND is_primary', [at, c.tenantId]);
      const row = (await this.store.one<PgKmsConfigRow>(
        `INSERT INTO kms_configs (id, tenant_id, type, key_path, credentials, has_credentials, endpoint, active, is_primary,
           leasing_allowed, leasing_lifetime_seconds, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING *`,
        [
          id, c.tenantId, c.type, JSON.stringify(c.keyPath), credentials, Object.keys(c.credentials).length > 0,
          c.endpoint ?? null, active, primary, c.leasingAllowed ?? false, c.leasingLifetimeSeconds ?? null, at,
        ],
        q,
      ))!;
      const view = pgToKmsConfigView(row);
      await this.store.emit(q, kmsConfigCreateEvent(view, ctx, at));
      return view;
    });
  }

  async get(id: number): Promise<KmsConfigView | undefined> {
    if (!Number.isInteger(id) || id < 1 || id > MAX_KMS_CONFIG_ID) return undefined;
    const row = await this.store.one<PgKmsConfigRow>('SELECT * FROM kms_configs WHERE id = $1', [id]);
    return row === undefined ? undefined : pgToKmsConfigView(row);
  }

  async list(tenantId: string): Promise<KmsConfigView[]> {
    return (await this.store.many<PgKmsConfigRow>('SELECT * FROM kms_configs WHERE tenant_id = $1 ORDER BY id', [tenantId])).map(pgToKmsConfigView);
  }

  async update(id: number, patch: KmsConfigPatch, ctx: ChangeContext): Promise<KmsConfigView> {
    checkKmsConfigPatch(patch);
    checkChangeContext(ctx);
    return this.store.write(async ({ q, at }) => {
      const cur = await this.require(q, id);
      const active = patch.active ?? cur.active;
      const primary = patch.primary ?? cur.is_primary;
      checkPrimaryActive(primary, active);
      if (primary) await q.query('UPDATE kms_configs SET is_primary = false, updated_at = $1 WHERE tenant_id = $2 AND is_primary AND id <> $3', [at, cur.tenant_id, id]);
      const credentials = patch.credentials === undefined ? cur.credentials : this.seal(id, patch.credentials);
      const hasCredentials = patch.credentials === undefined ? cur.has_credentials : Object.keys(patch.credentials).length > 0;
      const row = (await this.store.one<PgKmsConfigRow>(
        `UPDATE kms_configs SET credentials = $1, has_credentials = $2, endpoint = $3, active = $4, is_primary = $5, leasing_allowed = $6,
           leasing_lifetime_seconds = $7, updated_at = $8 WHERE id = $9 RETURNING *`,
        [
          credentials, hasCredentials, patch.endpoint ?? cur.endpoint, active, primary,
          patch.leasingAllowed ?? cur.leasing_allowed, patch.leasingLifetimeSeconds ?? cur.leasing_lifetime_seconds, at, id,
        ],
        q,
      ))!;
      await this.store.emit(q, kmsConfigUpdateEvent(cur.tenant_id, id, patch, ctx, at));
      return pgToKmsConfigView(row);
    });
  }

  async delete(id: number, ctx: ChangeContext): Promise<void> {
    checkChangeContext(ctx);
    await this.store.write(async ({ q, at }) => {
      const cur = await this.require(q, id);
      await q.query('DELETE FROM kms_configs WHERE id = $1', [id]);
      await this.store.emit(q, kmsConfigDeleteEvent(cur.tenant_id, id, ctx, at));
    });
  }

}
