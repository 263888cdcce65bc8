import { decodeEdekBase64, decodeEncryptedDeks, encodeEncryptedDeks, ErrorCode, TspError } from '@tsp/tsp-protocol';
import { interceptedLocalFactory, localConfig, newKeyService, registryOf, tenantConfig } from './key-service.test-helpers';
import { tspErrorOf } from '@tsp/test-support';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

// t1: leased primary (1) + unleased secondary (2); t2: unleased primary (3);
// t3: an active config (4) but no primary; t4: only a disabled config (5).
function fixtures() {
  return [
    tenantConfig('t1', [localConfig(1, { primary: true, leasing: { enabled: true, lifetimeSeconds: 60 } }), localConfig(2)]),
    tenantConfig('t2', [localConfig(3, { primary: true })]),
    tenantConfig('t3', [localConfig(4)]),
    tenantConfig('t4', [localConfig(5, { active: false })]),
  ];
}

describe('KeyService: wrap and unwrap', () => {
  it('leased wrap/unwrap round trip: one KMS wrap for the lease, no KMS unwrap on the same proxy', async () => {
    const s = newKeyService(fixtures());
    const w = await s.keys.wrap('t1');
    expect(w.leased).toBe(true);
    expect(w.config.id).toBe(1);
    expect(w.dek).toHaveLength(32);
    const [entry] = decodeEncryptedDeks(w.edek);
    expect(entry.kmsConfigId).toBe(1);
    expect(entry.leasedKeyId).toBeGreaterThan(0);
    expect(entry.leasedKeyIv).toHaveLength(12);
    expect(entry.encryptedDekData).toHaveLength(48);
    expect(decodeEncryptedDeks(entry.encryptedLeasedKeyData)[0].kmsConfigId).toBe(1);
    const u = await s.keys.unwrap('t1', b64(w.edek));
    expect(u.leased).toBe(true);
    expect(u.dek.equals(w.dek)).toBe(true);
    expect(s.kms).toEqual({ wrap: 1, unwrap: 0, failed: 0 });
  });

  it('unleased wrap/unwrap round trip makes one KMS call each', async () => {
    const s = newKeyService(fixtures());
    const w = await s.keys.wrap('t2');
    expect(w.leased).toBe(false);
    const [entry] = decodeEncryptedDeks(w.edek);
    expect(entry.kmsConfigId).toBe(3);
    expect(entry.leasedKeyId).toBe(0);
    const u = await s.keys.unwrap('t2', b64(w.edek));
    expect(u.dek.equals(w.dek)).toBe(true);
    expect(u.leased).toBe(false);
    expect(s.kms).toEqual({ wrap: 1, unwrap: 1, failed: 0 });
  });

  it('many leased wraps share one lease and give distinct DEKs', async () => {
    const s = newKeyService(fixtures());
    const results = await Promise.all(Array.from({ length: 200 }, () => s.keys.wrap('t1')));
    expect(s.kms.wrap).toBe(1);
    expect(new Set(results.map((r) => r.dek.toString('hex'))).size).toBe(200);
    expect(new Set(results.map((r) => decodeEncryptedDeks(r.edek)[0].leasedKeyId)).size).toBe(1);
  });

  it('unwrap accepts an EDEK of an active non-primary config of the tenant', async () => {
    const s = newKeyService(fixtures());
    const t1 = s.keys.tenant('t1');
    const w = await s.keys.wrapWith(t1.configs.get(2)!);
    expect((await s.keys.unwrap('t1', b64(w.edek))).dek.equals(w.dek)).toBe(true);
    const t3 = s.keys.tenant('t3');
    const w3 = await s.keys.wrapWith(t3.configs.get(4)!);
    expect((await s.keys.unwrap('t3', b64(w3.edek))).dek.equals(w3.dek)).toBe(true);
  });

  it('precondition "config assigned to the tenant": another tenant\'s EDEK fails with 203', async () => {
    const s = newKeyService(fixtures());
    for (const [from, to] of [['t2', 't1'], ['t1', 't2']]) {
      const w = await s.keys.wrap(from);
      const e = await tspErrorOf(() => s.keys.unwrap(to, b64(w.edek)));
      expect(e.code).toBe(ErrorCode.InvalidProvidedEdek);
      expect(e.message).toContain('is not assigned to tenant');
    }
  });

  it('precondition "config active": an EDEK of a config disabled since fails with 202', async () => {
    const before = [tenantConfig('t5', [localConfig(7, { primary: true }), localConfig(8)])];
    const s = newKeyService(before);
    const w = await s.keys.wrap('t5');
    const [c7, c8] = before[0].kmsConfigs;
    s.keys.setRegistry(registryOf([tenantConfig('t5', [{ ...c7, active: false, primary: false }, { ...c8, primary: true }])], 2));
    const e = await tspErrorOf(() => s.keys.unwrap('t5', b64(w.edek)));
    expect(e.code).toBe(ErrorCode.KmsConfigurationDisabled);
    expect(s.kms.unwrap).toBe(0);
  });

  it('the only config disabled: its EDEKs get 202 (disabled), another config\'s EDEK and wraps get 201', async () => {
    const before = [tenantConfig('t6', [localConfig(11, { primary: true })]), tenantConfig('t7', [localConfig(12, { primary: true })])];
    const s = newKeyService(before);
    const w = await s.keys.wrap('t6');
    const other = await s.keys.wrap('t7');
    s.keys.setRegistry(registryOf([tenantConfig('t6', [{ ...before[0].kmsConfigs[0], active: false, primary: false }]), before[1]], 2));
    expect((await tspErrorOf(() => s.keys.unwrap('t6', b64(w.edek)))).code).toBe(ErrorCode.KmsConfigurationDisabled);
    expect((await tspErrorOf(() => s.keys.unwrap('t6', b64(other.edek)))).code).toBe(ErrorCode.UnknownTenantOrNoActiveKmsConfigurations);
    expect((await tspErrorOf(() => s.keys.wrap('t6'))).code).toBe(ErrorCode.UnknownTenantOrNoActiveKmsConfigurations);
  });

  it('precondition "tenant known with an active config": otherwise 201', async () => {
    const s = newKeyService(fixtures());
    const w = await s.keys.wrap('t2');
    for (const call of [() => s.keys.wrap('nobody'), () => s.keys.unwrap('nobody', b64(w.edek)), () => s.keys.wrap('t4'), () => s.keys.batchWrap('nobody', ['a'])]) {
      const e = await tspErrorOf(call);
      expect(e.code).toBe(ErrorCode.UnknownTenantOrNoActiveKmsConfigurations);
      expect(e.message).toContain('No configurations available for the provided tenant');
    }
  });

  it('a tenant whose config failed validation gets 201 saying so', async () => {
    const s = newKeyService([tenantConfig('bad', [localConfig(9, { primary: true, endpoint: 'http://127.0.0.1:1' })])]);
    expect(s.keys.getRegistry().invalid.get('bad')).toEqual(['kmsConfigs id 9: endpoint is not used by the local provider']);
    const e = await tspErrorOf(() => s.keys.wrap('bad'));
    expect(e.code).toBe(201);
    expect(e.message).toContain('failed validation');
  });

  it('precondition "tenant has a primary config" on wrap: otherwise 200', async () => {
    const s = newKeyService(fixtures());
    expect((await tspErrorOf(() => s.keys.wrap('t3'))).code).toBe(ErrorCode.NoPrimaryKmsConfiguration);
    expect((await tspErrorOf(() => s.keys.batchWrap('t3', ['a']))).code).toBe(200);
    expect(s.kms.wrap).toBe(0);
  });

  it('tampered leased ciphertext, tag or IV fails with 205', async () => {
    const s = newKeyService(fixtures());
    const w = await s.keys.wrap('t1');
    const [entry] = decodeEncryptedDeks(w.edek);
    const tamper = (field: 'encryptedDekData' | 'leasedKeyIv', i: number) => {
      const bytes = Buffer.from(entry[field]);
      bytes[i] ^= 0x01;
      return b64(encodeEncryptedDeks([{ ...entry, [field]: bytes }]));
    };
    for (const edek of [tamper('encryptedDekData', 0), tamper('encryptedDekData', 47), tamper('leasedKeyIv', 3)]) {
      expect((await tspErrorOf(() => s.keys.unwrap('t1', edek))).code).toBe(ErrorCode.KmsUnwrapFailed);
    }
  });

  it('a tampered ELK fails with 205 from the KMS', async () => {
    const s = newKeyService(fixtures());
    const w = await s.keys.wrap('t1');
    const [entry] = decodeEncryptedDeks(w.edek);
    const [inner] = decodeEncryptedDeks(entry.encryptedLeasedKeyData);
    const data = Buffer.from(inner.encryptedDekData);
    data[20] ^= 0x01;
    const elk = encodeEncryptedDeks([{ ...inner, encryptedDekData: data }]);
    const e = await tspErrorOf(() => s.keys.unwrap('t1', b64(encodeEncryptedDeks([{ ...entry, encryptedLeasedKeyData: elk }]))));
    expect(e.code).toBe(205);
    expect(s.kms.failed).toBe(1);
  });

  it('a malformed leased entry (short IV) fails with 203', async () => {
    const s = newKeyService(fixtures());
    const [entry] = decodeEncryptedDeks((await s.keys.wrap('t1')).edek);
    const edek = b64(encodeEncryptedDeks([{ ...entry, leasedKeyIv: entry.leasedKeyIv.subarray(0, 8) }]));
    expect((await tspErrorOf(() => s.keys.unwrap('t1', edek))).code).toBe(203);
  });

  it('an EDEK that is not ours fails with 203 and the clients\' message', async () => {
    const s = newKeyService(fixtures());
    const e = await tspErrorOf(() => s.keys.unwrap('t1', 'bm90IGFuIGVkZWs='));
    expect(e.code).toBe(203);
    expect(e.message).toBe("Provided EDEK didn't contain IronCore EDEKs");
  });

  it('a redundant EDEK falls through to the tenant\'s config when the first entry is foreign', async () => {
    const s = newKeyService(fixtures());
    const own = decodeEncryptedDeks((await s.keys.wrap('t1')).edek)[0];
    const foreign = decodeEncryptedDeks((await s.keys.wrap('t2')).edek)[0];
    const w = await s.keys.unwrap('t1', b64(encodeEncryptedDeks([foreign, own])));
    expect(w.config.id).toBe(1);
  });
});

describe('KeyService: rekey', () => {
  it('unwraps under the source tenant and wraps the same DEK under the target primary', async () => {
    const s = newKeyService(fixtures());
    const w = await s.keys.wrap('t1');
    const r = await s.keys.rekey('t1', b64(w.edek), 't2');
    expect(r.dek.equals(w.dek)).toBe(true);
    expect(r.config.id).toBe(3);
    expect((await s.keys.unwrap('t2', b64(r.edek))).dek.equals(w.dek)).toBe(true);
    expect((await tspErrorOf(() => s.keys.unwrap('t1', b64(r.edek)))).message).toContain('is not assigned to tenant');
  });

  it('rekey to an unknown tenant is 201 and to a tenant without primary is 200', async () => {
    const s = newKeyService(fixtures());
    const edek = b64((await s.keys.wrap('t1')).edek);
    expect((await tspErrorOf(() => s.keys.rekey('t1', edek, 'nobody'))).code).toBe(201);
    expect((await tspErrorOf(() => s.keys.rekey('t1', edek, 't3'))).code).toBe(200);
    expect((await tspErrorOf(() => s.keys.rekey('t2', edek, 't1'))).code).toBe(203);
  });
});

describe('KeyService: batches', () => {
  it('leased batchWrap: every id once, one KMS call, each EDEK unwraps to its DEK', async () => {
    const s = newKeyService(fixtures());
    const ids = Array.from({ length: 50 }, (_, i) => `doc-${i}`);
    const r = await s.keys.batchWrap('t1', [...ids, 'doc-0']);
    expect([...r.keys.keys()].sort()).toEqual([...ids].sort());
    expect(r.failures.size).toBe(0);
    expect(s.kms.wrap).toBe(1);
    for (const id of ids) {
      const k = r.keys.get(id)!;
      expect((await s.keys.unwrap('t1', b64(k.edek))).dek.equals(k.dek)).toBe(true);
    }
  });

  it('batchUnwrap reports each failure by id and unwraps the rest', async () => {
    const s = newKeyService(fixtures());
    const good1 = await s.keys.wrap('t1');
    const good2 = await s.keys.wrapWith(s.keys.tenant('t1').configs.get(2)!);
    const foreign = await s.keys.wrap('t2');
    const [entry] = decodeEncryptedDeks(good1.edek);
    const tag = Buffer.from(entry.encryptedDekData);
    tag[40] ^= 0xff;
    const r = await s.keys.batchUnwrap('t1', {
      a: b64(good1.edek),
      b: b64(good2.edek),
      garbage: 'AAAA',
      foreign: b64(foreign.edek),
      tampered: b64(encodeEncryptedDeks([{ ...entry, encryptedDekData: tag }])),
    });
    expect([...r.keys.keys()].sort()).toEqual(['a', 'b']);
    expect(r.keys.get('a')!.dek.equals(good1.dek)).toBe(true);
    expect(r.keys.get('b')!.dek.equals(good2.dek)).toBe(true);
    expect(Object.fromEntries([...r.failures].map(([id, e]) => [id, e.code]))).toEqual({ garbage: 203, foreign: 203, tampered: 205 });
  });

  it('unleased batchWrap with a failing KMS: partial failures with 204, every id in exactly one map', async () => {
    // A local provider whose every third wrap fails.
    let n = 0;
    const flaky = interceptedLocalFactory({
      wrap: (inner, dek, ctx) => (++n % 3 === 0 ? Promise.reject(new TspError(ErrorCode.KmsWrapFailed, 'throttled wrap')) : inner.wrap(dek, ctx)),
    });
    const tenants = fixtures();
    const s = newKeyService(tenants, { batchKmsConcurrency: 3 });
    s.keys.setRegistry(registryOf(tenants, 2, undefined, flaky));
    const ids = Array.from({ length: 30 }, (_, i) => `d${i}`);
    const r = await s.keys.batchWrap('t2', ids);
    expect(r.failures.size).toBe(10);
    expect(r.keys.size).toBe(20);
    expect([...r.keys.keys(), ...r.failures.keys()].sort()).toEqual([...ids].sort());
    for (const e of r.failures.values()) expect(e.code).toBe(ErrorCode.KmsWrapFailed);
    for (const k of r.keys.values()) expect((await s.keys.unwrap('t2', b64(k.edek))).dek.equals(k.dek)).toBe(true);
  });
});

describe('KeyService: leases across proxies and over time', () => {
  it('a leased EDEK from one proxy unwraps on another with exactly one KMS unwrap for the lease', async () => {
    const tenants = fixtures();
    const a = newKeyService(tenants);
    const b = newKeyService(tenants); // own registry, providers, leases and cache
    const made = await Promise.all(Array.from({ length: 100 }, () => a.keys.wrap('t1')));
    expect(a.kms.wrap).toBe(1);
    const back = await Promise.all(made.map((m) => b.keys.unwrap('t1', b64(m.edek))));
    back.forEach((u, i) => expect(u.dek.equals(made[i].dek)).toBe(true));
    expect(b.kms.unwrap).toBe(1);
    for (const m of made.slice(0, 10)) await b.keys.unwrap('t1', b64(m.edek));
    expect(b.kms).toEqual({ wrap: 0, unwrap: 1, failed: 0 });
  });

  it('when the lease expires the next wrap makes a new KMS call; old EDEKs still unwrap', async () => {
    const s = newKeyService(fixtures()); // lease lifetime 60 s
    const first = await s.keys.wrap('t1');
    s.clock.now += 59_999;
    await s.keys.wrap('t1');
    expect(s.kms.wrap).toBe(1);
    s.clock.now += 1;
    const second = await s.keys.wrap('t1');
    expect(s.kms.wrap).toBe(2);
    expect(decodeEdekBase64(b64(second.edek))[0].leasedKeyId).not.toBe(decodeEdekBase64(b64(first.edek))[0].leasedKeyId);
    expect((await s.keys.unwrap('t1', b64(first.edek))).dek.equals(first.dek)).toBe(true);
  });

  it('a registry change that alters a config drops its lease; an unchanged one keeps it', async () => {
    const tenants = fixtures();
    const s = newKeyService(tenants);
    await s.keys.wrap('t1');
    s.keys.setRegistry(registryOf(tenants, 2, s.keys.getRegistry()));
    await s.keys.wrap('t1');
    expect(s.kms.wrap).toBe(1);
    const [c1, c2] = tenants[0].kmsConfigs;
    const changed = [tenantConfig('t1', [{ ...c1, keyPath: { name: 'renamed' } }, c2]), ...tenants.slice(1)];
    s.keys.setRegistry(registryOf(changed, 3, s.keys.getRegistry()));
    await s.keys.wrap('t1');
    expect(s.kms.wrap).toBe(2);
  });
});
