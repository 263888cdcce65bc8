import type { FastifyInstance } from 'fastify';
import type { BrokerRepository } from '@tsp/broker-store';
import { acceptInviteBody, inviteBody, loginBody, tenantAdminIdParams, tenantIdParams } from './api-schemas';
import { BrokerError } from './broker-error';
import { changeContext, ownResourceOnly, ownTenantOnly, Principal, VENDOR_ADMIN, vendorOnly } from './principal';
import { checkPassword, hashPassword, inviteTokenHash, LoginThrottle, newInviteToken, SessionTokens, verifyPassword } from './tenant-admin-auth';
import { adminAuthenticator } from './admin-auth';
import { tenantNotFound } from './tenant-routes';
import { tenantAdminView } from './views';

export interface TenantAdminRouteDeps {
  repo: BrokerRepository;
  sessions: SessionTokens;
  adminToken: string;
  /** The broker's public base URL (invitation links point at its /admin/invite page). */
  publicUrl: string;
  now: () => number;
  /** How long an invitation can be accepted, ms (default 7 days). */
  inviteTtlMs?: number;
}

type LoginBody = { email: string; password: string } | { adminToken: string };

const DEFAULT_INVITE_TTL_MS = 7 * 24 * 3600_000;

/**
 * Logins and invitations that need no session: POST /login (a tenant admin's email and
 * password, or the vendor admin's token) → a session token; POST /invitations/accept (the
 * one-time invitation token and a new password).
 */
export function registerLoginRoutes(app: FastifyInstance, deps: TenantAdminRouteDeps): void {
  const throttle = new LoginThrottle();
  const checkAdminToken = adminAuthenticator(deps.adminToken);

  app.post<{ Body: LoginBody }>('/login', { schema: { body: loginBody } }, async (req, reply) => {
    const now = deps.now();
    let principal: Principal;
    if ('adminToken' in req.body) {
      throttle.attempt(VENDOR_ADMIN.id, req.ip, now);
      checkAdminToken(`Bearer ${req.body.adminToken}`);
      throttle.succeeded(VENDOR_ADMIN.id, req.ip);
      principal = VENDOR_ADMIN;
    } else {
      const email = req.body.email.toLowerCase();
      throttle.attempt(email, req.ip, now);
      const admin = await deps.repo.tenantAdminByEmail(email);
      const ok = await verifyPassword(req.body.password, admin?.passwordHash);
      if (!ok || admin === undefined || admin.status !== 'active') throw new BrokerError('unauthorized', 'email or password is wrong');
      throttle.succeeded(email, req.ip);
      await deps.repo.recordTenantAdminLogin(admin.id, new Date(now).toISOString());
      principal = { kind: 'tenant-admin', id: admin.id, tenantId: admin.tenantId, email: admin.email };
    }
    const s = deps.sessions.issue(principal.id, now);
    return reply.header('cache-control', 'no-store').send({ token: s.token, expiresAt: s.expiresAt, principal });
  });

  app.post<{ Body: { token: string; password: string } }>('/invitations/accept', { schema: { body: acceptInviteBody } }, async (req) => {
    checkPassword(req.body.password);
    const passwordHash = await hashPassword(req.body.password);
    return tenantAdminView(await deps.repo.acceptTenantAdminInvite(inviteTokenHash(req.body.token), passwordHash, new Date(deps.now()).toISOString()));
  });
}

/**
 * Tenant admins of a tenant: POST /tenants/{id}/admins (the vendor admin invites: answers the
 * one-time invitation token and link); GET /tenants/{id}/admins and DELETE /tenant-admins/{id}
 * (the vendor admin, or an admin of that tenant).
 */
export function registerTenantAdminRoutes(app: FastifyInstance, deps: TenantAdminRouteDeps): void {
  // Inviting is the vendor's: emails are unique broker-wide, so a tenant admin could otherwise
  // learn of, or squat, another tenant's admin addresses.
  app.post<{ Params: { id: string }; Body: { email: string } }>(
    '/tenants/:id/admins',
    { onRequest: vendorOnly, schema: { params: tenantIdParams, body: inviteBody } },
    async (req, reply) => {
      if ((await deps.repo.getTenant(req.params.id)) === undefined) throw tenantNotFound(req.params.id);
      const { token, hash } = newInviteToken();
      const expiresAt = new Date(deps.now() + (deps.inviteTtlMs ?? DEFAULT_INVITE_TTL_MS)).toISOString();
      const admin = await deps.repo.inviteTenantAdmin(
        { tenantId: req.params.id, email: req.body.email.toLowerCase(), inviteTokenHash: hash, inviteExpiresAt: expiresAt },
        changeContext(req),
      );
      const inviteUrl = `${deps.publicUrl}/admin/invite?token=${encodeURIComponent(token)}`;
      return reply.code(201).header('cache-control', 'no-store').send({ admin: tenantAdminView(admin), inviteToken: token, inviteUrl, expiresAt });
    },
  );

  app.get<{ Params: { id: string } }>('/tenants/:id/admins', { onRequest: ownTenantOnly, schema: { params: tenantIdParams } }, async (req) => {
    if ((await deps.repo.getTenant(req.params.id)) === undefined) throw tenantNotFound(req.params.id);
    return { admins: (await deps.repo.listTenantAdmins(req.params.id)).map(tenantAdminView) };
  });

  const adminNotFound = (id: string): BrokerError => new BrokerError('not-found', `tenant admin '${id}' does not exist`);
  const ownAdminOnly = ownResourceOnly(new RegExp(tenantAdminIdParams.properties.id.pattern), async (id) => (await deps.repo.getTenantAdmin(id))?.tenantId, adminNotFound);
  app.delete<{ Params: { id: string } }>('/tenant-admins/:id', { onRequest: ownAdminOnly, schema: { params: tenantAdminIdParams } }, async (req, reply) => {
    await deps.repo.deleteTenantAdmin(req.params.id, changeContext(req));
    return reply.code(204).send();
  });
}
