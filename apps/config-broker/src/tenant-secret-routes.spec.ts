import { randomBytes } from 'node:crypto';
import { tspSaAuthorization } from '@tsp/broker-client';
import type { TenantSecretView } from '@tsp/broker-store';
import { openTenants, verifyConfigDocument } from '@tsp/config-crypto';
import { encodeEncryptedDeks } from '@tsp/tsp-protocol';
import { BrokerHarness, startBroker } from './testing/broker-harness';
import { createServiceAccount, nowSeconds, TestServiceAccount, tspSaHeader } from './testing/service-account-client';

const KEK = Buffer.alloc(32, 5).toString('base64');

describe('tenant secret admin routes (list, rotate, restore, archive)', () => {
  let b: BrokerHarness;
  let sa: TestServiceAccount;
  let configId: number;

  /** What a proxy does on a derive of a path without a Current secret. */
  async function proxyCreates(secretPath: string): Promise<{ status: number; id: number; encryptedSecret: string }> {
    const encryptedSecret = Buffer.from(encodeEncryptedDeks([{ encryptedDekData: randomBytes(48), kmsConfigId: configId }])).toString('base64');
    const body = JSON.stringify({ tenantId: 'tenant-a', secretPath, secretType: 'deterministic', encryptedSecret });
    const authorization = tspSaAuthorization(sa.id, sa.signingKey, 'POST', '/api/v1/tenant-secrets', Buffer.from(body));
    const res = await b.raw('POST', '/api/v1/tenant-secrets', { body, headers: { authorization, 'content-type': 'application/json' } });
    const answer = res.body as { id: number; encryptedSecret: string };
    return { status: res.status, id: answer.id, encryptedSecret: answer.encryptedSecret };
  }

  async function list(tenantId = 'tenant-a'): Promise<TenantSecretView[]> {
    const res = await b.admin('GET', `/api/v1/tenants/${tenantId}/secrets`);
    expect(res.status).toBe(200);
    return (res.body as { secrets: TenantSecretView[] }).secrets;
  }

  /** The secrets of tenant-a as the account's next document carries them. */
  async function documentSecrets(): Promise<{ id: number; status: string }[]> {
    const path = '/api/v1/config-document';
    const res = await b.raw('GET', path, { headers: { authorization: tspSaHeader(sa.id, sa.signingKey, path, nowSeconds()) } });
    const t = openTenants(verifyConfigDocument(res.text, b.brokerPublicKey, sa.id), sa.encryptionKey).find((o) => o.tenantId === 'tenant-a');
    if (t === undefined || !t.ok) throw new Error('tenant-a missing');
    return t.config.secrets.map((s) => ({ id: s.id, status: s.status }));
  }

  const act = (id: number | string, action: string) => b.admin('POST', `/api/v1/tenant-secrets/${id}/${action}`);

  beforeEach(async () => {
    b = await startBroker();
    expect((await b.admin('POST', '/api/v1/tenants', { id: 'tenant-a', name: 'A', tags: ['t'] })).status).toBe(201);
    expect((await b.admin('POST', '/api/v1/tenants', { id: 'tenant-b', name: 'B', tags: ['t'] })).status).toBe(201);
    const c = await b.admin('POST', '/api/v1/tenants/tenant-a/kms-configs', { type: 'local', keyPath: { name: 'k' }, credentials: { kek: KEK }, primary: true });
    configId = (c.body as { id: number }).id;
    sa = await createServiceAccount(b, 'sa-t', ['t']);
  });
  afterEach(async () => {
    await b.close();
  });

  it('lists secrets with their status and never their material', async () => {
    expect(await list()).toEqual([]);
    const ssn = await proxyCreates('ssn');
    const email = await proxyCreates('email');
    const res = await b.admin('GET', '/api/v1/tenants/tenant-a/secrets');
    expect((res.body as { secrets: TenantSecretView[] }).secrets).toEqual([
      { id: ssn.id, tenantId: 'tenant-a', secretPath: 'ssn', secretType: 'deterministic', status: 'current', createdAt: expect.any(String) },
      { id: email.id, tenantId: 'tenant-a', secretPath: 'email', secretType: 'deterministic', status: 'current', createdAt: expect.any(String) },
    ]);
    expect(res.text).not.toContain(ssn.encryptedSecret);
    expect(res.text).not.toContain('encryptedSecret');
    expect(await list('tenant-b')).toEqual([]);
    expect((await b.admin('GET', '/api/v1/tenants/nobody/secrets')).status).toBe(404);
    expect((await b.admin('GET', '/api/v1/tenants/tenant-a/secrets', undefined, { authorization: '' })).status).toBe(401);
  });

  it('rotation: rotate makes the next creation a new Current secret with the old one inRotation; archive ends it; the document follows each step', async () => {
    const old = await proxyCreates('ssn');
    expect(old.status).toBe(201);

    const rotated = await act(old.id, 'rotate');
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ id: old.id, status: 'inRotation' });
    expect(rotated.text).not.toContain(old.encryptedSecret);
    expect(await documentSecrets()).toEqual([{ id: old.id, status: 'inRotation' }]);

    // The next proxy request creates the new Current secret (the old one is no longer Current).
    const fresh = await proxyCreates('ssn');
    expect(fresh.status).toBe(201);
    expect(fresh.id).not.toBe(old.id);
    expect((await list()).map((s) => [s.id, s.status])).toEqual([
      [old.id, 'inRotation'],
      [fresh.id, 'current'],
    ]);
    expect((await proxyCreates('ssn')).id).toBe(fresh.id);

    // Restoring the old one now would make two Current secrets.
    const restore = await act(old.id, 'restore');
    expect(restore.status).toBe(409);

    const archived = await act(old.id, 'archive');
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ id: old.id, status: 'archived' });
    expect((await documentSecrets()).sort((x, y) => x.id - y.id)).toEqual([
      { id: old.id, status: 'archived' },
      { id: fresh.id, status: 'current' },
    ]);
  });

  it('restore cancels a rotation (inRotation → current)', async () => {
    const s = await proxyCreates('ssn');
    expect((await act(s.id, 'rotate')).status).toBe(200);
    const restored = await act(s.id, 'restore');
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id: s.id, status: 'current' });
    expect((await proxyCreates('ssn'))).toMatchObject({ status: 200, id: s.id });
  });

  it("a tenant admin manages its own tenant's secrets only: another tenant's list is 403, its secrets look absent (404); each change is an admin event naming the actor", async () => {
    const s = await proxyCreates('ssn');
    const session = async (tenantId: string, email: string): Promise<Record<string, string>> => {
      const invite = await b.admin('POST', `/api/v1/tenants/${tenantId}/admins`, { email });
      expect(invite.status).toBe(201);
      const password = 'correct horse battery staple';
      const token = (invite.body as { inviteToken: string }).inviteToken;
      expect((await b.admin('POST', '/api/v1/invitations/accept', { token, password }, { authorization: '' })).status).toBe(200);
      const login = await b.admin('POST', '/api/v1/login', { email, password }, { authorization: '' });
      return { authorization: `Bearer ${(login.body as { token: string }).token}` };
    };
    const ownA = await session('tenant-a', 'a@example.com');
    const ownB = await session('tenant-b', 'b@example.com');

    expect((await b.admin('GET', '/api/v1/tenants/tenant-a/secrets', undefined, ownB)).status).toBe(403);
    const foreign = await b.admin('POST', `/api/v1/tenant-secrets/${s.id}/rotate`, undefined, ownB);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual({ code: 'not-found', message: `tenant secret ${s.id} does not exist` });
    expect((await list())[0]?.status).toBe('current');

    expect((await b.admin('GET', '/api/v1/tenants/tenant-a/secrets', undefined, ownA)).body).toMatchObject({ secrets: [{ id: s.id, status: 'current' }] });
    expect((await b.admin('POST', `/api/v1/tenant-secrets/${s.id}/rotate`, undefined, ownA)).body).toMatchObject({ id: s.id, status: 'inRotation' });

    const events = (await b.repo.pendingAdminEvents(100)).filter((e) => String(e.details['action']).startsWith('tenant-secret.'));
    expect(events.map((e) => [e.tenantId, e.actor.kind, e.details['action']])).toEqual([
      ['tenant-a', 'service-account', 'tenant-secret.create'],
      ['tenant-a', 'tenant-admin', 'tenant-secret.status'],
    ]);
    expect(events[0]?.actor.id).toBe('sa-t');
    expect(JSON.stringify(events)).not.toContain(s.encryptedSecret);
  });

  it('refuses steps out of order with 409 naming the status, and unknown ids with 404', async () => {
    const s = await proxyCreates('ssn');
    const cases: [string, RegExp][] = [
      ['archive', /is current; only a secret in rotation can be archived; rotate it first/],
      ['restore', /is current; only a secret in rotation can be restored/],
    ];
    for (const [action, message] of cases) {
      const res = await act(s.id, action);
      expect(res.status).toBe(409);
      expect((res.body as { message: string }).message).toMatch(message);
    }
    expect((await act(s.id, 'rotate')).status).toBe(200);
    expect((await act(s.id, 'rotate')).body).toMatchObject({ code: 'conflict', message: expect.stringContaining('only a current secret can be rotated') });
    expect((await act(s.id, 'archive')).status).toBe(200);
    for (const action of ['rotate', 'restore', 'archive']) {
      const res = await act(s.id, action);
      expect(res.status).toBe(409);
      expect((res.body as { message: string }).message).toContain('is archived');
    }
    expect((await list())[0]?.status).toBe('archived');
    for (const id of ['999', '4294967296', '9999999999']) expect((await act(id, 'rotate')).status).toBe(404);
    expect((await act('0', 'rotate')).status).toBe(400);
    expect((await act('abc', 'rotate')).status).toBe(400);
    expect((await b.admin('POST', `/api/v1/tenant-secrets/${s.id}/rotate`, undefined, { authorization: '' })).status).toBe(401);
  });
});
