/**
 * Test helpers (used by the key-service specs only): tenants with `local` KMS configs, a real
 * TenantRegistry and a KeyService whose KMS calls are counted through its observer.
 */
import type { KmsConfig, OpenedTenant, TenantConfig, TenantSecret } from '@tsp/config-crypto';
import { KmsCallContext, KmsProvider, KmsProviderFactory, KmsProviderRegistry } from '@tsp/kms-core';
import { generateLocalKek, localKmsFactory } from '@tsp/kms-local';
import { KeyService } from './key-service';
import { LeaseManager } from './lease-manager';
import { RandomPool } from './random-pool';
import { buildTenantRegistry, TenantRegistry } from './tenant-registry';

export function localConfig(id: number, over: Partial<KmsConfig> = {}): KmsConfig {
  return { id, type: 'local', active: true, primary: false, keyPath: { name: `key-${id}` }, credentials: { kek: generateLocalKek() }, ...over };
}

export function tenantConfig(tenantId: string, kmsConfigs: KmsConfig[], secrets: TenantSecret[] = []): TenantConfig {
  return { tenantId, kmsConfigs, secrets };
}

export function registryOf(
  tenants: readonly TenantConfig[],
  sequence = 1,
  previous?: TenantRegistry,
  factory: KmsProviderFactory = localKmsFactory,
): TenantRegistry {
  const opened: OpenedTenant[] = tenants.map((config) => ({ tenantId: config.tenantId, ok: true, config, fingerprint: 'x' }));
  return buildTenantRegistry(opened, new KmsProviderRegistry().register(factory), sequence, previous);
}

/** The local provider with its calls passed through `wrap`/`unwrap` interceptors (faults, gates). */
export function interceptedLocalFactory(hooks: {
  wrap?: (inner: KmsProvider, dek: Buffer, ctx: KmsCallContext) => Promise<Uint8Array>;
  unwrap?: (inner: KmsProvider, data: Uint8Array, ctx: KmsCallContext) => Promise<Buffer>;
}): KmsProviderFactory {
  return {
    type: 'local',
    validate: (c: KmsConfig) => localKmsFactory.validate(c),
    create(c: KmsConfig): KmsProvider {
      const inner = localKmsFactory.create(c);
      return {
        type: 'local',
        wrap: (dek, ctx) => (hooks.wrap ? hooks.wrap(inner, dek, ctx) : inner.wrap(dek, ctx)),
        unwrap: (data, ctx) => (hooks.unwrap ? hooks.unwrap(inner, data, ctx) : inner.unwrap(data, ctx)),
        healthcheck: (ctx) => inner.healthcheck(ctx),
        close: () => inner.close(),
      };
    },
  };
}

export interface KmsCounts {
  wrap: number;
  unwrap: number;
  failed: number;
}

export interface TestKeyService {
  keys: KeyService;
  leases: LeaseManager;
  kms: KmsCounts;
  clock: { now: number };
}

/** An independent KeyService (as in another proxy process) over `tenants`. */
export function newKeyService(tenants: readonly TenantConfig[], opts: { batchKmsConcurrency?: number } = {}): TestKeyService {
  const kms: KmsCounts = { wrap: 0, unwrap: 0, failed: 0 };
  const clock = { now: 1_700_000_000_000 };
  const pool = new RandomPool();
  const leases = new LeaseManager(pool, { cacheSize: 1000, cacheTtlMs: 3_600_000, now: () => clock.now });
  const keys = new KeyService({
    pool,
    leases,
    kmsTimeoutMs: 5000,
    batchKmsConcurrency: opts.batchKmsConcurrency ?? 4,
    observer: {
      kmsCall(_provider, operation, ok) {
        kms[operation]++;
        if (!ok) kms.failed++;
      },
    },
  });
  keys.setRegistry(registryOf(tenants));
  return { keys, leases, kms, clock };
}
