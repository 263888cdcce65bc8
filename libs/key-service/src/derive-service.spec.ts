import { createHmac, randomBytes } from 'node:crypto';
import type { KmsConfig, TenantConfig, TenantSecret } from '@tsp/config-crypto';
import { localKmsFactory } from '@tsp/kms-local';
import { encodeEncryptedDeks, ErrorCode, SecretType, TspError } from '@tsp/tsp-protocol';
import { DeriveService, ReadOnlySecretSource, SecretCreator, usableSecrets } from './derive-service';
import type { RuntimeTenant } from './tenant-registry';
import { interceptedLocalFactory, localConfig, newKeyService, registryOf, tenantConfig, TestKeyService } from './key-service.test-helpers';
import { tspErrorOf } from '@tsp/test-support';

const NO_CREATE = 'the file config source cannot store new secrets';

async function wrapSecret(tenantId: string, config: KmsConfig, secret: Buffer): Promise<string> {
  const provider = localKmsFactory.create(config);
  const data = await provider.wrap(secret, { tenantId, kmsConfigId: config.id, signal: new AbortController().signal });
  return Buffer.from(encodeEncryptedDeks([{ encryptedDekData: data, kmsConfigId: config.id }])).toString('base64');
}

function expected(secret: Buffer, tenantId: string, derivationPath: string, alg = 'sha512'): string {
  return createHmac(alg, secret).update(`${tenantId}-${derivationPath}`, 'utf8').digest('base64');
}

interface Fixture {
  tenants: TenantConfig[];
  secrets: Record<string, Buffer>;
}

/**
 * td: configs 20 (primary) and 21; secrets of path p1/deterministic: 3 current, 2 inRotation,
 * 1 archived, 6 inRotation (older); 4 current p1/search; 5 current p2.
 * tn: no primary, config 22; secret 1 current p1.
 */
async function fixture(): Promise<Fixture> {
  const c20 = localConfig(20, { primary: true });
  const c21 = localConfig(21);
  const c22 = localConfig(22);
  const secrets: Record<string, Buffer> = {};
  const make = async (key: string, tenantId: string, config: KmsConfig, s: Omit<TenantSecret, 'encryptedSecret'>): Promise<TenantSecret> => {
    secrets[key] = randomBytes(32);
    return { ...s, encryptedSecret: await wrapSecret(tenantId, config, secrets[key]) };
  };
  const td = tenantConfig('td', [c20, c21], [
    await make('s1', 'td', c20, { id: 1, secretPath: 'p1', secretType: 'deterministic', status: 'archived' }),
    await make('s2', 'td', c21, { id: 2, secretPath: 'p1', secretType: 'deterministic', status: 'inRotation' }),
    await make('s3', 'td', c20, { id: 3, secretPath: 'p1', secretType: 'deterministic', status: 'current' }),
    await make('s4', 'td', c20, { id: 4, secretPath: 'p1', secretType: 'search', status: 'current' }),
    await make('s5', 'td', c20, { id: 5, secretPath: 'p2', secretType: 'deterministic', status: 'current' }),
    await make('s6', 'td', c21, { id: 6, secretPath: 'p1', secretType: 'deterministic', status: 'inRotation' }),
  ]);
  const tn = tenantConfig('tn', [c22], [await make('n1', 'tn', c22, { id: 1, secretPath: 'p1', secretType: 'deterministic', status: 'current' })]);
  return { tenants: [td, tn], secrets };
}

function service(s: TestKeyService, creator: SecretCreator = new ReadOnlySecretSource(NO_CREATE), cacheSize = 100): DeriveService {
  return new DeriveService(s.keys, creator, { cacheSize, cacheTtlMs: 60_000 });
}

describe('DeriveService', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });

  it('derives HMAC-SHA512(secret, "<tenantId>-<derivationPath>"), current first then inRotation, archived never', async () => {
    const s = newKeyService(f.tenants);
    const r = await service(s).derive('td', { p1: ['a', 'b/c'], p2: ['a'] }, 'sha512', 'deterministic');
    expect(r.hasPrimaryConfig).toBe(true);
    expect(r.derivedKeys).toEqual({
      p1: {
        a: [
          { derivedKey: expected(f.secrets['s3'], 'td', 'a'), tenantSecretId: 3, current: true },
          { derivedKey: expected(f.secrets['s6'], 'td', 'a'), tenantSecretId: 6, current: false },
          { derivedKey: expected(f.secrets['s2'], 'td', 'a'), tenantSecretId: 2, current: false },
        ],
        'b/c': [
          { derivedKey: expected(f.secrets['s3'], 'td', 'b/c'), tenantSecretId: 3, current: true },
          { derivedKey: expected(f.secrets['s6'], 'td', 'b/c'), tenantSecretId: 6, current: false },
          { derivedKey: expected(f.secrets['s2'], 'td', 'b/c'), tenantSecretId: 2, current: false },
        ],
      },
      p2: { a: [{ derivedKey: expected(f.secrets['s5'], 'td', 'a'), tenantSecretId: 5, current: true }] },
    });
    expect(Buffer.from(r.derivedKeys['p1']['a'][0].derivedKey, 'base64')).toHaveLength(64);
  });

  it('filters by secret type', async () => {
    const r = await service(newKeyService(f.tenants)).derive('td', { p1: ['x'] }, 'sha512', 'search');
    expect(r.derivedKeys['p1']['x']).toEqual([{ derivedKey: expected(f.secrets['s4'], 'td', 'x'), tenantSecretId: 4, current: true }]);
  });

  it('sha256 derivation uses HMAC-SHA256', async () => {
    const r = await service(newKeyService(f.tenants)).derive('td', { p2: ['x'] }, 'sha256', 'deterministic');
    expect(r.derivedKeys['p2']['x'][0].derivedKey).toBe(expected(f.secrets['s5'], 'td', 'x', 'sha256'));
  });

  it('a tenant without primary gets hasPrimaryConfig false and still its keys', async () => {
    const r = await service(newKeyService(f.tenants)).derive('tn', { p1: ['x'] }, 'sha512', 'deterministic');
    expect(r).toEqual({ hasPrimaryConfig: false, derivedKeys: { p1: { x: [{ derivedKey: expected(f.secrets['n1'], 'tn', 'x'), tenantSecretId: 1, current: true }] } } });
  });

  it('argon2 is refused with 102 before any KMS call', async () => {
    const s = newKeyService(f.tenants);
    const e = await tspErrorOf(service(s).derive('td', { p1: ['x'] }, 'argon2', 'deterministic'));
    expect(e.code).toBe(ErrorCode.InvalidRequestBody);
    expect(e.message).toContain('argon2');
    expect(s.kms.unwrap).toBe(0);
  });

  it('an unknown tenant is 201', async () => {
    expect((await tspErrorOf(service(newKeyService(f.tenants)).derive('nobody', { p1: ['x'] }, 'sha512', 'deterministic'))).code).toBe(201);
  });

  it('a missing secret where secrets cannot be created is 401 with the reason', async () => {
    const e = await tspErrorOf(service(newKeyService(f.tenants)).derive('td', { p9: ['x'] }, 'sha512', 'deterministic'));
    expect(e.code).toBe(ErrorCode.SecretCreationFailed);
    expect(e.message).toContain(NO_CREATE);
    expect(e.message).toContain("'p9'");
  });

  it('a missing secret is created by a creator that can, with the primary config', async () => {
    const s = newKeyService(f.tenants);
    const fresh = randomBytes(32);
    const calls: [string, string, SecretType][] = [];
    const creator: SecretCreator = {
      cannotCreateReason: undefined,
      async create(t: RuntimeTenant, secretPath: string, secretType: SecretType): Promise<TenantSecret> {
        calls.push([t.tenantId, secretPath, secretType]);
        const w = await s.keys.wrapWith(t.primary!, Buffer.from(fresh));
        return { id: 99, secretPath, secretType, status: 'current', encryptedSecret: Buffer.from(w.edek).toString('base64') };
      },
    };
    const r = await service(s, creator).derive('td', { p9: ['x'] }, 'sha512', 'vector');
    expect(calls).toEqual([['td', 'p9', 'vector']]);
    expect(r.derivedKeys['p9']['x']).toEqual([{ derivedKey: expected(fresh, 'td', 'x'), tenantSecretId: 99, current: true }]);
    const e = await tspErrorOf(service(s, creator).derive('tn', { p9: ['x'] }, 'sha512', 'deterministic'));
    expect(e.code).toBe(401);
    expect(e.message).toContain('no primary');
  });

  describe('a path without a Current secret (being rotated)', () => {
    /** tr: config 30 (primary); p3/deterministic: 7 inRotation, 8 archived, 9 inRotation. tq: config 31, no primary; same shape. */
    let rot: { tenants: TenantConfig[]; secrets: Record<string, Buffer> };
    beforeAll(async () => {
      const secrets: Record<string, Buffer> = {};
      const c30 = localConfig(30, { primary: true });
      const c31 = localConfig(31);
      const make = async (key: string, tenantId: string, config: KmsConfig, id: number, status: TenantSecret['status']): Promise<TenantSecret> => {
        secrets[key] = randomBytes(32);
        return { id, secretPath: 'p3', secretType: 'deterministic', status, encryptedSecret: await wrapSecret(tenantId, config, secrets[key]) };
      };
      rot = {
        secrets,
        tenants: [
          tenantConfig('tr', [c30], [await make('r7', 'tr', c30, 7, 'inRotation'), await make('r8', 'tr', c30, 8, 'archived'), await make('r9', 'tr', c30, 9, 'inRotation')]),
          tenantConfig('tq', [c31], [await make('q7', 'tq', c31, 7, 'inRotation')]),
        ],
      };
    });

    /** A creator that wraps `fresh` with the primary and answers it as secret `id` (as the broker would). */
    function creatorOf(s: TestKeyService, fresh: Buffer, id: number): SecretCreator & { calls: string[] } {
      const calls: string[] = [];
      return {
        calls,
        cannotCreateReason: undefined,
        async create(t: RuntimeTenant, secretPath: string, secretType: SecretType): Promise<TenantSecret> {
          calls.push(`${t.tenantId}/${secretPath}/${secretType}`);
          const w = await s.keys.wrapWith(t.primary!, Buffer.from(fresh));
          return { id, secretPath, secretType, status: 'current', encryptedSecret: Buffer.from(w.edek).toString('base64') };
        },
      };
    }

    it('gets a new Current secret from the creator, listed first, then the InRotation ones (archived never)', async () => {
      const s = newKeyService(rot.tenants);
      const fresh = randomBytes(32);
      const creator = creatorOf(s, fresh, 10);
      const r = await service(s, creator).derive('tr', { p3: ['x'] }, 'sha512', 'deterministic');
      expect(creator.calls).toEqual(['tr/p3/deterministic']);
      expect(r.derivedKeys['p3']['x']).toEqual([
        { derivedKey: expected(fresh, 'tr', 'x'), tenantSecretId: 10, current: true },
        { derivedKey: expected(rot.secrets['r9'], 'tr', 'x'), tenantSecretId: 9, current: false },
        { derivedKey: expected(rot.secrets['r7'], 'tr', 'x'), tenantSecretId: 7, current: false },
      ]);
    });

    it('lists a Current secret the creator answers only once when the registry still has it InRotation (a restored one)', async () => {
      const s = newKeyService(rot.tenants);
      const restored: SecretCreator = {
        cannotCreateReason: undefined,
        create: async (t) => ({ ...t.secrets.find((x) => x.id === 9)!, status: 'current' }),
      };
      const r = await service(s, restored).derive('tr', { p3: ['x'] }, 'sha512', 'deterministic');
      expect(r.derivedKeys['p3']['x'].map((k) => [k.tenantSecretId, k.current])).toEqual([
        [9, true],
        [7, false],
      ]);
    });

    it('serves the InRotation ones as they are where no secret can be created (read-only source, or no primary)', async () => {
      const s = newKeyService(rot.tenants);
      const readOnly = await service(s).derive('tr', { p3: ['x'] }, 'sha512', 'deterministic');
      expect(readOnly.derivedKeys['p3']['x']).toEqual([
        { derivedKey: expected(rot.secrets['r9'], 'tr', 'x'), tenantSecretId: 9, current: false },
        { derivedKey: expected(rot.secrets['r7'], 'tr', 'x'), tenantSecretId: 7, current: false },
      ]);
      const creator = creatorOf(s, randomBytes(32), 11);
      const noPrimary = await service(s, creator).derive('tq', { p3: ['x'] }, 'sha512', 'deterministic');
      expect(creator.calls).toEqual([]);
      expect(noPrimary).toEqual({ hasPrimaryConfig: false, derivedKeys: { p3: { x: [{ derivedKey: expected(rot.secrets['q7'], 'tq', 'x'), tenantSecretId: 7, current: false }] } } });
    });

    it("does not call the creator for a path that has a Current secret, and passes the creator's failure on", async () => {
      const s = newKeyService([...f.tenants, ...rot.tenants]);
      const failing: SecretCreator & { calls: number } = {
        calls: 0,
        cannotCreateReason: undefined,
        async create() {
          failing.calls++;
          throw new TspError(ErrorCode.SecretCreationFailed, 'the broker answered HTTP 503');
        },
      };
      await service(s, failing).derive('td', { p1: ['x'], p2: ['y'] }, 'sha512', 'deterministic');
      expect(failing.calls).toBe(0);
      const e = await tspErrorOf(service(s, failing).derive('tr', { p3: ['x'] }, 'sha512', 'deterministic'));
      expect(failing.calls).toBe(1);
      expect(e.code).toBe(ErrorCode.SecretCreationFailed);
      expect(e.message).toBe('the broker answered HTTP 503');
    });
  });

  it('unwrapped secrets are cached until clearCache()', async () => {
    const s = newKeyService(f.tenants);
    const d = service(s);
    await d.derive('td', { p1: ['x'] }, 'sha512', 'deterministic');
    expect(s.kms.unwrap).toBe(3);
    await d.derive('td', { p1: ['y'] }, 'sha512', 'deterministic');
    expect(s.kms.unwrap).toBe(3);
    d.clearCache();
    await d.derive('td', { p1: ['z'] }, 'sha512', 'deterministic');
    expect(s.kms.unwrap).toBe(6);
  });

  it('a cache smaller than the secrets of one request still derives with the real secrets', async () => {
    const r = await service(newKeyService(f.tenants), undefined, 1).derive('td', { p1: ['x'] }, 'sha512', 'deterministic');
    expect(r.derivedKeys['p1']['x'].map((k) => k.derivedKey)).toEqual(
      ['s3', 's6', 's2'].map((k) => expected(f.secrets[k], 'td', 'x')),
    );
  });

  it('a registry refresh (clearCache) while a derive is in flight does not change its keys', async () => {
    // Unwraps under config 21 wait for a gate, so secret 3 (config 20) is cached first.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const gated = interceptedLocalFactory({
      unwrap: async (inner, data, ctx) => {
        if (ctx.kmsConfigId === 21) await gate;
        return inner.unwrap(data, ctx);
      },
    });
    const s = newKeyService(f.tenants);
    s.keys.setRegistry(registryOf(f.tenants, 2, undefined, gated));
    const d = service(s);
    const pending = d.derive('td', { p1: ['x'] }, 'sha512', 'deterministic');
    for (let i = 0; i < 20 && s.kms.unwrap < 1; i++) await new Promise((r) => setImmediate(r));
    expect(s.kms.unwrap).toBe(1); // secret 3 is unwrapped and cached, 6 and 2 wait
    d.clearCache();
    open();
    const r = await pending;
    expect(r.derivedKeys['p1']['x'].map((k) => k.derivedKey)).toEqual(
      ['s3', 's6', 's2'].map((k) => expected(f.secrets[k], 'td', 'x')),
    );
  });
});

describe('usableSecrets', () => {
  const base = { secretPath: 'p', secretType: 'deterministic' as const, encryptedSecret: 'AAAA' };
  it('serves the newest current as current and demotes extra current ones to inRotation', () => {
    const list: TenantSecret[] = [
      { ...base, id: 1, status: 'current' },
      { ...base, id: 5, status: 'current' },
      { ...base, id: 3, status: 'inRotation' },
      { ...base, id: 4, status: 'archived' },
    ];
    expect(usableSecrets(list, 'p', 'deterministic').map((s) => [s.id, s.status])).toEqual([
      [5, 'current'],
      [1, 'inRotation'],
      [3, 'inRotation'],
    ]);
  });

  it('returns nothing for another path or type', () => {
    expect(usableSecrets([{ ...base, id: 1, status: 'current' }], 'q', 'deterministic')).toEqual([]);
    expect(usableSecrets([{ ...base, id: 1, status: 'current' }], 'p', 'search')).toEqual([]);
  });
});
