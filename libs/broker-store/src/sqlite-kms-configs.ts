import { ChangeContext, KmsConfigPatch, KmsConfigView, NewKmsConfig, RepositoryError } from './repository';
import { kmsConfigCreateEvent, kmsConfigDeleteEvent, kmsConfigUpdateEvent } from './repository-events';
import { checkChangeContext, checkKmsConfigPatch, checkNewKmsConfig, checkPrimaryActive, MAX_KMS_CONFIG_ID } from './repository-validation';
import { SecretBox } from './secret-box';
import { KmsConfigRow, toKmsConfigView } from './sqlite-rows';
import { now, SqliteStore } from './sqlite-store';

const b = (v: boolean): number => (v ? 1 : 0);

/**
 * KMS configs of the SQLite store: credentials sealed with SecretBox bound to (kms_configs, id,
 * credentials); ids never reused (the 'kms_config_id' counter and used_kms_config_ids); at most
 * one primary per tenant (kms_configs_one_primary), a new primary demoting the old one.
 */
export class SqliteKmsConfigs {
  constructor(
    private readonly store: SqliteStore,
    private readonly box: SecretBox,
  ) {}

  private row(id: number): KmsConfigRow | undefined {
    return this.store.stmt<[number], KmsConfigRow>('SELECT * FROM kms_configs WHERE id = ?').get(id);
  }

  private require(id: number): KmsConfigRow {
    const row = Number.isInteger(id) ? this.row(id) : undefined;
    if (row === undefined) throw new RepositoryError('not-found', 'no such kms config', 'id');
    return row;
  }

  private demotePrimary(tenantId: string, exceptId: number, at: string): void {
    this.store.stmt('UPDATE kms_configs SET is_primary = 0, updated_at = ? WHERE tenant_id = ? AND is_primary = 1 AND id <> ?').run(at, tenantId, exceptId);
  }

  /**
   * Hands out a KMS config id: `explicit` unless it was ever used, else the next id above the
   * counter not used explicitly. Ids at or below the counter were all used (assigned, or
   * skipped because used), so only explicit ids above it need the used_kms_config_ids lookup.
   */
  private allocateId(explicit: number | undefined): number {
    const counter = this.store.stmt<[], { value: number }>("SELECT value FROM counters WHERE name = 'kms_config_id'").get()!.value;
    const used = (id: number): boolean => this.store.stmt<[number], { id: number }>('SELECT id FROM used_kms_config_ids WHERE id = ?').get(id) !== undefined;
    let id: number;
    if (explicit !== undefined) {
      if (explicit <= counter || used(explicit)) throw new RepositoryError('conflict', 'this kms config id has been used', 'id');
      id = explicit;
    } else {
      id = counter + 1;
      while (id <= MAX_KMS_CONFIG_ID && used(id)) id++;
      if (id > MAX_KMS_CONFIG_ID) throw new RepositoryError('invalid', 'every kms config id has been used', 'id');
      this.store.stmt("UPDATE counters SET value = ? WHERE name = 'kms_config_id'").run(id);
    }
    this.store.stmt('INSERT INTO used_kms_config_ids (id) VALUES (?)').run(id);
    return id;
  }

  create(c: NewKmsConfig, ctx: ChangeContext): KmsConfigView {
    checkNewKmsConfig(c);
    checkChangeContext(ctx);
    const active = c.active ?? true;
    const primary = c.primary ?? false;
    checkPrimaryActive(primary, active);
    return this.store.write(() => {
      this.store.requireTenant(c.tenantId, 'tenantId');
      const id = this.allocateId(c.id);
      const at = now();
      if (primary) this.demotePrimary(c.tenantId, id, at);
      this.store.stmt(
        `INSERT INTO kms_configs (id, tenant_id, type, key_path, credentials, has_credentials, endpoint, active, is_primary,
           leasing_allowed, leasing_lifetime_seconds, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id, c.tenantId, c.type, JSON.stringify(c.keyPath), this.seal(id, c.credentials), b(Object.keys(c.credentials).length > 0),
        c.endpoint ?? null, b(active), b(primary), b(c.leasingAllowed ?? false), c.leasingLifetimeSeconds ?? null, at, at,
      );
      const view = toKmsConfigView(this.row(id)!);
      this.store.emit(kmsConfigCreateEvent(view, ctx, at));
      return view;
    });
  }

  private seal(id: number, credentials: Record<string, unknown>): string {
    return this.box.sealJson(credentials, { table: 'kms_configs', rowId: id, field: 'credentials' });
  }

  get(id: number): KmsConfigView | undefined {
    const row = this.row(id);
    return row === undefined ? undefined : toKmsConfigView(row);
  }

  list(tenantId: string): KmsConfigView[] {
    return this.store.stmt<[string], KmsConfigRow>('SELECT * FROM kms_configs WHERE tenant_id = ? ORDER BY id').all(tenantId).map(toKmsConfigView);
  }

  update(id: number, patch: KmsConfigPatch, ctx: ChangeContext): KmsConfigView {
    checkKmsConfigPatch(patch);
    checkChangeContext(ctx);
    return this.store.write(() => {
      const cur = this.require(id);
      const active = patch.active ?? cur.active === 1;
      const primary = patch.primary ?? cur.is_primary === 1;
      checkPrimaryActive(primary, active);
      const at = now();
      if (primary) this.demotePrimary(cur.tenant_id, id, at);
      const credentials = patch.credentials === undefined ? cur.credentials : this.seal(id, patch.credentials);
      const hasCredentials = patch.credentials === undefined ? cur.has_credentials : b(Object.keys(patch.credentials).length > 0);
      this.store.stmt(
        `UPDATE kms_configs SET credentials = ?, has_credentials = ?, endpoint = ?, active = ?, is_primary = ?, leasing_allowed = ?,
           leasing_lifetime_seconds = ?, updated_at = ? WHERE id = ?`,
      ).run(
        credentials, hasCredentials, patch.endpoint ?? cur.endpoint, b(active), b(primary),
        b(patch.leasingAllowed ?? cur.leasing_allowed === 1), patch.leasingLifetimeSeconds ?? cur.leasing_lifetime_seconds, at, id,
      );
      this.store.emit(kmsConfigUpdateEvent(cur.tenant_id, id, patch, ctx, at));
      return toKmsConfigView(this.row(id)!);
    });
  }

  delete(id: number, ctx: ChangeContext): void {
    checkChangeContext(ctx);
    this.store.write(() => {
      const cur = this.require(id);
      this.store.stmt('DELETE FROM kms_configs WHERE id = ?').run(id);
      this.store.emit(kmsConfigDeleteEvent(cur.tenant_id, id, ctx, now()));
    });
  }

  /** The tenant's configs with credentials decrypted (for sealed documents only). */
  forDocument(tenantId: string): (KmsConfigView & { credentials: Record<string, unknown> })[] {
    return this.store
      .stmt<[string], KmsConfigRow>('SELECT * FROM kms_configs WHERE tenant_id = ? ORDER BY id')
      .all(tenantId)
      .map((r) => ({
        ...toKmsConfigView(r),
        credentials: this.box.openJson<Record<string, unknown>>(r.credentials, { table: 'kms_configs', rowId: r.id, field: 'credentials' }),
      }));
  }
}
