import { AdminEventRecord, ChangeContext } from './repository';
import {
  ConformanceHarness,
  expectNoSecrets,
  expectRepoError,
  inviteFor,
  loggingConfig,
  newKmsConfig,
  newServiceAccount,
  newTenantSecret,
  sha256Hex,
  V,
} from './repository-conformance-fixtures';

/** The admin event outbox part of the repository conformance suite (see repository-conformance.ts). */
export function adminEventConformance(h: ConformanceHarness): void {
  const tenantAdminCtx: ChangeContext = { actor: { kind: 'tenant-admin', id: 'ta_admin1' } };
  const proxyCtx: ChangeContext = { actor: { kind: 'service-account', id: 'sa-proxy' } };
  const all = (): Promise<AdminEventRecord[]> => h.repo().pendingAdminEvents(10000);
  /** Event, tenant, actor and details of each event (ids and times checked apart). */
  const shape = (events: AdminEventRecord[]): unknown[] => events.map((e) => [e.event, e.tenantId, `${e.actor.kind}:${e.actor.id}`, e.details]);

  it('appends one ADMIN_* event per tenant-scoped change: actor, ids and changed field names, never a secret', async () => {
    const repo = h.repo();
    const secrets = h.secrets();
    const started = Date.now();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    await repo.updateTenant('t1', { tags: ['eu'], name: 'Uno' }, tenantAdminCtx);
    const kms = await repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true }), V);
    await repo.updateKmsConfig(kms.id, { credentials: { secretAccessKey: secrets.make('rotated') }, leasingAllowed: true }, tenantAdminCtx);
    await repo.putLoggingConfig('t1', loggingConfig(secrets), tenantAdminCtx);
    await repo.deleteLoggingConfig('t1', V);
    const material = secrets.material('wrapped');
    const { secret } = await repo.createTenantSecret(newTenantSecret('t1', 'ssn', 'deterministic', material), proxyCtx);
    await repo.createTenantSecret(newTenantSecret('t1', 'ssn', 'deterministic', secrets.material('again')), proxyCtx);
    await repo.setTenantSecretStatus(secret.id, 'inRotation', V);
    const invite = inviteFor('t1', 'Admin@Example.com');
    const admin = await repo.inviteTenantAdmin(invite, V);
    const passwordHash = secrets.make('password-hash');
    await repo.acceptTenantAdminInvite(invite.inviteTokenHash, passwordHash, new Date().toISOString());
    await repo.recordTenantAdminLogin(admin.id, new Date().toISOString());
    await repo.deleteTenantAdmin(admin.id, V);
    await repo.createServiceAccount(newServiceAccount('sa', []));
    await repo.revokeServiceAccount('sa');
    await repo.deleteKmsConfig(kms.id, V);
    await repo.deleteTenant('t1', V);

    const events = await all();
    const v = 'vendor-admin:vendor-admin';
    const ta = 'tenant-admin:ta_admin1';
    expect(shape(events)).toEqual([
      ['ADMIN_CHANGE_SETTING', 't1', v, { action: 'tenant.create' }],
      ['ADMIN_CHANGE_SETTING', 't1', ta, { action: 'tenant.update', changed: ['name', 'tags'] }],
      ['ADMIN_CHANGE_SETTING', 't1', v, { action: 'kms-config.create', kmsConfigId: kms.id, type: 'aws', primary: true }],
      ['ADMIN_CHANGE_SETTING', 't1', ta, { action: 'kms-config.update', kmsConfigId: kms.id, changed: ['credentials', 'leasingAllowed'] }],
      ['ADMIN_CHANGE_SETTING', 't1', ta, { action: 'logging-config.put', sinkIds: ['splunk', 'out'] }],
      ['ADMIN_CHANGE_SETTING', 't1', v, { action: 'logging-config.delete' }],
      [
        'ADMIN_CHANGE_SETTING', 't1', 'service-account:sa-proxy',
        { action: 'tenant-secret.create', tenantSecretId: secret.id, secretPath: 'ssn', secretType: 'deterministic', status: 'current' },
      ],
      [
        'ADMIN_CHANGE_SETTING', 't1', v,
        { action: 'tenant-secret.status', tenantSecretId: secret.id, secretPath: 'ssn', secretType: 'deterministic', from: 'current', to: 'inRotation' },
      ],
      ['ADMIN_ADD', 't1', v, { action: 'tenant-admin.invite', tenantAdminId: admin.id, email: 'admin@example.com' }],
      ['ADMIN_CHANGE_PERMISSIONS', 't1', `tenant-admin:${admin.id}`, { action: 'tenant-admin.accept', tenantAdminId: admin.id, email: 'admin@example.com' }],
      ['ADMIN_REMOVE', 't1', v, { action: 'tenant-admin.delete', tenantAdminId: admin.id, email: 'admin@example.com' }],
      ['ADMIN_CHANGE_SETTING', 't1', v, { action: 'kms-config.delete', kmsConfigId: kms.id }],
      ['ADMIN_CHANGE_SETTING', 't1', v, { action: 'tenant.delete' }],
    ]);
    for (let i = 1; i < events.length; i++) expect(events[i].id).toBeGreaterThan(events[i - 1].id);
    for (const e of events) {
      expect(Number.isSafeInteger(e.id) && e.id >= 1).toBe(true);
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(started - 1000);
      expect(Date.parse(e.at)).toBeLessThanOrEqual(Date.now() + 1000);
    }
    expect(secrets.secrets).toContain(passwordHash);
    expectNoSecrets(events, [...secrets.secrets, invite.inviteTokenHash, 'AKIDEXAMPLE']);
  });

  it('a failing write emits nothing and bumps nothing (the event is in the transaction of the change)', async () => {
    const repo = h.repo();
    const secrets = h.secrets();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const kms = await repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true }), V);
    const { secret } = await repo.createTenantSecret(newTenantSecret('t1', 'p', 'search', 'AAAA'), V);
    await repo.inviteTenantAdmin(inviteFor('t1', 'taken@example.com'), V);
    const before = await all();
    const seq = await repo.sequence();
    await expectRepoError(repo.createTenant({ id: 't1', name: 'Again' }, V), 'conflict', 'id');
    await expectRepoError(repo.updateTenant('nope', { name: 'x' }, V), 'not-found', 'id');
    await expectRepoError(repo.createKmsConfig(newKmsConfig('nope', secrets), V), 'not-found', 'tenantId');
    await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { id: kms.id }), V), 'conflict', 'id');
    await expectRepoError(repo.updateKmsConfig(kms.id, { active: false }, V), 'invalid', 'primary');
    await expectRepoError(repo.deleteLoggingConfig('t1', V), 'not-found', 'tenantId');
    await expectRepoError(repo.putLoggingConfig('t1', { sinks: [] }, V), 'invalid', 'logging.sinks');
    await expectRepoError(repo.setTenantSecretStatus(secret.id, 'archived', V), 'invalid', 'status');
    await expectRepoError(repo.inviteTenantAdmin(inviteFor('t1', 'TAKEN@example.com'), V), 'conflict', 'email');
    await expectRepoError(repo.acceptTenantAdminInvite(sha256Hex('unknown'), 'hash', new Date().toISOString()), 'not-found', 'inviteTokenHash');
    await expectRepoError(repo.deleteTenantAdmin('ta_nope', V), 'not-found', 'id');
    await expectRepoError(repo.deleteTenant('nope', V), 'not-found', 'id');
    expect(await all()).toEqual(before);
    expect(await repo.sequence()).toBe(seq);
  });

  it('refuses a write without a valid change context, naming the field', async () => {
    const repo = h.repo();
    await expectRepoError(repo.createTenant({ id: 't1', name: 'One' }, undefined as unknown as ChangeContext), 'invalid', 'actor');
    await expectRepoError(repo.createTenant({ id: 't1', name: 'One' }, { actor: { kind: 'root', id: 'x' } } as unknown as ChangeContext), 'invalid', 'actor.kind');
    await expectRepoError(repo.createTenant({ id: 't1', name: 'One' }, { actor: { kind: 'system', id: '' } }), 'invalid', 'actor.id');
    expect(await repo.getTenant('t1')).toBeUndefined();
    expect(await all()).toEqual([]);
    expect(await repo.sequence()).toBe(1);
  });

  it('gives pending events oldest first up to the limit; ack removes them; ids keep growing; a deleted tenant keeps its events', async () => {
    const repo = h.repo();
    for (const t of ['a', 'b', 'c']) await repo.createTenant({ id: t, name: t }, V);
    await repo.deleteTenant('b', V);
    const events = await all();
    expect(events.map((e) => [e.tenantId, e.details['action']])).toEqual([
      ['a', 'tenant.create'],
      ['b', 'tenant.create'],
      ['c', 'tenant.create'],
      ['b', 'tenant.delete'],
    ]);
    expect(await repo.pendingAdminEvents(2)).toEqual(events.slice(0, 2));
    const seq = await repo.sequence();
    await repo.ackAdminEvents([events[0].id, events[2].id]);
    expect(await repo.pendingAdminEvents(2)).toEqual([events[1], events[3]]);
    await repo.ackAdminEvents([events[0].id, events[1].id]);
    await repo.ackAdminEvents([]);
    expect(await all()).toEqual([events[3]]);
    expect(await repo.sequence()).toBe(seq);
    await repo.ackAdminEvents([events[3].id]);
    expect(await all()).toEqual([]);
    await repo.updateTenant('a', { name: 'A' }, V);
    const [next] = await all();
    expect(next.id).toBeGreaterThan(events[3].id);
    await expectRepoError(repo.pendingAdminEvents(0), 'invalid', 'limit');
    await expectRepoError(repo.pendingAdminEvents(1.5), 'invalid', 'limit');
    await expectRepoError(repo.ackAdminEvents([0]), 'invalid', 'ids');
    await expectRepoError(repo.ackAdminEvents('1' as unknown as number[]), 'invalid', 'ids');
  });

  (h.second === undefined ? it.skip : it)('shares one outbox between instances on the same store', async () => {
    const repo = h.repo();
    const other = await h.second!();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    await other.updateTenant('t1', { name: 'Uno' }, V);
    await repo.updateTenant('t1', { name: 'Eins' }, V);
    const events = await other.pendingAdminEvents(10);
    expect(events.map((e) => e.details['action'])).toEqual(['tenant.create', 'tenant.update', 'tenant.update']);
    expect(await repo.pendingAdminEvents(10)).toEqual(events);
    await other.ackAdminEvents([events[0].id]);
    expect(await repo.pendingAdminEvents(10)).toEqual(events.slice(1));
    expect(await other.sequence()).toBe(await repo.sequence());
  });
}
