import { createSecretKey } from 'node:crypto';
import type { KmsProvider } from '@tsp/kms-core';
import { decodeEncryptedDeks, encodeEncryptedDeks, ErrorCode, TspError } from '@tsp/tsp-protocol';
import { LeasedGcm } from './leased-gcm';
import { KmsUnwrap, KmsWrap, Lease, LeasedKey, LeaseManager } from './lease-manager';
import { RandomPool } from './random-pool';
import { RuntimeKmsConfig, RuntimeTenant, TenantRegistry } from './tenant-registry';

/** The provider is never called: LeaseManager gets its KMS calls as plain functions. */
const unusedProvider: KmsProvider = {
  type: 'local',
  wrap: () => Promise.reject(new Error('not used')),
  unwrap: () => Promise.reject(new Error('not used')),
  healthcheck: () => Promise.resolve(),
  close: () => undefined,
};

function cfg(tenantId: string, id: number, over: Partial<RuntimeKmsConfig> = {}): RuntimeKmsConfig {
  return {
    id,
    tenantId,
    type: 'local',
    active: true,
    primary: true,
    leasingEnabled: true,
    leaseLifetimeMs: 60_000,
    provider: unusedProvider,
    fingerprint: `fp-${tenantId}-${id}`,
    ...over,
  };
}

function registryOf(configs: RuntimeKmsConfig[]): TenantRegistry {
  const tenants = new Map<string, RuntimeTenant>();
  for (const c of configs) {
    const existing = tenants.get(c.tenantId);
    const map = new Map(existing?.configs ?? []);
    map.set(c.id, c);
    tenants.set(c.tenantId, {
      tenantId: c.tenantId,
      configs: map,
      primary: undefined,
      hasActiveConfig: true,
      secrets: [],
      redundantConfigs: [],
    });
  }
  return new TenantRegistry(tenants, new Map(), new Map(), 1);
}

const MASK = 0x5a;
const xor = (b: Uint8Array): Buffer => Buffer.from(Buffer.from(b).map((x) => x ^ MASK));

/** A counting fake KMS: wrap = xor with a constant (the bytes are copied before any await). */
function fakeKms() {
  const counts = { wrap: 0, unwrap: 0 };
  const wrap: KmsWrap = async (_c, key) => {
    counts.wrap++;
    const out = xor(key);
    await new Promise((r) => setImmediate(r));
    return out;
  };
  const unwrap: KmsUnwrap = async (_c, data) => {
    counts.unwrap++;
    const out = xor(data);
    await new Promise((r) => setImmediate(r));
    return out;
  };
  return { counts, wrap, unwrap };
}

function manager(clock = { now: 1_000_000 }, cacheTtlMs = 3_600_000, onCache?: (r: 'hit' | 'miss' | 'shared') => void) {
  return new LeaseManager(new RandomPool(4096), { cacheSize: 100, cacheTtlMs, now: () => clock.now, onCache });
}

/** Identifies a leased key by what it encrypts (the raw key is not kept after set-up). */
const PROBE_IV = Buffer.alloc(12, 1);
const PROBE = Buffer.alloc(32, 2);
const keyBytes = (k: LeasedKey): string => k.gcm.encrypt(PROBE_IV, PROBE, k.gcm.absorbAad(Buffer.alloc(0))).toString('hex');
const rawKeyBytes = (raw: Buffer): string => {
  const gcm = new LeasedGcm(createSecretKey(raw));
  return keyBytes({ gcm, aad: gcm.absorbAad(Buffer.alloc(0)) });
};

async function resolveKey(k: LeasedKey | Promise<LeasedKey>): Promise<LeasedKey> {
  return k instanceof Promise ? await k : k;
}

describe('LeaseManager.acquire', () => {
  it('1,000 concurrent acquire() calls for one config make exactly one KMS wrap call', async () => {
    const kms = fakeKms();
    const lm = manager();
    const c = cfg('t1', 1);
    const leases = await Promise.all(Array.from({ length: 1000 }, () => lm.acquire(c, kms.wrap)));
    expect(kms.counts.wrap).toBe(1);
    expect(new Set(leases).size).toBe(1);
    expect(lm.current(c)).toBe(leases[0]);
  });

  it('the lease carries an ELK naming its config that unwraps to the leased key', async () => {
    const kms = fakeKms();
    const lm = manager();
    const c = cfg('t1', 9);
    const lease = await lm.acquire(c, kms.wrap);
    expect(lease.id).toBeGreaterThan(0);
    expect(lease.id).toBeLessThan(2 ** 31);
    const [inner] = decodeEncryptedDeks(lease.elk);
    expect(inner.kmsConfigId).toBe(9);
    expect(inner.leasedKeyId).toBe(0);
    expect(rawKeyBytes(xor(inner.encryptedDekData))).toBe(keyBytes(lease));
  });

  it('different configs get different leases', async () => {
    const kms = fakeKms();
    const lm = manager();
    const [a, b] = await Promise.all([lm.acquire(cfg('t1', 1), kms.wrap), lm.acquire(cfg('t2', 2), kms.wrap)]);
    expect(kms.counts.wrap).toBe(2);
    expect(keyBytes(a)).not.toBe(keyBytes(b));
  });

  it('lease expiry: current() stops returning it and the next acquire calls the KMS again', async () => {
    const kms = fakeKms();
    const clock = { now: 5_000 };
    const lm = manager(clock);
    const c = cfg('t1', 1, { leaseLifetimeMs: 1000 });
    const first = await lm.acquire(c, kms.wrap);
    expect(first.expiresAt).toBe(6_000);
    clock.now = 5_999;
    expect(lm.current(c)).toBe(first);
    clock.now = 6_000;
    expect(lm.current(c)).toBeUndefined();
    const second = await lm.acquire(c, kms.wrap);
    expect(kms.counts.wrap).toBe(2);
    expect(keyBytes(second)).not.toBe(keyBytes(first));
    expect(lm.current(c)).toBe(second);
  });

  it('current() ignores a lease of the same config id with another fingerprint', async () => {
    const kms = fakeKms();
    const lm = manager();
    await lm.acquire(cfg('t1', 1), kms.wrap);
    expect(lm.current(cfg('t1', 1, { fingerprint: 'changed' }))).toBeUndefined();
  });

  it('a failed KMS wrap rejects every waiter and installs no lease', async () => {
    const lm = manager();
    let calls = 0;
    const failing: KmsWrap = async () => {
      calls++;
      throw new TspError(ErrorCode.KmsUnreachable, 'down');
    };
    const c = cfg('t1', 1);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => lm.acquire(c, failing)));
    expect(calls).toBe(1);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(lm.current(c)).toBeUndefined();
  });
});

describe('LeaseManager.leasedKey', () => {
  async function leaseFromAnotherProxy(c: RuntimeKmsConfig): Promise<Lease> {
    return manager().acquire(c, fakeKms().wrap);
  }

  it('concurrent misses make one KMS unwrap call; later calls are synchronous cache hits', async () => {
    const c = cfg('t1', 1);
    const lease = await leaseFromAnotherProxy(c);
    const kms = fakeKms();
    const events: string[] = [];
    const lm = manager(undefined, undefined, (r) => events.push(r));
    const found = await Promise.all(Array.from({ length: 200 }, () => resolveKey(lm.leasedKey(c, lease.id, lease.elk, kms.unwrap))));
    expect(kms.counts.unwrap).toBe(1);
    expect(new Set(found.map(keyBytes))).toEqual(new Set([keyBytes(lease)]));
    expect(events.filter((e) => e === 'miss')).toHaveLength(1);
    expect(events.filter((e) => e === 'shared')).toHaveLength(199);
    const later = lm.leasedKey(c, lease.id, lease.elk, kms.unwrap);
    expect(later).not.toBeInstanceOf(Promise);
    expect(keyBytes(later as LeasedKey)).toBe(keyBytes(lease));
    expect(kms.counts.unwrap).toBe(1);
    expect(events[events.length - 1]).toBe('hit');
    expect(lm.cachedKeys).toBe(1);
  });

  it('the lease a proxy acquired is already in its own cache', async () => {
    const kms = fakeKms();
    const lm = manager();
    const c = cfg('t1', 1);
    const lease = await lm.acquire(c, kms.wrap);
    expect((lm.leasedKey(c, lease.id, lease.elk, kms.unwrap) as LeasedKey).gcm).toBe(lease.gcm);
    expect(kms.counts.unwrap).toBe(0);
  });

  it('an expired cache entry leads to a new KMS unwrap call', async () => {
    const c = cfg('t1', 1);
    const lease = await leaseFromAnotherProxy(c);
    const kms = fakeKms();
    const clock = { now: 0 };
    const lm = manager(clock, 500);
    await resolveKey(lm.leasedKey(c, lease.id, lease.elk, kms.unwrap));
    clock.now = 499;
    expect(lm.leasedKey(c, lease.id, lease.elk, kms.unwrap)).not.toBeInstanceOf(Promise);
    clock.now = 500;
    await resolveKey(lm.leasedKey(c, lease.id, lease.elk, kms.unwrap));
    expect(kms.counts.unwrap).toBe(2);
  });

  it('precondition: an ELK naming another config is refused with 203 and no KMS call', async () => {
    const lease = await leaseFromAnotherProxy(cfg('t1', 2));
    const kms = fakeKms();
    const lm = manager();
    await expect(resolveKey(lm.leasedKey(cfg('t1', 1), lease.id, lease.elk, kms.unwrap))).rejects.toMatchObject({ code: 203 });
    expect(kms.counts.unwrap).toBe(0);
  });

  it('precondition: an ELK that is not an EncryptedDeks is refused with 203', async () => {
    const kms = fakeKms();
    await expect(resolveKey(manager().leasedKey(cfg('t1', 1), 1, Buffer.from('ff', 'hex'), kms.unwrap))).rejects.toMatchObject({ code: 203 });
    expect(kms.counts.unwrap).toBe(0);
  });

  it('a failed unwrap is not cached: the next call asks the KMS again', async () => {
    const c = cfg('t1', 1);
    const elk = encodeEncryptedDeks([{ encryptedDekData: Buffer.alloc(32, 1), kmsConfigId: 1 }]);
    let calls = 0;
    const failing: KmsUnwrap = async () => {
      calls++;
      throw new TspError(ErrorCode.KmsUnwrapFailed, 'no');
    };
    const lm = manager();
    await expect(resolveKey(lm.leasedKey(c, 1, elk, failing))).rejects.toMatchObject({ code: 205 });
    await expect(resolveKey(lm.leasedKey(c, 1, elk, failing))).rejects.toMatchObject({ code: 205 });
    expect(calls).toBe(2);
    expect(lm.cachedKeys).toBe(0);
  });
});

describe('LeaseManager.prune', () => {
  it('drops leases and cached keys of configs disabled, removed or changed; keeps unchanged ones', async () => {
    const kms = fakeKms();
    const lm = manager();
    const unchanged = cfg('t1', 1);
    const disabled = cfg('t1', 2);
    const removed = cfg('t2', 3);
    const changed = cfg('t3', 4);
    const all = [unchanged, disabled, removed, changed];
    const leases = await Promise.all(all.map((c) => lm.acquire(c, kms.wrap)));
    expect(lm.cachedKeys).toBe(4);

    const next = registryOf([unchanged, { ...disabled, active: false }, { ...changed, fingerprint: 'new-fingerprint' }]);
    expect(lm.prune(next)).toBe(6); // 3 leases + 3 cached keys

    expect(lm.current(unchanged)).toBe(leases[0]);
    for (const c of [disabled, removed, changed]) expect(lm.current(c)).toBeUndefined();
    expect(lm.cachedKeys).toBe(1);

    // The unchanged config still serves from cache; the others need the KMS again.
    expect((lm.leasedKey(unchanged, leases[0].id, leases[0].elk, kms.unwrap) as LeasedKey).gcm).toBe(leases[0].gcm);
    expect(kms.counts.unwrap).toBe(0);
    await resolveKey(lm.leasedKey(disabled, leases[1].id, leases[1].elk, kms.unwrap));
    expect(kms.counts.unwrap).toBe(1);
  });

  it('pruning with an unchanged registry keeps everything', async () => {
    const kms = fakeKms();
    const lm = manager();
    const c = cfg('t1', 1);
    const lease = await lm.acquire(c, kms.wrap);
    expect(lm.prune(registryOf([c]))).toBe(0);
    expect(lm.current(c)).toBe(lease);
    expect(lm.cachedKeys).toBe(1);
  });

  it('a lease whose KMS call was in flight during a prune is returned but not installed', async () => {
    const lm = manager();
    const c = cfg('t1', 1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowWrap: KmsWrap = async (_c, key) => {
      const out = xor(key);
      await gate;
      return out;
    };
    const pending = lm.acquire(c, slowWrap);
    lm.prune(registryOf([]));
    release();
    const lease = await pending;
    expect(lease.config).toBe(c);
    expect(lm.current(c)).toBeUndefined();
    expect(lm.cachedKeys).toBe(0);
  });

  it('an unwrap in flight during a prune is not cached', async () => {
    const c = cfg('t1', 1);
    const lease = await manager().acquire(c, fakeKms().wrap);
    const lm = manager();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const slowUnwrap: KmsUnwrap = async (_c, data) => {
      calls++;
      const out = xor(data);
      await gate;
      return out;
    };
    const pending = resolveKey(lm.leasedKey(c, lease.id, lease.elk, slowUnwrap));
    await new Promise((r) => setImmediate(r));
    lm.prune(registryOf([]));
    release();
    expect(keyBytes(await pending)).toBe(keyBytes(lease));
    expect(calls).toBe(1);
    expect(lm.cachedKeys).toBe(0);
  });

  it('clear() drops everything', async () => {
    const kms = fakeKms();
    const lm = manager();
    const c = cfg('t1', 1);
    await lm.acquire(c, kms.wrap);
    lm.clear();
    expect(lm.current(c)).toBeUndefined();
    expect(lm.cachedKeys).toBe(0);
  });
});
