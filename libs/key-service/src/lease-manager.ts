import { createSecretKey, randomInt } from 'node:crypto';
import { decodeEncryptedDeks, encodeEncryptedDeks, ErrorCode, TspError } from '@tsp/tsp-protocol';
import { EdekTemplate, leasedEdekTemplate } from './edek-template';
import { AadState, LeasedGcm } from './leased-gcm';
import { LruCache } from './lru-cache';
import type { RandomPool } from './random-pool';
import { SingleFlight } from './single-flight';
import { leaseAad, RuntimeKmsConfig, TenantRegistry } from './tenant-registry';

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
/** A leased key ready for AES-256-GCM: one reusable cipher context and the tenant's AAD state. */
export interface LeasedKey {
  readonly gcm: LeasedGcm;
  readonly aad: AadState;
}

export interface Lease extends LeasedKey {
  readonly id: number;
  /** Encoded EncryptedDeks holding the KMS-wrapped LK. */
  readonly elk: Uint8Array;
  /** The EDEK encoding of this lease, with the per-DEK fields to fill in. */
  readonly template: EdekTemplate;
  readonly expiresAt: number;
  readonly config: RuntimeKmsConfig;
}

interface CachedKey extends LeasedKey {
  readonly config: RuntimeKmsConfig;
  readonly elk: Uint8Array;
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

/** Builds the GCM context of a raw leased key for the config's tenant, then wipes the raw key. */
function leasedKeyOf(raw: Buffer, config: RuntimeKmsConfig): LeasedKey {
  const gcm = new LeasedGcm(createSecretKey(raw));
  raw.fill(0);
  return { gcm, aad: gcm.absorbAad(leaseAad(config.tenantId)) };
}

export class LeaseManager {
  /** Current lease per config, keyed by the config's fingerprint (unique, and new when it changes). */
  private readonly leases = new Map<string, Lease>();
  private readonly acquiring = new SingleFlight<string, Lease>();
  private readonly unwrapping = new SingleFlight<string, CachedKey>();
  /** Unwrapped leased keys by `fingerprint \0 leasedKeyId`; the ELK bytes are compared on a hit. */
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
    const l = this.leases.get(config.fingerprint);
    if (l === undefined || l.expiresAt <= this.now()) return undefined;
    return l;
  }

  acquire(config: RuntimeKmsConfig, wrap: KmsWrap): Promise<Lease> {
    const generation = this.generation;
    return this.acquiring.run(config.fingerprint, async () => {
      const raw = this.pool.take(LK_LENGTH);
      try {
        const wrapped = await wrap(config, raw);
        const elk = encodeEncryptedDeks([{ encryptedDekData: wrapped, kmsConfigId: config.id }]);
        const id = randomInt(1, 2 ** 31 - 1);
        const template = leasedEdekTemplate(config.id, id, elk);
        const lease: Lease = { id, ...leasedKeyOf(raw, config), elk, template, expiresAt: this.now() + config.leaseLifetimeMs, config };
        // Install it only if no refresh pruned leases while the KMS call was in flight.
        if (generation === this.generation) {
          this.leases.set(config.fingerprint, lease);
          this.cache.set(cacheKey(config, id), { gcm: lease.gcm, aad: lease.aad, config, elk }, this.now() + this.opts.cacheTtlMs);
        }
        return lease;
      } finally {
        raw.fill(0);
      }
    }).promise;
  }

  /**
   * The leased key of an EDEK entry made under `config` (synchronous on a cache hit).
   * Precondition: the ELK parses as EncryptedDeks whose first entry names the same config;
   * otherwise 203.
   */
  leasedKey(config: RuntimeKmsConfig, leasedKeyId: number, elk: Uint8Array, unwrap: KmsUnwrap): LeasedKey | Promise<LeasedKey> {
    const k = cacheKey(config, leasedKeyId);
    const hit = this.cache.get(k, this.now());
    if (hit !== undefined && bytesEqual(hit.elk, elk)) {
      this.opts.onCache?.('hit');
      return hit;
    }
    // A miss, or another instance's lease that drew the same id: the full ELK decides.
    const { promise, shared } = this.unwrapping.run(`${k}\0${Buffer.from(elk.buffer, elk.byteOffset, elk.byteLength).toString('base64')}`, async () => {
      const inner = decodeEncryptedDeks(elk)[0];
      if (inner.kmsConfigId !== config.id) {
        throw new TspError(ErrorCode.InvalidProvidedEdek, 'leased key of the EDEK names a different KMS config');
      }
      const generation = this.generation;
      const entry: CachedKey = { ...leasedKeyOf(await unwrap(config, inner.encryptedDekData), config), config, elk: Uint8Array.from(elk) };
      if (generation === this.generation) this.cache.set(k, entry, this.now() + this.opts.cacheTtlMs);
      return entry;
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

function cacheKey(config: RuntimeKmsConfig, leasedKeyId: number): string {
  return `${config.fingerprint}\0${leasedKeyId}`;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
