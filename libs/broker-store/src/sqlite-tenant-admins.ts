import { ChangeContext, NewTenantAdminInvite, RepositoryError, TenantAdmin } from './repository';
import { tenantAdminAcceptEvent, tenantAdminDeleteEvent, tenantAdminInviteEvent } from './repository-events';
import { checkChangeContext, checkInviteAcceptance, checkIsoTime, checkNewTenantAdminInvite, inviteOpen, newTenantAdminId } from './repository-validation';
import { TenantAdminRow, toTenantAdmin } from './sqlite-rows';
import { now, SqliteStore } from './sqlite-store';

/**
 * Tenant admins of the SQLite store. Password and invitation token hashes are stored as given
 * (the app hashes); only `byEmail` returns the password hash, nothing returns the token hash.
 * Invite, accept and delete are changes (event + sequence bump); recording a login is not.
 */
export class SqliteTenantAdmins {
  constructor(private readonly store: SqliteStore) {}

  private row(id: string): TenantAdminRow | undefined {
    return typeof id === 'string' ? this.store.stmt<[string], TenantAdminRow>('SELECT * FROM tenant_admins WHERE id = ?').get(id) : undefined;
  }

  private require(id: string): TenantAdminRow {
    const row = this.row(id);
    if (row === undefined) throw new RepositoryError('not-found', 'no such tenant admin', 'id');
    return row;
  }

  invite(invite: NewTenantAdminInvite, ctx: ChangeContext): TenantAdmin {
    const email = checkNewTenantAdminInvite(invite);
    checkChangeContext(ctx);
    return this.store.write(() => {
      this.store.requireTenant(invite.tenantId, 'tenantId');
      if (this.store.stmt<[string], { id: string }>('SELECT id FROM tenant_admins WHERE email = ?').get(email) !== undefined) {
        throw new RepositoryError('conflict', 'a tenant admin with this email exists', 'email');
      }
      if (this.store.stmt<[string], { id: string }>('SELECT id FROM tenant_admins WHERE invite_token_hash = ?').get(invite.inviteTokenHash) !== undefined) {
        throw new RepositoryError('conflict', 'this invitation token is in use', 'inviteTokenHash');
      }
      const id = newTenantAdminId();
      const at = now();
      this.store
        .stmt(
          `INSERT INTO tenant_admins (id, tenant_id, email, status, password_hash, invite_token_hash, invite_expires_at, created_at, last_login_at)
           VALUES (?, ?, ?, 'invited', NULL, ?, ?, ?, NULL)`,
        )
        .run(id, invite.tenantId, email, invite.inviteTokenHash, invite.inviteExpiresAt, at);
      const admin = toTenantAdmin(this.row(id)!);
      this.store.emit(tenantAdminInviteEvent(admin, ctx, at));
      return admin;
    });
  }

  accept(inviteTokenHash: string, passwordHash: string, at: string): TenantAdmin {
    checkInviteAcceptance(inviteTokenHash, passwordHash, at);
    return this.store.write(() => {
      const row = this.store
        .stmt<[string], TenantAdminRow>("SELECT * FROM tenant_admins WHERE invite_token_hash = ? AND status = 'invited'")
        .get(inviteTokenHash);
      if (row === undefined || row.invite_expires_at === null || !inviteOpen(row.invite_expires_at, at)) {
        throw new RepositoryError('not-found', 'no open invitation for this token', 'inviteTokenHash');
      }
      this.store
        .stmt("UPDATE tenant_admins SET status = 'active', password_hash = ?, invite_token_hash = NULL, invite_expires_at = NULL WHERE id = ?")
        .run(passwordHash, row.id);
      const admin = toTenantAdmin(this.row(row.id)!);
      this.store.emit(tenantAdminAcceptEvent(admin, at));
      return admin;
    });
  }

  byEmail(email: string): (TenantAdmin & { passwordHash?: string }) | undefined {
    if (typeof email !== 'string') return undefined;
    const row = this.store.stmt<[string], TenantAdminRow>('SELECT * FROM tenant_admins WHERE email = ?').get(email.toLowerCase());
    if (row === undefined) return undefined;
    const admin: TenantAdmin & { passwordHash?: string } = toTenantAdmin(row);
    if (row.password_hash !== null) admin.passwordHash = row.password_hash;
    return admin;
  }

  get(id: string): TenantAdmin | undefined {
    const row = this.row(id);
    return row === undefined ? undefined : toTenantAdmin(row);
  }

  list(tenantId: string): TenantAdmin[] {
    return this.store.stmt<[string], TenantAdminRow>('SELECT * FROM tenant_admins WHERE tenant_id = ? ORDER BY created_at, id').all(tenantId).map(toTenantAdmin);
  }

  recordLogin(id: string, at: string): void {
    checkIsoTime(at, 'at');
    const changes = typeof id === 'string' ? this.store.stmt('UPDATE tenant_admins SET last_login_at = ? WHERE id = ?').run(at, id).changes : 0;
    if (changes === 0) throw new RepositoryError('not-found', 'no such tenant admin', 'id');
  }

  delete(id: string, ctx: ChangeContext): void {
    checkChangeContext(ctx);
    this.store.write(() => {
      const admin = toTenantAdmin(this.require(id));
      this.store.stmt('DELETE FROM tenant_admins WHERE id = ?').run(id);
      this.store.emit(tenantAdminDeleteEvent(admin, ctx, now()));
    });
  }
}
