import type { SecretStatus, TenantSecretType } from '@tsp/config-crypto';
import { BrokerRepository, NewTenantSecret } from './repository';
import { ConformanceHarness, expectNoSecrets, expectRepoError, newServiceAccount, newTenantSecret, V } from './repository-conformance-fixtures';

/** The tenant secret part of the repository conformance suite (see repository-conformance.ts). */
export function tenantSecretConformance(h: ConformanceHarness): void {
  const created = async (repo: BrokerRepository, s: NewTenantSecret): Promise<number> => {
    const r = await repo.createTenantSecret(s, V);
    expect(r.created).toBe(true);
    return r.secret.id;
  };
  const secretEvents = async (repo: BrokerRepository): Promise<unknown[]> =>
    (await repo.pendingAdminEvents(10000)).filter((e) => String(e.details['action']).startsWith('tenant-secret.')).map((e) => e.details);

  it('creates a Current tenant secret once: a second create of the path and type writes nothing and returns the first', async () => {
    const repo = h.repo();
    const secrets = h.secrets();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    await repo.createTenant({ id: 't2', name: 'Two' }, V);
    const first = secrets.material('first');
    const a = await repo.createTenantSecret(newTenantSecret('t1', 'ssn', 'deterministic', first), V);
    expect(a.created).toBe(true);
    expect(a.secret).toMatchObject({ tenantId: 't1', secretPath: 'ssn', secretType: 'deterministic', status: 'current', encryptedSecret: first });
    expect(Number.isSafeInteger(a.secret.id) && a.secret.id >= 1 && a.secret.id <= 4294967295).toBe(true);
    expect(Date.parse(a.secret.createdAt)).not.toBeNaN();
    const seq = await repo.sequence();
    const events = await repo.pendingAdminEvents(10000);
    const again = await repo.createTenantSecret(newTenantSecret('t1', 'ssn', 'deterministic', secrets.material('second')), V);
    expect(again).toEqual({ secret: a.secret, created: false });
    expect(await repo.sequence()).toBe(seq);
    expect(await repo.pendingAdminEvents(10000)).toEqual(events);
    const { encryptedSecret: _material, ...view } = a.secret;
    expect(await repo.getTenantSecret(a.secret.id)).toEqual(view);
    // Another path, type, tenant or a non-Current status is another secret.
    const others = [
      await created(repo, newTenantSecret('t1', 'ssn', 'search', 'AAAA')),
      await created(repo, newTenantSecret('t1', 'email', 'deterministic', 'AAAA')),
      await created(repo, newTenantSecret('t2', 'ssn', 'deterministic', 'AAAA')),
      await created(repo, newTenantSecret('t1', 'ssn', 'deterministic', 'AAAA', 'inRotation')),
    ];
    expect(new Set([a.secret.id, ...others]).size).toBe(5);
    const list = await repo.listTenantSecrets('t1');
    expect(list.map((s) => s.id)).toEqual([a.secret.id, others[0], others[1], others[3]]);
    expect(await repo.getTenantSecret(999999)).toBeUndefined();
    expect(await repo.listTenantSecrets('nope')).toEqual([]);
    expectNoSecrets([list, await repo.getTenantSecret(a.secret.id), await repo.pendingAdminEvents(10000)], secrets.secrets);
    const sa = await repo.createServiceAccount(newServiceAccount('sa', []));
    const doc = (await repo.tenantsForDocument(sa.id)).find((d) => d.tenant.id === 't1')!;
    expect(doc.secrets.find((s) => s.id === a.secret.id)?.encryptedSecret).toBe(first);
  });

  it('refuses invalid tenant secrets naming the field, writing nothing', async () => {
    const repo = h.repo();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const seq = await repo.sequence();
    const ok = newTenantSecret('t1', 'p', 'vector', 'AAAA');
    await expectRepoError(repo.createTenantSecret({ ...ok, tenantId: 'nope' }, V), 'not-found', 'tenantId');
    await expectRepoError(repo.createTenantSecret({ ...ok, secretPath: '' }, V), 'invalid', 'secretPath');
    await expectRepoError(repo.createTenantSecret({ ...ok, secretType: 'other' as TenantSecretType }, V), 'invalid', 'secretType');
    await expectRepoError(repo.createTenantSecret({ ...ok, status: 'gone' as SecretStatus }, V), 'invalid', 'status');
    await expectRepoError(repo.createTenantSecret({ ...ok, encryptedSecret: '' }, V), 'invalid', 'encryptedSecret');
    await expectRepoError(repo.createTenantSecret({ ...ok, encryptedSecret: 'not base64!' }, V), 'invalid', 'encryptedSecret');
    expect(await repo.listTenantSecrets('t1')).toEqual([]);
    expect(await repo.sequence()).toBe(seq);
  });

  it('20 concurrent first creates of a Current secret create exactly one, and all return it', async () => {
    const repo = h.repo();
    const secrets = h.secrets();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => repo.createTenantSecret(newTenantSecret('t1', 'race', 'search', secrets.material(`race-${i}`)), V)),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const winner = results.find((r) => r.created)!.secret;
    for (const r of results) expect(r.secret).toEqual(winner);
    expect((await repo.listTenantSecrets('t1')).map((s) => s.id)).toEqual([winner.id]);
    expect(await secretEvents(repo)).toHaveLength(1);
  });

  (h.second === undefined ? it.skip : it)('concurrent first creates on two instances of one store create exactly one', async () => {
    const repo = h.repo();
    const other = await h.second!();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? repo : other).createTenantSecret(newTenantSecret('t1', 'race', 'vector', `AAAA${'B'.repeat(i * 4)}`), V)),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const ids = new Set(results.map((r) => r.secret.id));
    expect(ids.size).toBe(1);
    expect(new Set(results.map((r) => r.secret.encryptedSecret)).size).toBe(1);
    expect(await other.listTenantSecrets('t1')).toEqual(await repo.listTenantSecrets('t1'));
    expect(await repo.listTenantSecrets('t1')).toHaveLength(1);
    expect(await secretEvents(other)).toHaveLength(1);
  });

  it('rotates: current → inRotation → current (unless another Current exists) or archived; archived is final', async () => {
    const repo = h.repo();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const old = await created(repo, newTenantSecret('t1', 'p', 'deterministic', 'AAAA'));
    const status = async (id: number): Promise<SecretStatus | undefined> => (await repo.getTenantSecret(id))?.status;
    let seq = await repo.sequence();
    const bumped = async (): Promise<void> => {
      const now = await repo.sequence();
      expect(now).toBeGreaterThan(seq);
      seq = now;
    };
    expect(await repo.setTenantSecretStatus(old, 'inRotation', V)).toMatchObject({ id: old, status: 'inRotation', secretPath: 'p' });
    await bumped();
    // While the old one rotates, the next derive creates a new Current one.
    const fresh = await created(repo, newTenantSecret('t1', 'p', 'deterministic', 'BBBB'));
    seq = await repo.sequence();
    await expectRepoError(repo.setTenantSecretStatus(old, 'current', V), 'conflict', 'status');
    expect(await status(old)).toBe('inRotation');
    await repo.setTenantSecretStatus(fresh, 'inRotation', V);
    await bumped();
    expect((await repo.setTenantSecretStatus(old, 'current', V)).status).toBe('current');
    await bumped();
    await repo.setTenantSecretStatus(fresh, 'archived', V);
    await bumped();
    for (const [id, to] of [
      [fresh, 'current'],
      [fresh, 'inRotation'],
      [fresh, 'archived'],
      [old, 'archived'],
      [old, 'current'],
      [old, 'bogus'],
    ] as [number, SecretStatus][]) {
      await expectRepoError(repo.setTenantSecretStatus(id, to, V), 'invalid', 'status');
    }
    await expectRepoError(repo.setTenantSecretStatus(999999, 'inRotation', V), 'not-found', 'id');
    expect(await repo.sequence()).toBe(seq);
    expect([await status(old), await status(fresh)]).toEqual(['current', 'archived']);
    expect((await secretEvents(repo)).filter((d) => (d as Record<string, unknown>)['action'] === 'tenant-secret.status').map((d) => {
      const e = d as Record<string, unknown>;
      return [e['tenantSecretId'], e['from'], e['to']];
    })).toEqual([
      [old, 'current', 'inRotation'],
      [fresh, 'current', 'inRotation'],
      [old, 'inRotation', 'current'],
      [fresh, 'inRotation', 'archived'],
    ]);
  });
}
