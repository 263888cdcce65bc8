import { ChangeContext, NewTenantAdminInvite, RepositoryError, TenantAdmin } from './repository';
import { tenantAdminAcceptEvent, tenantAdminDeleteEvent, tenantAdminInviteEvent } from './repository-events';
import { checkChangeContext, checkInviteAcceptance, checkIsoTime, checkNewTenantAdminInvite, newTenantAdminId } from './repository-validation';
import { PgTenantAdminRow, pgToTenantAdmin } from './postgres-rows';
import { PgStore } from './postgres-store';

/**
 * Tenant admins of the PostgreSQL store. Password and invitation token hashes are stored as
 * given (the app hashes); only `byEmail` returns the password hash, nothing returns the token
 * hash. Invite, accept and delete are changes (event + sequence bump); recording a login is not.
 */
export class PgTenantAdmins {
  constructor(private readonly store: PgStore) {}

  async invite(invite: NewTenantAdminInvite, ctx: ChangeContext): Promise<TenantAdmin> {
    const email = checkNewTenantAdminInvite(invite);
    checkChangeContext(ctx);
    return this.store.write(async ({ q, at }) => {
      await this.store.requireTenant(q, invite.tenantId, 'tenantId');
      if ((await this.store.one('SELECT 1 FROM tenant_admins WHERE email = $1', [email], q)) !== undefined) {
        throw new RepositoryError('conflict', 'a tenant admin with this email exists', 'email');
      }
      if ((await this.store.one('SELECT 1 FROM tenant_admins WHERE invite_token_hash = $1', [invite.inviteTokenHash], q)) !== undefined) {
        throw new RepositoryError('conflict', 'this invitation token is in use', 'inviteTokenHash');
      }
      const row = await this.store.one<PgTenantAdminRow>(
        `INSERT INTO tenant_admins (id, tenant_id, email, status, password_hash, invite_token_hash, invite_expires_at, created_at)
         VALUES ($1, $2, $3, 'invited', NULL, $4, $5, $6) RETURNING *`,
        [newTenantAdminId(), invite.tenantId, email, invite.inviteTokenHash, invite.inviteExpiresAt, at],
        q,
      );
      const admin = pgToTenantAdmin(row!);
      await this.store.emit(q, tenantAdminInviteEvent(admin, ctx, at));
      return admin;
    });
  }

  /** The invitation must be open: `at` before its expiry (timestamptz comparison, like inviteOpen). */
  async accept(inviteTokenHash: string, passwordHash: string, at: string): Promise<TenantAdmin> {
    checkInviteAcceptance(inviteTokenHash, passwordHash, at);
    return this.store.write(async ({ q }) => {
      const row = await this.store.one<PgTenantAdminRow>(
        `UPDATE tenant_admins SET status = 'active', password_hash = $1, invite_token_hash = NULL, invite_expires_at = NULL
         WHERE invite_token_hash = $2 AND status = 'invited' AND invite_expires_at > $3 RETURNING *`,
        [passwordHash, inviteTokenHash, at],
        q,
      );
      if (row === undefined) throw new RepositoryError('not-found', 'no open invitation for this token', 'inviteTokenHash');
      const admin = pgToTenantAdmin(row);
      await this.store.emit(q, tenantAdminAcceptEvent(admin, at));
      return admin;
    });
  }

  async byEmail(email: string): Promise<(TenantAdmin & { passwordHash?: string }) | undefined> {
    if (typeof email !== 'string') return undefined;
    const row = await this.store.one<PgTenantAdminRow>('SELECT * FROM tenant_admins WHERE email = $1', [email.toLowerCase()]);
    if (row === undefined) return undefined;
    const admin: TenantAdmin & { passwordHash?: string } = pgToTenantAdmin(row);
    if (row.password_hash !== null) admin.passwordHash = row.password_hash;
    return admin;
  }

  async get(id: string): Promise<TenantAdmin | undefined> {
    if (typeof id !== 'string') return undefined;
    const row = await this.store.one<PgTenantAdminRow>('SELECT * FROM tenant_admins WHERE id = $1', [id]);
    return row === undefined ? undefined : pgToTenantAdmin(row);
  }

  async list(tenantId: string): Promise<TenantAdmin[]> {
    const rows = await this.store.many<PgTenantAdminRow>('SELECT * FROM tenant_admins WHERE tenant_id = $1 ORDER BY created_at, id COLLATE "C"', [tenantId]);
    return rows.map(pgToTenantAdmin);
  }

  /** A login is not a configuration change: no sequence bump, no admin event. */
  async recordLogin(id: string, at: string): Promise<void> {
    checkIsoTime(at, 'at');
    const row = typeof id === 'string' ? await this.store.one('UPDATE tenant_admins SET last_login_at = $1 WHERE id = $2 RETURNING id', [at, id]) : undefined;
    if (row === undefined) throw new RepositoryError('not-found', 'no such tenant admin', 'id');
  }

  async delete(id: string, ctx: ChangeContext): Promise<void> {
    checkChangeContext(ctx);
    await this.store.write(async ({ q, at }) => {
      const row = typeof id === 'string' ? await this.store.one<PgTenantAdminRow>('DELETE FROM tenant_admins WHERE id = $1 RETURNING *', [id], q) : undefined;
      if (row === undefined) throw new RepositoryError('not-found', 'no such tenant admin', 'id');
      await this.store.emit(q, tenantAdminDeleteEvent(pgToTenantAdmin(row), ctx, at));
    });
  }
}
