import type { SecretStatus, TenantSecretType } from '@tsp/config-crypto';
import { BrokerRepository, KmsConfigPatch, TenantSecretView } from './repository';
import { expectNoSecrets, expectRepoError, loggingConfig, newKmsConfig, newServiceAccount, SecretMaker } from './repository-conformance-fixtures';

export interface RepositoryConformanceExtra {
  /**
   * Adds a tenant secret (not on the BrokerRepository contract yet). When given, the suite
   * also checks secrets in tenantsForDocument, their absence from other reads and their cascade.
   */
  createTenantSecret?: (
    repo: BrokerRepository,
    tenantId: string,
    secretPath: string,
    secretType: TenantSecretType,
    encryptedSecret: string,
    status?: SecretStatus,
  ) => Promise<TenantSecretView>;
  /** Registers back-end specific tests inside the suite; `repo()` is the running test's repository. */
  tests?: (repo: () => BrokerRepository) => void;
}

/**
 * The jest suite every BrokerRepository back end passes (SQLite now, PostgreSQL later).
 * Precondition: `open()` gives a NEW, EMPTY store each time; the suite closes it after each test.
 */
export function repositoryConformance(name: string, open: () => Promise<BrokerRepository>, extra: RepositoryConformanceExtra = {}): void {
  describe(`${name} broker repository conformance`, () => {
    let repo: BrokerRepository;
    let secrets: SecretMaker;
    beforeEach(async () => {
      repo = await open();
      secrets = new SecretMaker();
    });
    afterEach(async () => {
      await repo.close();
    });

    it('starts at sequence 1 and reads do not change it', async () => {
      expect(await repo.sequence()).toBe(1);
      await repo.listTenants();
      await repo.getTenant('t1');
      await repo.listServiceAccounts();
      expect(await repo.sequence()).toBe(1);
    });

    it('creates, reads, lists, updates and deletes tenants', async () => {
      const t = await repo.createTenant({ id: 't1', name: 'Tenant One', tags: ['eu', 'eu', 'gold'] });
      expect(t).toMatchObject({ id: 't1', name: 'Tenant One', tags: ['eu', 'gold'], archived: false, leasingRequired: false });
      expect(Date.parse(t.createdAt)).not.toBeNaN();
      expect(await repo.getTenant('t1')).toEqual(t);
      await repo.createTenant({ id: 't0', name: 'Zero', tags: ['us'], leasingRequired: true });
      await repo.createTenant({ id: 't2', name: 'Archived', tags: ['eu'], archived: true });
      expect((await repo.listTenants()).map((x) => x.id)).toEqual(['t0', 't1']);
      expect((await repo.listTenants({ includeArchived: true })).map((x) => x.id)).toEqual(['t0', 't1', 't2']);
      expect((await repo.listTenants({ tag: 'eu' })).map((x) => x.id)).toEqual(['t1']);
      expect((await repo.listTenants({ tag: 'eu', includeArchived: true })).map((x) => x.id)).toEqual(['t1', 't2']);
      const u = await repo.updateTenant('t1', { name: 'Renamed', tags: ['us'], leasingRequired: true, archived: true });
      expect(u).toMatchObject({ id: 't1', name: 'Renamed', tags: ['us'], leasingRequired: true, archived: true, createdAt: t.createdAt });
      expect(await repo.getTenant('t1')).toEqual(u);
      expect((await repo.updateTenant('t1', { archived: false })).name).toBe('Renamed');
      await repo.deleteTenant('t1');
      expect(await repo.getTenant('t1')).toBeUndefined();
      expect(await repo.getTenant('nope')).toBeUndefined();
    });

    it('refuses duplicate, missing and invalid tenants naming the field, without a sequence bump', async () => {
      await repo.createTenant({ id: 't1', name: 'One' });
      const seq = await repo.sequence();
      await expectRepoError(repo.createTenant({ id: 't1', name: 'Again' }), 'conflict', 'id');
      await expectRepoError(repo.updateTenant('nope', { name: 'x' }), 'not-found', 'id');
      await expectRepoError(repo.deleteTenant('nope'), 'not-found', 'id');
      await expectRepoError(repo.createTenant({ id: '', name: 'x' }), 'invalid', 'id');
      await expectRepoError(repo.createTenant({ id: 't9', name: '' }), 'invalid', 'name');
      await expectRepoError(repo.createTenant({ id: 't9', name: 'x', tags: [''] }), 'invalid', 'tags');
      await expectRepoError(repo.updateTenant('t1', { tags: 'eu' as unknown as string[] }), 'invalid', 'tags');
      expect(await repo.sequence()).toBe(seq);
      expect((await repo.getTenant('t1'))?.name).toBe('One');
    });

    it('assigns KMS config ids (positive int32, unique, never reused) and reads them without credentials', async () => {
      await repo.createTenant({ id: 't1', name: 'One' });
      await repo.createTenant({ id: 't2', name: 'Two' });
      const a = await repo.createKmsConfig(newKmsConfig('t1', secrets));
      const b = await repo.createKmsConfig(newKmsConfig('t2', secrets, { type: 'gcp', endpoint: 'http://127.0.0.1:1', leasingAllowed: true, leasingLifetimeSeconds: 600, active: false }));
      for (const c of [a, b]) {
        expect(Number.isInteger(c.id) && c.id >= 1 && c.id <= 2147483647).toBe(true);
        expect(c).not.toHaveProperty('credentials');
      }
      expect(b.id).toBeGreaterThan(a.id);
      expect(a).toMatchObject({ tenantId: 't1', type: 'aws', active: true, primary: false, leasingAllowed: false, hasCredentials: true });
      expect(b).toMatchObject({ tenantId: 't2', type: 'gcp', endpoint: 'http://127.0.0.1:1', active: false, leasingAllowed: true, leasingLifetimeSeconds: 600 });
      expect(await repo.getKmsConfig(a.id)).toEqual(a);
      expect(await repo.listKmsConfigs('t1')).toEqual([a]);
      await repo.deleteKmsConfig(b.id);
      expect(await repo.getKmsConfig(b.id)).toBeUndefined();
      const c = await repo.createKmsConfig(newKmsConfig('t2', secrets));
      expect(c.id).toBeGreaterThan(b.id);
      expect(await repo.listKmsConfigs('t2')).toEqual([c]);
      expectNoSecrets([a, b, c, await repo.listKmsConfigs('t1')], secrets.secrets);
    });

    it('updates KMS configs, keeps keyPath and type immutable, replaces credentials write-only', async () => {
      await repo.createTenant({ id: 't1', name: 'One' });
      const sa = await repo.createServiceAccount(newServiceAccount('sa', []));
      const a = await repo.createKmsConfig(newKmsConfig('t1', secrets));
      const fresh = secrets.make('replaced');
      const u = await repo.updateKmsConfig(a.id, { endpoint: 'http://127.0.0.1:2', leasingAllowed: true, leasingLifetimeSeconds: 60, credentials: { secretAccessKey: fresh } });
      expect(u).toMatchObject({ id: a.id, keyPath: a.keyPath, type: 'aws', endpoint: 'http://127.0.0.1:2', leasingAllowed: true, leasingLifetimeSeconds: 60, hasCredentials: true });
      expectNoSecrets(u, secrets.secrets);
      const [doc] = await repo.tenantsForDocument(sa.id);
      expect(doc.kmsConfigs[0].credentials).toEqual({ secretAccessKey: fresh });
      await expectRepoError(repo.updateKmsConfig(a.id, { keyPath: { arn: 'other' } } as unknown as KmsConfigPatch), 'invalid', 'keyPath');
      await expectRepoError(repo.updateKmsConfig(a.id, { type: 'gcp' } as unknown as KmsConfigPatch), 'invalid', 'type');
      expect(await repo.getKmsConfig(a.id)).toEqual(u);
      await expectRepoError(repo.updateKmsConfig(999999, { active: true }), 'not-found', 'id');
      await expectRepoError(repo.deleteKmsConfig(999999), 'not-found', 'id');
      await expectRepoError(repo.createKmsConfig(newKmsConfig('nope', secrets)), 'not-found', 'tenantId');
      await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { type: 'vault' as 'aws' })), 'invalid', 'type');
      await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { keyPath: 'k' as unknown as Record<string, unknown> })), 'invalid', 'keyPath');
      await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { leasingLifetimeSeconds: 0 })), 'invalid', 'leasingLifetimeSeconds');
      expect(await repo.listKmsConfigs('t1')).toHaveLength(1);
    });

    it('keeps at most one active primary per tenant', async () => {
      await repo.createTenant({ id: 't1', name: 'One' });
      await repo.createTenant({ id: 't2', name: 'Two' });
      const other = await repo.createKmsConfig(newKmsConfig('t2', secrets, { primary: true }));
      const a = await repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true }));
      const b = await repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true }));
      const primaries = async (t: string): Promise<number[]> => (await repo.listKmsConfigs(t)).filter((c) => c.primary).map((c) => c.id);
      expect(await primaries('t1')).toEqual([b.id]);
      await repo.updateKmsConfig(a.id, { primary: true });
      expect(await primaries('t1')).toEqual([a.id]);
      expect(await primaries('t2')).toEqual([other.id]);
      await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true, active: false })), 'invalid', 'primary');
      await expectRepoError(repo.updateKmsConfig(a.id, { active: false }), 'invalid', 'primary');
      await expectRepoError(repo.updateKmsConfig(b.id, { active: false, primary: true }), 'invalid', 'primary');
      expect(await primaries('t1')).toEqual([a.id]);
      expect((await repo.getKmsConfig(a.id))?.active).toBe(true);
      const d = await repo.updateKmsConfig(a.id, { active: false, primary: false });
      expect(d).toMatchObject({ active: false, primary: false });
      expect(await primaries('t1')).toEqual([]);
    });

    it('stores logging configs and reads them without sink credentials', async () => {
      await repo.createTenant({ id: 't1', name: 'One' });
      const v = await repo.putLoggingConfig('t1', loggingConfig(secrets));
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
      const replaced = await repo.putLoggingConfig('t1', { sinks: [{ id: 'out', type: 'stdout' }] });
      expect(replaced.sinks).toEqual([{ id: 'out', type: 'stdout', settings: {}, hasCredentials: false }]);
      expect(replaced.rateLimit).toBeUndefined();
      expectNoSecrets([v, replaced, await repo.getLoggingConfig('t1')], secrets.secrets);
      await repo.deleteLoggingConfig('t1');
      expect(await repo.getLoggingConfig('t1')).toBeUndefined();
      await expectRepoError(repo.deleteLoggingConfig('t1'), 'not-found', 'tenantId');
      await expectRepoError(repo.putLoggingConfig('nope', loggingConfig(secrets)), 'not-found', 'tenantId');
      const e = await expectRepoError(repo.putLoggingConfig('t1', { sinks: [{ id: 'bad id!', type: 'stdout' }] }), 'invalid', 'logging.sinks.0.id');
      expect(e.message).not.toContain('bad id!');
      await expectRepoError(repo.putLoggingConfig('t1', { sinks: [] }), 'invalid', 'logging.sinks');
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
      await repo.createTenant({ id: 'eu1', name: 'x', tags: ['eu'] });
      await repo.createTenant({ id: 'us1', name: 'x', tags: ['us', 'gold'] });
      await repo.createTenant({ id: 'none', name: 'x' });
      await repo.createTenant({ id: 'euOld', name: 'x', tags: ['eu'], archived: true });
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
      await repo.createTenant({ id: 't1', name: 'One', tags: ['eu'] });
      const sa = await repo.createServiceAccount(newServiceAccount('sa', ['eu']));
      const k = newKmsConfig('t1', secrets, { primary: true });
      const kms = await repo.createKmsConfig(k);
      const logging = loggingConfig(secrets);
      await repo.putLoggingConfig('t1', logging);
      const wrapped = secrets.make('wrapped-secret');
      const created = extra.createTenantSecret ? await extra.createTenantSecret(repo, 't1', 'path/a', 'deterministic', wrapped) : undefined;
      const reads: unknown[] = [
        kms, created, await repo.getTenant('t1'), await repo.listTenants({ includeArchived: true }), await repo.getKmsConfig(kms.id),
        await repo.listKmsConfigs('t1'), await repo.getLoggingConfig('t1'), await repo.listServiceAccounts(), await repo.getServiceAccount(sa.id),
        await repo.updateKmsConfig(kms.id, { leasingAllowed: true }), await repo.putLoggingConfig('t1', logging), await repo.updateTenant('t1', { name: 'n' }),
      ];
      expectNoSecrets(reads, secrets.secrets);
      const [doc] = await repo.tenantsForDocument(sa.id);
      expect(doc.kmsConfigs).toEqual([{ ...(await repo.getKmsConfig(kms.id)), credentials: k.credentials }]);
      expect(doc.logging).toEqual(logging);
      expect(doc.tenant).toEqual(await repo.getTenant('t1'));
      if (created !== undefined) {
        expect(created).toMatchObject({ tenantId: 't1', secretPath: 'path/a', secretType: 'deterministic', status: 'current' });
        expect(created.id).toBeGreaterThanOrEqual(1);
        expect(doc.secrets).toEqual([{ ...created, encryptedSecret: wrapped }]);
      } else {
        expect(doc.secrets).toEqual([]);
      }
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
      let id = 0;
      await step(() => repo.createTenant({ id: 't1', name: 'One' }));
      await step(() => repo.updateTenant('t1', { tags: ['eu'] }));
      await step(async () => (id = (await repo.createKmsConfig(newKmsConfig('t1', secrets))).id));
      await step(() => repo.updateKmsConfig(id, { primary: true }));
      await step(() => repo.putLoggingConfig('t1', loggingConfig(secrets)));
      await step(() => repo.deleteLoggingConfig('t1'));
      if (extra.createTenantSecret) await step(() => extra.createTenantSecret!(repo, 't1', 'p', 'search', 'AAAA'));
      await step(() => repo.createServiceAccount(newServiceAccount('sa', [])));
      await step(() => repo.revokeServiceAccount('sa'));
      await step(() => repo.deleteKmsConfig(id));
      await step(() => repo.deleteTenant('t1'));
    });

    it('deletes everything of a tenant with it', async () => {
      await repo.createTenant({ id: 't1', name: 'One' });
      await repo.createTenant({ id: 't2', name: 'Two' });
      const sa = await repo.createServiceAccount(newServiceAccount('sa', []));
      const kms = await repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true }));
      const kept = await repo.createKmsConfig(newKmsConfig('t2', secrets));
      await repo.putLoggingConfig('t1', loggingConfig(secrets));
      await repo.putLoggingConfig('t2', loggingConfig(secrets));
      if (extra.createTenantSecret) await extra.createTenantSecret(repo, 't1', 'p', 'vector', 'AAAA', 'inRotation');
      await repo.deleteTenant('t1');
      expect(await repo.getKmsConfig(kms.id)).toBeUndefined();
      expect(await repo.getLoggingConfig('t1')).toBeUndefined();
      expect(await repo.listKmsConfigs('t1')).toEqual([]);
      expect(await repo.getKmsConfig(kept.id)).toBeDefined();
      expect(await repo.getLoggingConfig('t2')).toBeDefined();
      await repo.createTenant({ id: 't1', name: 'Reborn' });
      const docs = await repo.tenantsForDocument(sa.id);
      expect(docs.map((d) => d.tenant.id)).toEqual(['t1', 't2']);
      expect(docs[0]).toMatchObject({ kmsConfigs: [], logging: undefined, secrets: [] });
    });

    extra.tests?.(() => repo);
  });
}
