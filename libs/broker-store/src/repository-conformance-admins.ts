import { NewTenantAdminInvite } from './repository';
import { ConformanceHarness, expectNoSecrets, expectRepoError, inviteFor, sha256Hex, V } from './repository-conformance-fixtures';

/** The tenant admin part of the repository conformance suite (see repository-conformance.ts). */
export function tenantAdminConformance(h: ConformanceHarness): void {
  const iso = (offsetMs = 0): string => new Date(Date.now() + offsetMs).toISOString();

  it('invites, accepts, lists and deletes tenant admins; the password hash comes back only for login', async () => {
    const repo = h.repo();
    const secrets = h.secrets();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    await repo.createTenant({ id: 't2', name: 'Two' }, V);
    const invite = inviteFor('t1', 'Alice@Example.COM');
    const alice = await repo.inviteTenantAdmin(invite, V);
    expect(alice).toMatchObject({ tenantId: 't1', email: 'alice@example.com', status: 'invited' });
    expect(alice.lastLoginAt).toBeUndefined();
    expect(typeof alice.id === 'string' && alice.id.length >= 8 && !alice.id.includes('alice')).toBe(true);
    expect(Date.parse(alice.createdAt)).not.toBeNaN();
    expect(await repo.getTenantAdmin(alice.id)).toEqual(alice);
    expect(await repo.tenantAdminByEmail('ALICE@example.com')).toEqual(alice);
    const bob = await repo.inviteTenantAdmin(inviteFor('t1', 'bob@example.com'), V);
    await repo.inviteTenantAdmin(inviteFor('t2', 'carol@example.com'), V);
    expect(bob.id).not.toBe(alice.id);
    expect((await repo.listTenantAdmins('t1')).map((a) => a.email).sort()).toEqual(['alice@example.com', 'bob@example.com']);
    expect(await repo.listTenantAdmins('nope')).toEqual([]);

    const passwordHash = secrets.make('scrypt-hash');
    const at = iso();
    const active = await repo.acceptTenantAdminInvite(invite.inviteTokenHash, passwordHash, at);
    expect(active).toEqual({ ...alice, status: 'active' });
    expect(await repo.tenantAdminByEmail('alice@example.com')).toEqual({ ...active, passwordHash });
    await repo.recordTenantAdminLogin(alice.id, at);
    const loggedIn = await repo.getTenantAdmin(alice.id);
    expect(loggedIn).toEqual({ ...active, lastLoginAt: at });
    const reads = [loggedIn, await repo.listTenantAdmins('t1'), await repo.getTenantAdmin(bob.id), await repo.pendingAdminEvents(1000), active];
    expectNoSecrets(reads, [passwordHash, invite.inviteTokenHash]);

    await repo.deleteTenantAdmin(alice.id, V);
    expect(await repo.getTenantAdmin(alice.id)).toBeUndefined();
    expect(await repo.tenantAdminByEmail('alice@example.com')).toBeUndefined();
    await expectRepoError(repo.deleteTenantAdmin(alice.id, V), 'not-found', 'id');
    await expectRepoError(repo.recordTenantAdminLogin(alice.id, at), 'not-found', 'id');
    // The email is free again, and the new admin gets a new id.
    const again = await repo.inviteTenantAdmin(inviteFor('t2', 'alice@example.com'), V);
    expect(again.id).not.toBe(alice.id);
    expect(await repo.getTenantAdmin('')).toBeUndefined();
    expect(await repo.tenantAdminByEmail('nobody@example.com')).toBeUndefined();
  });

  it('refuses a taken email (in any case, on any tenant) and invalid invitations, naming the field', async () => {
    const repo = h.repo();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    await repo.createTenant({ id: 't2', name: 'Two' }, V);
    const first = inviteFor('t1', 'dup@example.com');
    await repo.inviteTenantAdmin(first, V);
    const seq = await repo.sequence();
    await expectRepoError(repo.inviteTenantAdmin(inviteFor('t2', 'DUP@Example.com'), V), 'conflict', 'email');
    await expectRepoError(repo.inviteTenantAdmin({ ...inviteFor('t2', 'other@example.com'), inviteTokenHash: first.inviteTokenHash }, V), 'conflict', 'inviteTokenHash');
    const ok = inviteFor('t1', 'new@example.com');
    const bad: [Partial<NewTenantAdminInvite>, string, 'invalid' | 'not-found'][] = [
      [{ tenantId: 'nope' }, 'tenantId', 'not-found'],
      [{ email: 'not an email' }, 'email', 'invalid'],
      [{ email: '' }, 'email', 'invalid'],
      [{ inviteTokenHash: 'abc' }, 'inviteTokenHash', 'invalid'],
      [{ inviteTokenHash: sha256Hex('x').toUpperCase() }, 'inviteTokenHash', 'invalid'],
      [{ inviteExpiresAt: 'tomorrow' }, 'inviteExpiresAt', 'invalid'],
    ];
    for (const [patch, field, kind] of bad) {
      const e = await expectRepoError(repo.inviteTenantAdmin({ ...ok, ...patch }, V), kind, field);
      expect(e.message).not.toContain(ok.inviteTokenHash);
    }
    expect(await repo.tenantAdminByEmail('new@example.com')).toBeUndefined();
    expect(await repo.sequence()).toBe(seq);
  });

  it('accepts an invitation once, before it expires; otherwise not-found and nothing changes', async () => {
    const repo = h.repo();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const expiring = inviteFor('t1', 'late@example.com', 60_000);
    const late = await repo.inviteTenantAdmin(expiring, V);
    const seq = await repo.sequence();
    await expectRepoError(repo.acceptTenantAdminInvite(expiring.inviteTokenHash, 'hash', iso(60_001)), 'not-found', 'inviteTokenHash');
    await expectRepoError(repo.acceptTenantAdminInvite(expiring.inviteTokenHash, 'hash', iso(3_600_000)), 'not-found', 'inviteTokenHash');
    await expectRepoError(repo.acceptTenantAdminInvite(sha256Hex('never issued'), 'hash', iso()), 'not-found', 'inviteTokenHash');
    await expectRepoError(repo.acceptTenantAdminInvite(expiring.inviteTokenHash, '', iso()), 'invalid', 'passwordHash');
    await expectRepoError(repo.acceptTenantAdminInvite(expiring.inviteTokenHash, 'hash', 'now'), 'invalid', 'at');
    expect(await repo.getTenantAdmin(late.id)).toEqual(late);
    expect((await repo.tenantAdminByEmail('late@example.com'))?.passwordHash).toBeUndefined();
    expect(await repo.sequence()).toBe(seq);
    // Still open a moment before expiry: accepted once; the used token never works again.
    const accepted = await repo.acceptTenantAdminInvite(expiring.inviteTokenHash, 'first-hash', iso(50_000));
    expect(accepted.status).toBe('active');
    await expectRepoError(repo.acceptTenantAdminInvite(expiring.inviteTokenHash, 'second-hash', iso()), 'not-found', 'inviteTokenHash');
    expect((await repo.tenantAdminByEmail('late@example.com'))?.passwordHash).toBe('first-hash');
    const accepts = (await repo.pendingAdminEvents(1000)).filter((e) => e.event === 'ADMIN_CHANGE_PERMISSIONS');
    expect(accepts.map((e) => [e.actor, e.details['tenantAdminId']])).toEqual([[{ kind: 'tenant-admin', id: late.id }, late.id]]);
  });
}
