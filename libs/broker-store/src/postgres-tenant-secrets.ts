import type { SecretStatus } from '@tsp/config-crypto';
import { ChangeContext, NewTenantSecret, RepositoryError, TenantSecretView, TenantSecretWithMaterial } from './repository';
import { tenantSecretCreateEvent, tenantSecretStatusEvent } from './repository-events';
import { checkChangeContext, checkNewTenantSecret, checkSecretStatus, checkSecretStatusChange } from './repository-validation';
import { SecretBox } from './secret-box';
import { PgTenantSecretRow, pgToTenantSecretView } from './postgres-rows';
import { isUniqueViolation, PgStore, Queryable } from './postgres-store';

const sealedAt = (id: number) => ({ table: 'tenant_secrets', rowId: id, field: 'encrypted_secret' }) as const;

/**
 * Tenant secrets of the PostgreSQL store: material sealed with SecretBox bound to its row; at
 * most one Current secret per (tenant, path, type), enforced by the unique partial index
 * tenant_secrets_one_current through INSERT ... ON CONFLICT DO NOTHING, so brokers sharing the
 * database create exactly one however many proxies ask at once.
 */
export class PgTenantSecrets {
  constructor(
    private readonly store: PgStore,
    private readonly box: SecretBox,
  ) {}

  private withMaterial(row: PgTenantSecretRow): TenantSecretWithMaterial {
    return { ...pgToTenantSecretView(row), encryptedSecret: this.box.open(row.encrypted_secret, sealedAt(Number(row.id))) };
  }

  private current(s: NewTenantSecret, q?: Queryable): Promise<PgTenantSecretRow | undefined> {
    return this.store.one<PgTenantSecretRow>(
      "SELECT * FROM tenant_secrets WHERE tenant_id = $1 AND secret_path = $2 AND secret_type = $3 AND status = 'current'",
      [s.tenantId, s.secretPath, s.secretType],
      q,
    );
  }

  /** Idempotent for Current: a second Current of the path and type writes nothing (no event, no sequence bump). */
  async create(s: NewTenantSecret, ctx: ChangeContext): Promise<{ secret: TenantSecretWithMaterial; created: boolean }> {
    checkNewTenantSecret(s);
    checkChangeContext(ctx);
    const status: SecretStatus = s.status ?? 'current';
    if (status === 'current') {
      // The common case (every proxy asks after the first one): no write lock for an existing secret.
      const existing = await this.current(s);
      if (existing !== undefined) return { secret: this.withMaterial(existing), created: false };
    }
    const out = await this.store.write(async (tx): Promise<{ row: PgTenantSecretRow; created: boolean } | undefined> => {
      const { q, at } = tx;
      await this.store.requireTenant(q, s.tenantId, 'tenantId');
      // The id first: the material is sealed bound to it. Ids of rolled-back inserts stay unused.
      const id = Number((await this.store.one<{ id: string }>("SELECT nextval('tenant_secrets_id_seq') AS id", [], q))!.id);
      const row = await this.store.one<PgTenantSecretRow>(
        `INSERT INTO tenant_secrets (id, tenant_id, secret_path, secret_type, status, encrypted_secret, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, secret_path, secret_type) WHERE status = 'current' DO NOTHING RETURNING *`,
        [id, s.tenantId, s.secretPath, s.secretType, status, this.box.seal(s.encryptedSecret, sealedAt(id)), at],
        q,
      );
      if (row === undefined) {
        tx.unchanged();
        const winner = await this.current(s, q);
        return winner === undefined ? undefined : { row: winner, created: false };
      }
      await this.store.emit(q, tenantSecretCreateEvent(pgToTenantSecretView(row), ctx, at));
      return { row, created: true };
    });
    // Unreachable while writers hold the sequence lock: the winner cannot change before we read it.
    if (out === undefined) throw new RepositoryError('conflict', 'the current tenant secret changed while it was created; retry', 'status');
    return { secret: this.withMaterial(out.row), created: out.created };
  }

  async get(id: number): Promise<TenantSecretView | undefined> {
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    const row = await this.store.one<PgTenantSecretRow>('SELECT * FROM tenant_secrets WHERE id = $1', [id]);
    return row === undefined ? undefined : pgToTenantSecretView(row);
  }

  async list(tenantId: string): Promise<TenantSecretView[]> {
    return (await this.store.many<PgTenantSecretRow>('SELECT * FROM tenant_secrets WHERE tenant_id = $1 ORDER BY id', [tenantId])).map(pgToTenantSecretView);
  }

  async setStatus(id: number, status: SecretStatus, ctx: ChangeContext): Promise<TenantSecretView> {
    checkSecretStatus(status);
    checkChangeContext(ctx);
    return this.store.write(async ({ q, at }) => {
      const cur = Number.isSafeInteger(id) && id >= 1 ? await this.store.one<PgTenantSecretRow>('SELECT * FROM tenant_secrets WHERE id = $1', [id], q) : undefined;
      if (cur === undefined) throw new RepositoryError('not-found', 'no such tenant secret', 'id');
      const before = pgToTenantSecretView(cur);
      checkSecretStatusChange(before.status, status);
      let row: PgTenantSecretRow;
      try {
        row = (await this.store.one<PgTenantSecretRow>('UPDATE tenant_secrets SET status = $1 WHERE id = $2 RETURNING *', [status, id], q))!;
      } catch (err) {
        if (isUniqueViolation(err, 'tenant_secrets_one_current')) {
          throw new RepositoryError('conflict', 'another current tenant secret of this path and type exists', 'status');
        }
        throw err;
      }
      await this.store.emit(q, tenantSecretStatusEvent(before, status, ctx, at));
      return pgToTenantSecretView(row);
    });
  }
}
