import { createSecretKey, KeyObject, randomInt } from 'node:crypto';
import { decodeEncryptedDeks, encodeEncryptedDeks, ErrorCode, TspError } from '@tsp/tsp-protocol';
import { LruCache } from './lru-cache';
import type { RandomPool } from './random-pool';
import { SingleFlight } from './single-flight';
import type { RuntimeKmsConfig, TenantRegistry } from './tenant-registry';

/**
 * Key leasing (tsp-api.md): per (tenant, config) a random 32-byte leased key (LK) is wrapped once
 * by the tenant's KMS (the ELK); DEKs are then wrapped locally under the LK. Any proxy instance
 * can unwrap such an EDEK after one KMS call for its ELK, then serves from a bounded cache.
 *
 * - `current()` is the synchronous hot path: a valid lease or undefined.
 * - `acquire()` makes a new lease; concurrent callers for one config share one KMS call.
 * - `leasedKey()` finds the LK of an EDEK: cache, else one KMS unwrap shared by all callers.
 * - `prune()` drops, at once, every lease and cached LK of a config that is gone, disabled or
 *   changed in the new registry.
 */
export interface Lease {
  readonly id: number;
  readonly key: KeyObject;
  /** Encoded EncryptedDeks holding the KMS-wrapped LK. */
  readonly elk: Uint8Array;
  readonly expiresAt: number;
  readonly config: RuntimeKmsConfig;
}

interface CachedKey {
  readonly key: KeyObject;
  readonly config: RuntimeKmsConfig;
}

export interface LeaseManagerOptions {
  /** Most unwrapped leased keys kept (per proxy process). */
  cacheSize: number;
  /** How long an unwrapped leased key is served without asking the KMS again, ms. */
  cacheTtlMs: number;
  now?: () => number;
  onCache?: (result: 'hit' | 'miss' | 'shared') => void;
}

export type KmsWrap = (config: RuntimeKmsConfig, key: Buffer) => Promise<Uint8Array>;
export type KmsUnwrap = (config: RuntimeKmsConfig, data: Uint8Array) => Promise<Buffer>;

const LK_LENGTH = 32;

function configKey(c: RuntimeKmsConfig): string {
  return `${c.tenantId}\0${c.id}`;
}

export class LeaseManager {
  private readonly leases = new Map<string, Lease>();
  private readonly acquiring = new SingleFlight<string, Lease>();
  private readonly unwrapping = new SingleFlight<string, KeyObject>();
  private readonly cache: LruCache<string, CachedKey>;
  private readonly now: () => number;
  /** Bumped by every prune; results of KMS calls begun before it are not cached. */
  private generation = 0;

  constructor(
    private readonly pool: RandomPool,
    private readonly opts: LeaseManagerOptions,
  ) {
    this.cache = new LruCache(opts.cacheSize);
    this.now = opts.now ?? Date.now;
  }

  get cachedKeys(): number {
    return this.cache.size;
  }

  current(config: RuntimeKmsConfig): Lease | undefined {
    const l = this.leases.get(configKey(config));
    if (l === undefined || l.config.fingerprint !== config.fingerprint || l.expiresAt <= this.now()) return undefined;
    return l;
  }

  acquire(config: RuntimeKmsConfig, wrap: KmsWrap): Promise<Lease> {
    const k = configKey(config);
    const generation = this.generation;
    return this.acquiring.run(k, async () => {
      const raw = this.pool.take(LK_LENGTH);
      try {
        const wrapped = await wrap(config, raw);
        const elk = encodeEncryptedDeks([{ encryptedDekData: wrapped, kmsConfigId: config.id }]);
        const key = createSecretKey(raw);
        const lease: Lease = { id: randomInt(1, 2 ** 31 - 1), key, elk, expiresAt: this.now() + config.leaseLifetimeMs, config };
        // Install it only if no refresh pruned leases while the KMS call was in flight.
        if (generation === this.generation) {
          this.leases.set(k, lease);
          this.cache.set(cacheKey(config, elk), { key, config }, this.now() + this.opts.cacheTtlMs);
        }
        return lease;
      } finally {
        raw.fill(0);
      }
    }).promise;
  }

  /**
   * The LK of a leased EDEK entry made under `config`.
   * Precondition: the ELK parses as EncryptedDeks whose first entry names the same config;
   * otherwise 203.
   */
  leasedKey(config: RuntimeKmsConfig, elk: Uint8Array, unwrap: KmsUnwrap): KeyObject | Promise<KeyObject> {
    const k = cacheKey(config, elk);
    const now = this.now();
    const hit = this.cache.get(k, now);
    if (hit !== undefined && hit.config.fingerprint === config.fingerprint) {
      this.opts.onCache?.('hit');
      return hit.key;
    }
    const { promise, shared } = this.unwrapping.run(k, async () => {
      const inner = decodeEncryptedDeks(elk)[0];
      if (inner.kmsConfigId !== config.id) {
        throw new TspError(ErrorCode.InvalidProvidedEdek, 'leased key of the EDEK names a different KMS config');
      }
      const generation = this.generation;
      const raw = await unwrap(config, inner.encryptedDekData);
      try {
        const key = createSecretKey(raw);
        if (generation === this.generation) this.cache.set(k, { key, config }, this.now() + this.opts.cacheTtlMs);
        return key;
      } finally {
        raw.fill(0);
      }
    });
    this.opts.onCache?.(shared ? 'shared' : 'miss');
    return promise;
  }

  /** Drops leases and cached keys of configs not active-and-unchanged in `registry`. */
  prune(registry: TenantRegistry): number {
    this.generation++;
    const stale = (c: RuntimeKmsConfig): boolean => {
      const now = registry.activeConfig(c.tenantId, c.id);
      return now === undefined || now.fingerprint !== c.fingerprint;
    };
    let n = 0;
    for (const [k, l] of this.leases) {
      if (stale(l.config)) {
        this.leases.delete(k);
        n++;
      }
    }
    n += this.cache.deleteWhere((_k, v) => stale(v.config));
    return n;
  }

  clear(): void {
    this.leases.clear();
    this.cache.clear();
  }
}

function cacheKey(config: RuntimeKmsConfig, elk: Uint8Array): string {
  return `${config.tenantId}\0${config.id}\0${Buffer.from(elk.buffer, elk.byteOffset, elk.byteLength).toString('base64')}`;
}
