import type { SecretStatus } from '@tsp/config-crypto';
import { ChangeContext, NewTenantSecret, RepositoryError, TenantSecretView, TenantSecretWithMaterial } from './repository';
import { tenantSecretCreateEvent, tenantSecretStatusEvent } from './repository-events';
import { checkChangeContext, checkNewTenantSecret, checkSecretStatus, checkSecretStatusChange } from './repository-validation';
import { SecretBox } from './secret-box';
import { TenantSecretRow, toTenantSecretView } from './sqlite-rows';
import { now, SqliteStore } from './sqlite-store';

const at = (id: number) => ({ table: 'tenant_secrets', rowId: id, field: 'encrypted_secret' }) as const;

/**
 * Tenant secrets of the SQLite store: material sealed with SecretBox bound to its row; at most
 * one Current secret per (tenant, path, type), enforced by the unique partial index
 * tenant_secrets_one_current (migration 2) through INSERT ... ON CONFLICT DO NOTHING.
 */
export class SqliteTenantSecrets {
  constructor(
    private readonly store: SqliteStore,
    private readonly box: SecretBox,
  ) {}

  private row(id: number): TenantSecretRow | undefined {
    return Number.isInteger(id) ? this.store.stmt<[number], TenantSecretRow>('SELECT * FROM tenant_secrets WHERE id = ?').get(id) : undefined;
  }

  private withMaterial(r: TenantSecretRow): TenantSecretWithMaterial {
    return { ...toTenantSecretView(r), encryptedSecret: this.box.open(r.encrypted_secret, at(r.id)) };
  }

  /** Idempotent for Current: a second Current of the path and type writes nothing (no event, no sequence bump). */
  create(s: NewTenantSecret, ctx: ChangeContext): { secret: TenantSecretWithMaterial; created: boolean } {
    checkNewTenantSecret(s);
    checkChangeContext(ctx);
    return this.store.transaction(() => {
      this.store.requireTenant(s.tenantId, 'tenantId');
      const time = now();
      const inserted = this.store
        .stmt(
          `INSERT INTO tenant_secrets (tenant_id, secret_path, secret_type, status, encrypted_secret, created_at) VALUES (?, ?, ?, ?, '', ?)
           ON CONFLICT (tenant_id, secret_path, secret_type) WHERE status = 'current' DO NOTHING`,
        )
        .run(s.tenantId, s.secretPath, s.secretType, s.status ?? 'current', time);
      if (inserted.changes === 0) {
        const existing = this.store
          .stmt<[string, string, string], TenantSecretRow>("SELECT * FROM tenant_secrets WHERE tenant_id = ? AND secret_path = ? AND secret_type = ? AND status = 'current'")
          .get(s.tenantId, s.secretPath, s.secretType)!;
        return { secret: this.withMaterial(existing), created: false };
      }
      const id = Number(inserted.lastInsertRowid);
      this.store.stmt('UPDATE tenant_secrets SET encrypted_secret = ? WHERE id = ?').run(this.box.seal(s.encryptedSecret, at(id)), id);
      const view = toTenantSecretView(this.row(id)!);
      this.store.emit(tenantSecretCreateEvent(view, ctx, time));
      this.store.bumpSequence();
      return { secret: { ...view, encryptedSecret: s.encryptedSecret }, created: true };
    });
  }

  get(id: number): TenantSecretView | undefined {
    const r = this.row(id);
    return r === undefined ? undefined : toTenantSecretView(r);
  }

  list(tenantId: string): TenantSecretView[] {
    return this.rows(tenantId).map(toTenantSecretView);
  }

  private rows(tenantId: string): TenantSecretRow[] {
    return this.store.stmt<[string], TenantSecretRow>('SELECT * FROM tenant_secrets WHERE tenant_id = ? ORDER BY id').all(tenantId);
  }

  setStatus(id: number, status: SecretStatus, ctx: ChangeContext): TenantSecretView {
    checkSecretStatus(status);
    checkChangeContext(ctx);
    return this.store.write(() => {
      const cur = this.row(id);
      if (cur === undefined) throw new RepositoryError('not-found', 'no such tenant secret', 'id');
      checkSecretStatusChange(cur.status, status);
      if (status === 'current') {
        const other = this.store
          .stmt<[string, string, string], { id: number }>("SELECT id FROM tenant_secrets WHERE tenant_id = ? AND secret_path = ? AND secret_type = ? AND status = 'current'")
          .get(cur.tenant_id, cur.secret_path, cur.secret_type);
        if (other !== undefined) throw new RepositoryError('conflict', 'another current tenant secret of this path and type exists', 'status');
      }
      this.store.stmt('UPDATE tenant_secrets SET status = ? WHERE id = ?').run(status, id);
      this.store.emit(tenantSecretStatusEvent(toTenantSecretView(cur), status, ctx, now()));
      return toTenantSecretView(this.row(id)!);
    });
  }

  /** Every secret of the tenant, material decrypted (for sealed documents only). */
  forDocument(tenantId: string): TenantSecretWithMaterial[] {
    return this.rows(tenantId).map((r) => this.withMaterial(r));
  }
}
