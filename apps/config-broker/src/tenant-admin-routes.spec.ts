import type { TenantAdmin } from '@tsp/broker-store';
import { BrokerHarness, startBroker } from './testing/broker-harness';

const PASSWORD = 'correct horse battery staple';

/** Invites an admin of `tenantId` (as the vendor admin), accepts, logs in: its session token. */
async function tenantAdminSession(b: BrokerHarness, tenantId: string, email: string): Promise<{ token: string; admin: TenantAdmin }> {
  const invite = await b.admin('POST', `/api/v1/tenants/${tenantId}/admins`, { email });
  expect(invite.status).toBe(201);
  const { inviteToken, admin } = invite.body as { inviteToken: string; admin: TenantAdmin };
  const accepted = await b.admin('POST', '/api/v1/invitations/accept', { token: inviteToken, password: PASSWORD }, { authorization: '' });
  expect(accepted.status).toBe(200);
  const login = await b.admin('POST', '/api/v1/login', { email, password: PASSWORD }, { authorization: '' });
  expect(login.status).toBe(200);
  return { token: (login.body as { token: string }).token, admin };
}

const aws = { type: 'aws', keyPath: { keyID: 'k-1', region: 'eu-west-1' }, credentials: { accessKeyId: 'AKIAEXAMPLEKEY00', secretAccessKey: 'b-tenant-secret-access-key-000' } };

describe('tenant admins: invitations, logins, sessions', () => {
  let b: BrokerHarness;
  beforeEach(async () => {
    b = await startBroker();
    await b.admin('POST', '/api/v1/tenants', { id: 'tenant-a', name: 'A' });
  });
  afterEach(async () => b.close());

  it('invites, accepts once, logs in, and the session manages only its own tenant', async () => {
    const invite = await b.admin('POST', '/api/v1/tenants/tenant-a/admins', { email: 'Alice@Example.com' });
    expect(invite.status).toBe(201);
    const body = invite.body as { admin: TenantAdmin; inviteToken: string; inviteUrl: string };
    expect(body.admin).toMatchObject({ tenantId: 'tenant-a', email: 'alice@example.com', status: 'invited' });
    expect(body.inviteUrl).toContain('/admin/invite?token=');
    expect(invite.headers.get('cache-control')).toBe('no-store');

    // Invited, not yet accepted: no login.
    expect((await b.admin('POST', '/api/v1/login', { email: 'alice@example.com', password: PASSWORD }, { authorization: '' })).status).toBe(401);
    const short = await b.admin('POST', '/api/v1/invitations/accept', { token: body.inviteToken, password: 'short' }, { authorization: '' });
    expect(short.status).toBe(400);
    expect((short.body as { message: string }).message).toMatch(/password/);
    expect((await b.admin('POST', '/api/v1/invitations/accept', { token: body.inviteToken, password: PASSWORD }, { authorization: '' })).status).toBe(200);
    // The token is used up.
    expect((await b.admin('POST', '/api/v1/invitations/accept', { token: body.inviteToken, password: PASSWORD }, { authorization: '' })).status).toBe(404);

    const login = await b.admin('POST', '/api/v1/login', { email: 'ALICE@example.com', password: PASSWORD }, { authorization: '' });
    expect(login.status).toBe(200);
    const session = login.body as { token: string; principal: { kind: string; tenantId: string } };
    expect(session.principal).toMatchObject({ kind: 'tenant-admin', tenantId: 'tenant-a' });
    const auth = { authorization: `Bearer ${session.token}` };

    const created = await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', { ...aws, primary: true }, auth);
    expect(created.status).toBe(201);
    expect((await b.admin('GET', '/api/v1/tenants', undefined, auth)).body).toMatchObject({ tenants: [{ id: 'tenant-a' }] });
    // Vendor-only routes.
    expect((await b.admin('POST', '/api/v1/tenants', { id: 'x', name: 'X' }, auth)).status).toBe(403);
    expect((await b.admin('PATCH', '/api/v1/tenants/tenant-a', { leasingRequired: true }, auth)).status).toBe(403);
    expect((await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', { ...aws, id: 4242 }, auth)).status).toBe(403);
    // Endpoints are the vendor's (proxies call them from inside the vendor's network); so is inviting.
    // The addresses below are only values refused (403) before anything is stored; the broker never dials an endpoint.
    const ssrf = await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', { ...aws, endpoint: 'http://169.254.169.254/latest' }, auth);
    expect([ssrf.status, (ssrf.body as { message: string }).message]).toEqual([403, 'endpoint: only the vendor admin may set it']);
    expect((await b.admin('PATCH', `/api/v1/kms-configs/${(created.body as { id: number }).id}`, { endpoint: 'http://10.0.0.1' }, auth)).status).toBe(403);
    expect((await b.admin('POST', '/api/v1/tenants/tenant-a/admins', { email: 'mallory@example.com' }, auth)).status).toBe(403);

    // Every change is an ADMIN_* event naming the tenant admin as the actor, without secrets.
    const events = await b.repo.pendingAdminEvents(100);
    const mine = events.filter((e) => e.actor.kind === 'tenant-admin');
    expect(mine.map((e) => e.event)).toEqual(expect.arrayContaining(['ADMIN_CHANGE_SETTING']));
    expect(JSON.stringify(events)).not.toContain(aws.credentials.secretAccessKey);
    expect(JSON.stringify(events)).not.toContain(PASSWORD);

    // Deleting the admin ends its sessions at once.
    await b.admin('DELETE', `/api/v1/tenant-admins/${body.admin.id}`);
    expect((await b.admin('GET', '/api/v1/tenants/tenant-a', undefined, auth)).status).toBe(401);
    expect(b.transcript()).not.toContain(PASSWORD);
  });

  it('counts parallel guesses before checking them: 20 at once get at most 5 answers other than 429', async () => {
    await tenantAdminSession(b, 'tenant-a', 'carol@example.com');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_x, i) => b.admin('POST', '/api/v1/login', { email: 'carol@example.com', password: `guess number ${i}` }, { authorization: '' })),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((st) => st === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((st) => st === 429).length).toBeGreaterThanOrEqual(15);
  });

  it('refuses wrong passwords alike for unknown emails, and locks an email after 5 failures', async () => {
    await tenantAdminSession(b, 'tenant-a', 'bob@example.com');
    const unknown = await b.admin('POST', '/api/v1/login', { email: 'nobody@example.com', password: PASSWORD }, { authorization: '' });
    const wrong = await b.admin('POST', '/api/v1/login', { email: 'bob@example.com', password: 'wrong password 1' }, { authorization: '' });
    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    expect(unknown.body).toEqual(wrong.body);
    for (let i = 0; i < 4; i++) await b.admin('POST', '/api/v1/login', { email: 'bob@example.com', password: 'wrong password 2' }, { authorization: '' });
    const locked = await b.admin('POST', '/api/v1/login', { email: 'bob@example.com', password: PASSWORD }, { authorization: '' });
    expect(locked.status).toBe(429);
  });

  it('the vendor admin logs in with its token; tampered or expired sessions are refused', async () => {
    const login = await b.admin('POST', '/api/v1/login', { adminToken: b.adminToken }, { authorization: '' });
    expect(login.status).toBe(200);
    const token = (login.body as { token: string }).token;
    expect((await b.admin('POST', '/api/v1/tenants', { id: 'tenant-v', name: 'V' }, { authorization: `Bearer ${token}` })).status).toBe(201);
    expect((await b.admin('POST', '/api/v1/login', { adminToken: 'not-the-admin-token' }, { authorization: '' })).status).toBe(401);
    const tampered = token.replace(/\.(\d+)\./, (_m, exp: string) => `.${Number(exp) + 1}.`);
    expect((await b.admin('GET', '/api/v1/tenants', undefined, { authorization: `Bearer ${tampered}` })).status).toBe(401);
    b.clock.offsetMs = 9 * 3600_000;
    expect((await b.admin('GET', '/api/v1/tenants', undefined, { authorization: `Bearer ${token}` })).status).toBe(401);
  });
});

/**
 * A tenant admin of tenant-a tries EVERY admin route on tenant-b's resources (the list comes
 * from the routes the app registered, so a new route without a case here fails this test).
 */
describe("a tenant admin cannot read or change another tenant, on any route", () => {
  let b: BrokerHarness;
  afterEach(async () => b.close());

  it('answers 403 or 404 everywhere and leaves tenant-b as it was', async () => {
    b = await startBroker();
    await b.admin('POST', '/api/v1/tenants', { id: 'tenant-a', name: 'A' });
    await b.admin('POST', '/api/v1/tenants', { id: 'tenant-b', name: 'B' });
    await b.admin('POST', '/api/v1/service-accounts', { id: 'sa-1', name: 'SA', tenantTags: [] });
    const kmsB = (await b.admin('POST', '/api/v1/tenants/tenant-b/kms-configs', { ...aws, primary: true })).body as { id: number };
    await b.admin('PUT', '/api/v1/tenants/tenant-b/logging-config', { sinks: [{ id: 's', type: 'file' }] });
    const adminB = (await tenantAdminSession(b, 'tenant-b', 'bea@example.com')).admin;
    const secretB = await b.repo.createTenantSecret(
      { tenantId: 'tenant-b', secretPath: 'p', secretType: 'search', encryptedSecret: 'CgQAAAAAEAE=' },
      { actor: { kind: 'system', id: 'test' } },
    );
    const { token } = await tenantAdminSession(b, 'tenant-a', 'ann@example.com');
    const before = await b.repo.tenantsForDocument('sa-1');
    const eventsBefore = (await b.repo.pendingAdminEvents(1000)).length;

    const ids: Record<string, string> = {
      '/api/v1/kms-configs/{id}': String(kmsB.id),
      '/api/v1/tenant-admins/{id}': adminB.id,
      '/api/v1/tenant-secrets/{id}': String(secretB.secret.id),
      '/api/v1/service-accounts/{id}': 'sa-1',
    };
    // Routes a tenant admin may call without a tenant (its own list, logins) or that are not admin routes.
    const open = new Set(['POST /api/v1/login', 'POST /api/v1/invitations/accept', 'GET /api/v1/openapi.json', 'GET /live', 'GET /api/v1/config-document', 'POST /api/v1/tenant-secrets', 'GET /api/v1/tenants']);
    const tried: string[] = [];
    for (const route of b.routes) {
      if (open.has(route) || !route.includes(' /api/v1/')) continue;
      const [method, template] = route.split(' ') as [string, string];
      const id = Object.entries(ids).find(([prefix]) => template.startsWith(prefix.replace('/{id}', '/')))?.[1] ?? 'tenant-b';
      const url = template.replace('{id}', id);
      const res = await b.admin(method, url, method === 'GET' || method === 'DELETE' ? undefined : { name: 'X', email: 'x@example.com', active: false, sinks: [{ id: 's', type: 'file' }] }, {
        authorization: `Bearer ${token}`,
      });
      tried.push(`${route} → ${res.status}`);
      expect([route, [403, 404].includes(res.status)]).toEqual([route, true]);
      expect(res.text).not.toMatch(/tenant-b|bea@example.com|"name":"B"/);
    }
    expect(tried.length).toBeGreaterThanOrEqual(15);
    // tenant-b and its events are untouched.
    expect(await b.repo.tenantsForDocument('sa-1')).toEqual(before);
    expect((await b.repo.pendingAdminEvents(1000)).length).toBe(eventsBefore);
    // Its own list shows only tenant-a.
    expect((await b.admin('GET', '/api/v1/tenants', undefined, { authorization: `Bearer ${token}` })).body).toEqual({ tenants: [expect.objectContaining({ id: 'tenant-a' })] });
  });
});
