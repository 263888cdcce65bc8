import { BrokerRepository, KmsConfigPatch } from './repository';
import { adminEventConformance } from './repository-conformance-events';
import { tenantAdminConformance } from './repository-conformance-admins';
import {
  ConformanceHarness,
  expectNoSecrets,
  expectRepoError,
  inviteFor,
  loggingConfig,
  newKmsConfig,
  newServiceAccount,
  newTenantSecret,
  SecretMaker,
  V,
} from './repository-conformance-fixtures';
import { tenantSecretConformance } from './repository-conformance-secrets';

export interface RepositoryConformanceExtra {
  /**
   * Opens ANOTHER repository instance on the same store as `first` (another connection, as a
   * second broker process would have). When given, the suite also races writes across the two
   * instances; it closes the second instance after the test.
   */
  openSecond?: (first: BrokerRepository) => Promise<BrokerRepository>;
  /** Registers back-end specific tests inside the suite; `repo()` is the running test's repository. */
  tests?: (repo: () => BrokerRepository) => void;
}

/**
 * The jest suite every BrokerRepository back end passes (SQLite and PostgreSQL).
 * Precondition: `open()` gives a NEW, EMPTY store each time; the suite closes it after each test.
 */
export function repositoryConformance(name: string, open: () => Promise<BrokerRepository>, extra: RepositoryConformanceExtra = {}): void {
  describe(`${name} broker repository conformance`, () => {
    let repo: BrokerRepository;
    let secrets: SecretMaker;
    let seconds: BrokerRepository[] = [];
    beforeEach(async () => {
      repo = await open();
      secrets = new SecretMaker();
    });
    afterEach(async () => {
      for (const r of seconds) await r.close();
      seconds = [];
      await repo.close();
    });
    const openSecond = extra.openSecond;
    const harness: ConformanceHarness = {
      repo: () => repo,
      secrets: () => secrets,
      ...(openSecond === undefined
        ? {}
        : {
            second: async () => {
              const r = await openSecond(repo);
              seconds.push(r);
              return r;
            },
          }),
    };

    it('starts at sequence 1 and reads do not change it', async () => {
      expect(await repo.sequence()).toBe(1);
      await repo.listTenants();
      await repo.getTenant('t1');
      await repo.listServiceAccounts();
      expect(await repo.sequence()).toBe(1);
    });

    it('creates, reads, lists, updates and deletes tenants', async () => {
      const t = await repo.createTenant({ id: 't1', name: 'Tenant One', tags: ['eu', 'eu', 'gold'] }, V);
      expect(t).toMatchObject({ id: 't1', name: 'Tenant One', tags: ['eu', 'gold'], archived: false, leasingRequired: false });
      expect(Date.parse(t.createdAt)).not.toBeNaN();
      expect(await repo.getTenant('t1')).toEqual(t);
      await repo.createTenant({ id: 't0', name: 'Zero', tags: ['us'], leasingRequired: true }, V);
      await repo.createTenant({ id: 't2', name: 'Archived', tags: ['eu'], archived: true }, V);
      expect((await repo.listTenants()).map((x) => x.id)).toEqual(['t0', 't1']);
      expect((await repo.listTenants({ includeArchived: true })).map((x) => x.id)).toEqual(['t0', 't1', 't2']);
      expect((await repo.listTenants({ tag: 'eu' })).map((x) => x.id)).toEqual(['t1']);
      expect((await repo.listTenants({ tag: 'eu', includeArchived: true })).map((x) => x.id)).toEqual(['t1', 't2']);
      const u = await repo.updateTenant('t1', { name: 'Renamed', tags: ['us'], leasingRequired: true, archived: true }, V);
      expect(u).toMatchObject({ id: 't1', name: 'Renamed', tags: ['us'], leasingRequired: true, archived: true, createdAt: t.createdAt });
      expect(await repo.getTenant('t1')).toEqual(u);
      expect((await repo.updateTenant('t1', { archived: false }, V)).name).toBe('Renamed');
      await repo.deleteTenant('t1', V);
      expect(await repo.getTenant('t1')).toBeUndefined();
      expect(await repo.getTenant('nope')).toBeUndefined();
    });

    it('refuses duplicate, missing and invalid tenants naming the field, without a sequence bump', async () => {
      await repo.createTenant({ id: 't1', name: 'One' }, V);
      const seq = await repo.sequence();
      await expectRepoError(repo.createTenant({ id: 't1', name: 'Again' }, V), 'conflict', 'id');
      await expectRepoError(repo.updateTenant('nope', { name: 'x' }, V), 'not-found', 'id');
      await expectRepoError(repo.deleteTenant('nope', V), 'not-found', 'id');
      await expectRepoError(repo.createTenant({ id: '', name: 'x' }, V), 'invalid', 'id');
      await expectRepoError(repo.createTenant({ id: 't9', name: '' }, V), 'invalid', 'name');
      await expectRepoError(repo.createTenant({ id: 't9', name: 'x', tags: [''] }, V), 'invalid', 'tags');
      await expectRepoError(repo.updateTenant('t1', { tags: 'eu' as unknown as string[] }, V), 'invalid', 'tags');
      expect(await repo.sequence()).toBe(seq);
      expect((await repo.getTenant('t1'))?.name).toBe('One');
    });

    it('assigns KMS config ids (positive int32, unique, never reused) and reads them without credentials', async () => {
      await repo.createTenant({ id: 't1', name: 'One' }, V);
      await repo.createTenant({ id: 't2', name: 'Two' }, V);
      const a = await repo.createKmsConfig(newKmsConfig('t1', secrets), V);
      const b = await repo.createKmsConfig(newKmsConfig('t2', secrets, { type: 'gcp', endpoint: 'http://127.0.0.1:1', leasingAllowed: true, leasingLifetimeSeconds: 600, active: false }), V);
      for (const c of [a, b]) {
        expect(Number.isInteger(c.id) && c.id >= 1 && c.id <= 2147483647).toBe(true);
        expect(c).not.toHaveProperty('credentials');
      }
      expect(b.id).toBeGreaterThan(a.id);
      expect(a).toMatchObject({ tenantId: 't1', type: 'aws', active: true, primary: false, leasingAllowed: false, hasCredentials: true });
      expect(b).toMatchObject({ tenantId: 't2', type: 'gcp', endpoint: 'http://127.0.0.1:1', active: false, leasingAllowed: true, leasingLifetimeSeconds: 600 });
      expect(await repo.getKmsConfig(a.id)).toEqual(a);
      expect(await repo.listKmsConfigs('t1')).toEqual([a]);
      await repo.deleteKmsConfig(b.id, V);
      expect(await repo.getKmsConfig(b.id)).toBeUndefined();
      const c = await repo.createKmsConfig(newKmsConfig('t2', secrets), V);
      expect(c.id).toBeGreaterThan(b.id);
      expect(await repo.listKmsConfigs('t2')).toEqual([c]);
      expectNoSecrets([a, b, c, await repo.listKmsConfigs('t1')], secrets.secrets);
    });

    it('takes explicit KMS config ids once ever (deleted ones included); assigned ids skip them', async () => {
      await repo.createTenant({ id: 't1', name: 'One' }, V);
      const a = await repo.createKmsConfig(newKmsConfig('t1', secrets), V);
      const x = await repo.createKmsConfig(newKmsConfig('t1', secrets, { id: a.id + 1 }), V);
      expect(x.id).toBe(a.id + 1);
      expect(await repo.getKmsConfig(x.id)).toEqual(x);
      const far = await repo.createKmsConfig(newKmsConfig('t1', secrets, { id: 2147483647 }), V);
      expect(far.id).toBe(2147483647);
      const b = await repo.createKmsConfig(newKmsConfig('t1', secrets), V);
      expect(b.id).toBe(a.id + 2);
      await repo.createKmsConfig(newKmsConfig('t1', secrets, { id: b.id + 2 }), V);
      await repo.deleteKmsConfig(x.id, V);
      const seq = await repo.sequence();
      for (const used of [a.id, x.id, b.id, b.id + 2, far.id]) {
        await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { id: used }), V), 'conflict', 'id');
      }
      for (const wrong of [0, -1, 1.5, 2147483648]) {
        await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { id: wrong }), V), 'invalid', 'id');
      }
      expect(await repo.sequence()).toBe(seq);
      expect((await repo.createKmsConfig(newKmsConfig('t1', secrets), V)).id).toBe(b.id + 1);
      expect((await repo.createKmsConfig(newKmsConfig('t1', secrets), V)).id).toBe(b.id + 3);
      expect((await repo.listKmsConfigs('t1')).map((c) => c.id)).toEqual([a.id, b.id, b.id + 1, b.id + 2, b.id + 3, far.id]);
    });

    it('updates KMS configs, keeps keyPath and type immutable, replaces credentials write-only', async () => {
      await repo.createTenant({ id: 't1', name: 'One' }, V);
      const sa = await repo.createServiceAccount(newServiceAccount('sa', []));
      const a = await repo.createKmsConfig(newKmsConfig('t1', secrets), V);
      const fresh = secrets.make('replaced');
      const u = await repo.updateKmsConfig(a.id, { endpoint: 'http://127.0.0.1:2', leasingAllowed: true, leasingLifetimeSeconds: 60, credentials: { secretAccessKey: fresh } }, V);
      expect(u).toMatchObject({ id: a.id, keyPath: a.keyPath, type: 'aws', endpoint: 'http://127.0.0.1:2', leasingAllowed: true, leasingLifetimeSeconds: 60, hasCredentials: true });
      expectNoSecrets(u, secrets.secrets);
      const [doc] = await repo.tenantsForDocument(sa.id);
      expect(doc.kmsConfigs[0].credentials).toEqual({ secretAccessKey: fresh });
      await expectRepoError(repo.updateKmsConfig(a.id, { keyPath: { arn: 'other' } } as unknown as KmsConfigPatch, V), 'invalid', 'keyPath');
      await expectRepoError(repo.updateKmsConfig(a.id, { type: 'gcp' } as unknown as KmsConfigPatch, V), 'invalid', 'type');
      expect(await repo.getKmsConfig(a.id)).toEqual(u);
      await expectRepoError(repo.updateKmsConfig(999999, { active: true }, V), 'not-found', 'id');
      await expectRepoError(repo.deleteKmsConfig(999999, V), 'not-found', 'id');
      await expectRepoError(repo.createKmsConfig(newKmsConfig('nope', secrets), V), 'not-found', 'tenantId');
      await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { type: 'vault' as 'aws' }), V), 'invalid', 'type');
      await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { keyPath: 'k' as unknown as Record<string, unknown> }), V), 'invalid', 'keyPath');
      await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { leasingLifetimeSeconds: 0 }), V), 'invalid', 'leasingLifetimeSeconds');
      expect(await repo.listKmsConfigs('t1')).toHaveLength(1);
    });

    it('keeps at most one active primary per tenant', async () => {
      await repo.createTenant({ id: 't1', name: 'One' }, V);
      await repo.createTenant({ id: 't2', name: 'Two' }, V);
      const other = await repo.createKmsConfig(newKmsConfig('t2', secrets, { primary: true }), V);
      const a = await repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true }), V);
      const b = await repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true }), V);
      const primaries = async (t: string): Promise<number[]> => (await repo.listKmsConfigs(t)).filter((c) => c.primary).map((c) => c.id);
      expect(await primaries('t1')).toEqual([b.id]);
      await repo.updateKmsConfig(a.id, { primary: true }, V);
      expect(await primaries('t1')).toEqual([a.id]);
      expect(await primaries('t2')).toEqual([other.id]);
      await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true, active: false }), V), 'invalid', 'primary');
      await expectRepoError(repo.updateKmsConfig(a.id, { active: false }, V), 'invalid', 'primary');
      await expectRepoError(repo.updateKmsConfig(b.id, { active: false, primary: true }, V), 'invalid', 'primary');
      expect(await primaries('t1')).toEqual([a.id]);
      expect((await repo.getKmsConfig(a.id))?.active).toBe(true);
      const d = await repo.updateKmsConfig(a.id, { active: false, primary: false }, V);
      expect(d).toMatchObject({ active: false, primary: false });
      expect(await primaries('t1')).toEqual([]);
    });

    it('stores logging configs and reads them without sink credentials', async () => {
      await repo.createTenant({ id: 't1', name: 'One' }, V);
      const v = await repo.putLoggingConfig('t1', loggingConfig(secrets), V);
      expect(v).toMatchObject({
        tenantId: 't1',
        sinks: [
          { id: 'splunk', type: 'splunk-hec', settings: { url: 'https://127.0.0.1:8088', index: 'tsp' }, hasCredentials: true },
          { id: 'out', type: 'stdout', settings: {}, hasCredentials: false },
        ],
        rateLimit: { eventsPerSecond: 100, burst: 500 },
        batch: { maxEvents: 50 },
      });
      expect(await repo.getLoggingConfig('t1')).toEqual(v);
      const replaced = await repo.putLoggingConfig('t1', { sinks: [{ id: 'out', type: 'stdout' }] }, V);
      expect(replaced.sinks).toEqual([{ id: 'out', type: 'stdout', settings: {}, hasCredentials: false }]);
      expect(replaced.rateLimit).toBeUndefined();
      expectNoSecrets([v, replaced, await repo.getLoggingConfig('t1')], secrets.secrets);
      await repo.deleteLoggingConfig('t1', V);
      expect(await repo.getLoggingConfig('t1')).toBeUndefined();
      await expectRepoError(repo.deleteLoggingConfig('t1', V), 'not-found', 'tenantId');
      await expectRepoError(repo.putLoggingConfig('nope', loggingConfig(secrets), V), 'not-found', 'tenantId');
      const e = await expectRepoError(repo.putLoggingConfig('t1', { sinks: [{ id: 'bad id!', type: 'stdout' }] }, V), 'invalid', 'logging.sinks.0.id');
      expect(e.message).not.toContain('bad id!');
      await expectRepoError(repo.putLoggingConfig('t1', { sinks: [] }, V), 'invalid', 'logging.sinks');
    });

    it('creates, lists and revokes service accounts', async () => {
      const input = newServiceAccount('sa1', ['eu']);
      const sa = await repo.createServiceAccount(input);
      expect(sa).toMatchObject(input);
      expect(sa.revokedAt).toBeUndefined();
      expect(await repo.getServiceAccount('sa1')).toEqual(sa);
      await repo.createServiceAccount(newServiceAccount('sa0', []));
      expect((await repo.listServiceAccounts()).map((s) => s.id)).toEqual(['sa0', 'sa1']);
      await expectRepoError(repo.createServiceAccount(newServiceAccount('sa1', [])), 'conflict', 'id');
      const swapped = newServiceAccount('sa2', []);
      await expectRepoError(repo.createServiceAccount({ ...swapped, encryptionPublicKey: swapped.signingPublicKey }), 'invalid', 'encryptionPublicKey');
      await expectRepoError(repo.createServiceAccount({ ...swapped, signingPublicKey: 'not a key' }), 'invalid', 'signingPublicKey');
      const r = await repo.revokeServiceAccount('sa1');
      expect(Date.parse(r.revokedAt ?? '')).not.toBeNaN();
      expect(await repo.getServiceAccount('sa1')).toEqual(r);
      await expectRepoError(repo.revokeServiceAccount('nope'), 'not-found', 'id');
      expect(await repo.getServiceAccount('nope')).toBeUndefined();
    });

    it('selects tenants for a document by tag, skips archived ones and gives revoked accounts nothing', async () => {
      await repo.createTenant({ id: 'eu1', name: 'x', tags: ['eu'] }, V);
      await repo.createTenant({ id: 'us1', name: 'x', tags: ['us', 'gold'] }, V);
      await repo.createTenant({ id: 'none', name: 'x' }, V);
      await repo.createTenant({ id: 'euOld', name: 'x', tags: ['eu'], archived: true }, V);
      await repo.createServiceAccount(newServiceAccount('all', []));
      await repo.createServiceAccount(newServiceAccount('eu', ['eu']));
      await repo.createServiceAccount(newServiceAccount('eugold', ['eu', 'gold']));
      await repo.createServiceAccount(newServiceAccount('nobody', ['asia']));
      const ids = async (sa: string): Promise<string[]> => (await repo.tenantsForDocument(sa)).map((t) => t.tenant.id).sort();
      expect(await ids('all')).toEqual(['eu1', 'none', 'us1']);
      expect(await ids('eu')).toEqual(['eu1']);
      expect(await ids('eugold')).toEqual(['eu1', 'us1']);
      expect(await ids('nobody')).toEqual([]);
      await repo.revokeServiceAccount('all');
      expect(await repo.tenantsForDocument('all')).toEqual([]);
      await expectRepoError(repo.tenantsForDocument('nope'), 'not-found', 'serviceAccountId');
    });

    it('gives secrets decrypted only through tenantsForDocument', async () => {
      await repo.createTenant({ id: 't1', name: 'One', tags: ['eu'] }, V);
      const sa = await repo.createServiceAccount(newServiceAccount('sa', ['eu']));
      const k = newKmsConfig('t1', secrets, { primary: true });
      const kms = await repo.createKmsConfig(k, V);
      const logging = loggingConfig(secrets);
      await repo.putLoggingConfig('t1', logging, V);
      const wrapped = secrets.material('wrapped-secret');
      const { secret: created } = await repo.createTenantSecret(newTenantSecret('t1', 'path/a', 'deterministic', wrapped), V);
      const reads: unknown[] = [
        kms, await repo.getTenantSecret(created.id), await repo.listTenantSecrets('t1'), await repo.getTenant('t1'), await repo.listTenants({ includeArchived: true }), await repo.getKmsConfig(kms.id),
        await repo.listKmsConfigs('t1'), await repo.getLoggingConfig('t1'), await repo.listServiceAccounts(), await repo.getServiceAccount(sa.id),
        await repo.updateKmsConfig(kms.id, { leasingAllowed: true }, V), await repo.putLoggingConfig('t1', logging, V), await repo.updateTenant('t1', { name: 'n' }, V),
      ];
      expectNoSecrets(reads, secrets.secrets);
      const [doc] = await repo.tenantsForDocument(sa.id);
      expect(doc.kmsConfigs).toEqual([{ ...(await repo.getKmsConfig(kms.id)), credentials: k.credentials }]);
      expect(doc.logging).toEqual(logging);
      expect(doc.tenant).toEqual(await repo.getTenant('t1'));
      expect(created).toMatchObject({ tenantId: 't1', secretPath: 'path/a', secretType: 'deterministic', status: 'current', encryptedSecret: wrapped });
      expect(created.id).toBeGreaterThanOrEqual(1);
      expect(doc.secrets).toEqual([created]);
      const text = JSON.stringify(doc);
      for (const s of secrets.secrets) expect(text).toContain(s);
    });

    it('bumps the sequence on every write, strictly', async () => {
      let last = await repo.sequence();
      const step = async (write: () => Promise<unknown>): Promise<void> => {
        await write();
        const seq = await repo.sequence();
        expect(seq).toBeGreaterThan(last);
        await repo.listTenants();
        expect(await repo.sequence()).toBe(seq);
        last = seq;
      };
      /** Not document changes: no bump. */
      const same = async (write: () => Promise<unknown>): Promise<void> => {
        await write();
        expect(await repo.sequence()).toBe(last);
      };
      let id = 0;
      let secretId = 0;
      let adminId = '';
      await step(() => repo.createTenant({ id: 't1', name: 'One' }, V));
      await step(() => repo.updateTenant('t1', { tags: ['eu'] }, V));
      await step(async () => (id = (await repo.createKmsConfig(newKmsConfig('t1', secrets), V)).id));
      await step(() => repo.updateKmsConfig(id, { primary: true }, V));
      await step(() => repo.putLoggingConfig('t1', loggingConfig(secrets), V));
      await step(() => repo.deleteLoggingConfig('t1', V));
      await step(async () => (secretId = (await repo.createTenantSecret(newTenantSecret('t1', 'p', 'search', 'AAAA'), V)).secret.id));
      await same(() => repo.createTenantSecret(newTenantSecret('t1', 'p', 'search', 'BBBB'), V));
      await step(() => repo.setTenantSecretStatus(secretId, 'inRotation', V));
      const invite = inviteFor('t1', 'admin@example.com');
      await step(async () => (adminId = (await repo.inviteTenantAdmin(invite, V)).id));
      await step(() => repo.acceptTenantAdminInvite(invite.inviteTokenHash, 'password-hash', new Date().toISOString()));
      await same(() => repo.recordTenantAdminLogin(adminId, new Date().toISOString()));
      await same(async () => repo.ackAdminEvents((await repo.pendingAdminEvents(3)).map((e) => e.id)));
      await step(() => repo.deleteTenantAdmin(adminId, V));
      await step(() => repo.createServiceAccount(newServiceAccount('sa', [])));
      await step(() => repo.revokeServiceAccount('sa'));
      await step(() => repo.deleteKmsConfig(id, V));
      await step(() => repo.deleteTenant('t1', V));
    });

    it('deletes everything of a tenant with it', async () => {
      await repo.createTenant({ id: 't1', name: 'One' }, V);
      await repo.createTenant({ id: 't2', name: 'Two' }, V);
      const sa = await repo.createServiceAccount(newServiceAccount('sa', []));
      const kms = await repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true }), V);
      const kept = await repo.createKmsConfig(newKmsConfig('t2', secrets), V);
      await repo.putLoggingConfig('t1', loggingConfig(secrets), V);
      await repo.putLoggingConfig('t2', loggingConfig(secrets), V);
      const { secret } = await repo.createTenantSecret(newTenantSecret('t1', 'p', 'vector', 'AAAA', 'inRotation'), V);
      const admin = await repo.inviteTenantAdmin(inviteFor('t1', 'gone@example.com'), V);
      const other = await repo.inviteTenantAdmin(inviteFor('t2', 'kept@example.com'), V);
      const eventsBefore = await repo.pendingAdminEvents(1000);
      await repo.deleteTenant('t1', V);
      expect(await repo.getTenantSecret(secret.id)).toBeUndefined();
      expect(await repo.listTenantSecrets('t1')).toEqual([]);
      expect(await repo.getTenantAdmin(admin.id)).toBeUndefined();
      expect(await repo.tenantAdminByEmail('gone@example.com')).toBeUndefined();
      expect(await repo.listTenantAdmins('t1')).toEqual([]);
      expect(await repo.getTenantAdmin(other.id)).toEqual(other);
      const eventsAfter = await repo.pendingAdminEvents(1000);
      expect(eventsAfter.slice(0, eventsBefore.length)).toEqual(eventsBefore);
      expect(eventsAfter.slice(eventsBefore.length).map((e) => [e.tenantId, e.details['action']])).toEqual([['t1', 'tenant.delete']]);
      expect(await repo.getKmsConfig(kms.id)).toBeUndefined();
      expect(await repo.getLoggingConfig('t1')).toBeUndefined();
      expect(await repo.listKmsConfigs('t1')).toEqual([]);
      expect(await repo.getKmsConfig(kept.id)).toBeDefined();
      expect(await repo.getLoggingConfig('t2')).toBeDefined();
      await repo.createTenant({ id: 't1', name: 'Reborn' }, V);
      const docs = await repo.tenantsForDocument(sa.id);
      expect(docs.map((d) => d.tenant.id)).toEqual(['t1', 't2']);
      expect(docs[0]).toMatchObject({ kmsConfigs: [], logging: undefined, secrets: [] });
    });

    adminEventConformance(harness);
    tenantSecretConformance(harness);
    tenantAdminConformance(harness);

    extra.tests?.(() => repo);
  });
}
