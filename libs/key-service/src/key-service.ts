import {
  decodeEdekBase64,
  decodeEncryptedDeks,
  encodeEncryptedDeks,
  EncryptedDek,
  ErrorCode,
  TspError,
} from '@tsp/tsp-protocol';
import type { Lease, LeasedKey, LeaseManager } from './lease-manager';
import type { RandomPool } from './random-pool';
import { RuntimeKmsConfig, RuntimeTenant, TenantRegistry } from './tenant-registry';

export const DEK_LENGTH = 32;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
export const NO_CONFIGS_MESSAGE = 'No configurations available for the provided tenant';

export interface WrapResult {
  dek: Buffer;
  edek: Uint8Array;
  config: RuntimeKmsConfig;
  leased: boolean;
}

export interface UnwrapResult {
  dek: Buffer;
  config: RuntimeKmsConfig;
  leased: boolean;
}

export interface BatchResult<T> {
  keys: Map<string, T>;
  failures: Map<string, TspError>;
}

export interface KmsCallObserver {
  kmsCall(provider: string, operation: 'wrap' | 'unwrap', ok: boolean, seconds: number, kmsConfigId: number): void;
  /** A secondary config of a redundant wrap failed and was left out of the EDEK. */
  redundantWrapSkipped?(provider: string, code: number): void;
}

export interface KeyServiceOptions {
  pool: RandomPool;
  leases: LeaseManager;
  /** Deadline of one KMS call, ms. */
  kmsTimeoutMs: number;
  /** Most KMS calls one batch request makes at once. */
  batchKmsConcurrency: number;
  observer?: KmsCallObserver;
}

/**
 * Wrap, unwrap, batch and rekey over the current tenant registry. Holds no I/O of its own
 * besides the KMS calls of providers; the leased path is synchronous crypto only.
 */
export class KeyService {
  private registry = TenantRegistry.empty();

  constructor(private readonly opts: KeyServiceOptions) {}

  /** Atomically switches to a new registry and drops leases of configs it removed/changed. */
  setRegistry(next: TenantRegistry): void {
    this.registry = next;
    this.opts.leases.prune(next);
  }

  getRegistry(): TenantRegistry {
    return this.registry;
  }

  /** Precondition: the tenant is known and has an active config; else 201. */
  tenant(tenantId: string): RuntimeTenant {
    const t = this.registry.tenants.get(tenantId);
    if (t !== undefined && t.hasActiveConfig) return t;
    const why = this.registry.invalid.has(tenantId) ? ' (its configuration failed validation)' : '';
    throw new TspError(ErrorCode.UnknownTenantOrNoActiveKmsConfigurations, `${NO_CONFIGS_MESSAGE}: '${tenantId}'${why}`);
  }

  /**
   * For unwrap: a known tenant even when none of its configs is active, so that an EDEK of a
   * disabled config answers 202 (KmsConfigurationDisabled), not 201; unknown tenants get 201.
   */
  tenantForUnwrap(tenantId: string): RuntimeTenant {
    return this.registry.tenants.get(tenantId) ?? this.tenant(tenantId);
  }

  /** Precondition: the tenant has a primary config; else 200. */
  primary(t: RuntimeTenant): RuntimeKmsConfig {
    if (t.primary !== undefined) return t.primary;
    throw new TspError(ErrorCode.NoPrimaryKmsConfiguration, `Tenant '${t.tenantId}' has no primary KMS configuration`);
  }

  /**
   * Synchronous (no promise, no tick) when the primary config is leased and its lease is
   * current: the common case on the hot path. Throws TspError synchronously for tenant-level
   * problems. Callers handle both shapes (`await` does).
   */
  wrap(tenantId: string): WrapResult | Promise<WrapResult> {
    return this.wrapFor(this.tenant(tenantId));
  }

  /** Wraps for a tenant: with its primary config, and with redundant wrap on, every other active one. */
  wrapFor(t: RuntimeTenant, dek?: Buffer): WrapResult | Promise<WrapResult> {
    const primary = this.primary(t);
    return t.redundantConfigs.length === 0 ? this.wrapWith(primary, dek) : this.redundantWrap(t, primary, dek);
  }

  /**
   * Redundant wrap: the primary's entry first (it must succeed), then one entry per other active
   * config, wrapped in parallel. A secondary that fails is left out of this EDEK (reported to
   * the observer) rather than failing the wrap: redundancy protects unwrap, not wrap.
   */
  private async redundantWrap(t: RuntimeTenant, primary: RuntimeKmsConfig, given?: Buffer): Promise<WrapResult> {
    const first = await this.wrapWith(primary, given);
    const secondary = await Promise.allSettled(t.redundantConfigs.map(async (c) => this.wrapWith(c, first.dek)));
    const entries = [decodeEncryptedDeks(first.edek)[0]];
    secondary.forEach((r, i) => {
      if (r.status === 'fulfilled') entries.push(decodeEncryptedDeks(r.value.edek)[0]);
      else this.opts.observer?.redundantWrapSkipped?.(t.redundantConfigs[i].type, asTspError(r.reason, ErrorCode.KmsWrapFailed).code);
    });
    return { ...first, edek: encodeEncryptedDeks(entries) };
  }

  async batchWrap(tenantId: string, documentIds: readonly string[]): Promise<BatchResult<WrapResult>> {
    const t = this.tenant(tenantId);
    const config = this.primary(t);
    const ids = [...new Set(documentIds)];
    const result: BatchResult<WrapResult> = { keys: new Map(), failures: new Map() };
    if (config.leasingEnabled && t.redundantConfigs.length === 0) {
      // One lease for the whole batch, then local crypto only.
      this.leasedWrapMany(config, await this.leaseFor(config), ids, result.keys);
      return result;
    }
    await this.forEachLimited(ids, async (id) => {
      try {
        result.keys.set(id, await this.wrapFor(t));
      } catch (e) {
        result.failures.set(id, asTspError(e, ErrorCode.KmsWrapFailed));
      }
    });
    return result;
  }

  /** Synchronous on a leased-key cache hit (see wrap). */
  unwrap(tenantId: string, edek: string): UnwrapResult | Promise<UnwrapResult> {
    const entries = decodeEdekBase64(edek);
    return this.unwrapEntries(this.tenantForUnwrap(tenantId), entries);
  }

  async batchUnwrap(tenantId: string, edeks: Readonly<Record<string, string>>): Promise<BatchResult<UnwrapResult>> {
    const t = this.tenantForUnwrap(tenantId);
    const result: BatchResult<UnwrapResult> = { keys: new Map(), failures: new Map() };
    await this.forEachLimited(Object.keys(edeks), async (id) => {
      try {
        result.keys.set(id, await this.unwrapEntries(t, decodeEdekBase64(edeks[id])));
      } catch (e) {
        result.failures.set(id, asTspError(e, ErrorCode.KmsUnwrapFailed));
      }
    });
    return result;
  }

  /** Unwraps a base64 EDEK (or a wrapped tenant secret) for a tenant already looked up. */
  unwrapFor(t: RuntimeTenant, edek: string): UnwrapResult | Promise<UnwrapResult> {
    return this.unwrapEntries(t, decodeEdekBase64(edek));
  }

  /** Unwraps under `tenantId`, wraps the same DEK under `newTenantId`'s primary config. */
  async rekey(tenantId: string, edek: string, newTenantId: string): Promise<WrapResult> {
    const entries = decodeEdekBase64(edek);
    const target = this.tenant(newTenantId);
    this.primary(target); // precondition first: the target can wrap (else 200), before any KMS call
    const { dek } = await this.unwrapEntries(this.tenantForUnwrap(tenantId), entries);
    return this.wrapFor(target, dek);
  }

  /** Wraps `dek` (fresh random when absent) with one config; synchronous with a current lease. */
  wrapWith(config: RuntimeKmsConfig, dek?: Buffer): WrapResult | Promise<WrapResult> {
    if (!config.leasingEnabled) return this.kmsWrapResult(config, dek);
    const lease = this.leaseFor(config);
    return lease instanceof Promise ? lease.then((l) => this.leasedWrap(config, l, dek)) : this.leasedWrap(config, lease, dek);
  }

  /** The current lease of a config, or a new one (one KMS call shared by concurrent callers). */
  private leaseFor(config: RuntimeKmsConfig): Lease | Promise<Lease> {
    return (
      this.opts.leases.current(config) ??
      this.opts.leases.acquire(config, this.kmsWrap).catch((e: unknown) => {
        throw asTspError(e, ErrorCode.KmsWrapFailed);
      })
    );
  }

  private async kmsWrapResult(config: RuntimeKmsConfig, dek?: Buffer): Promise<WrapResult> {
    const key = dek ?? this.opts.pool.take(DEK_LENGTH);
    const data = await this.kmsWrap(config, key);
    return { dek: key, edek: encodeEncryptedDeks([{ encryptedDekData: data, kmsConfigId: config.id }]), config, leased: false };
  }

  /** A leased wrap: copy the lease's EDEK template, draw the IV into it, encrypt in place. */
  private leasedWrap(config: RuntimeKmsConfig, lease: Lease, given?: Buffer, ks?: Buffer, ksOff?: number, iv?: Uint8Array): WrapResult {
    const dek = given ?? this.opts.pool.take(DEK_LENGTH);
    const tpl = lease.template;
    const edek = Buffer.allocUnsafe(tpl.bytes.length);
    tpl.bytes.copy(edek);
    const ivInEdek = edek.subarray(tpl.ivOffset, tpl.ivOffset + IV_LENGTH);
    if (iv === undefined) this.opts.pool.fill(ivInEdek);
    else ivInEdek.set(iv);
    lease.gcm.encryptInto(ivInEdek, dek, lease.aad, edek, tpl.dataOffset, ks, ksOff);
    return { dek, edek, config, leased: true };
  }

  /** Many leased wraps with one AES call for all their keystreams. */
  private leasedWrapMany(config: RuntimeKmsConfig, lease: Lease, ids: readonly string[], into: Map<string, WrapResult>): void {
    const ivs = ids.map(() => this.opts.pool.take(IV_LENGTH));
    const ks = lease.gcm.keystreams(ivs);
    ids.forEach((id, n) => into.set(id, this.leasedWrap(config, lease, undefined, ks, n * 48, ivs[n])));
    ks.fill(0);
  }

  /**
   * Unwraps with the first entry whose config is assigned to the tenant. Preconditions, in
   * order: some entry's config is assigned to this tenant (else "is not assigned to tenant",
   * 203); that config is active (else 202). With several usable entries (redundant wrap), a
   * KMS failure of one falls through to the next.
   */
  private unwrapEntries(t: RuntimeTenant, entries: readonly EncryptedDek[]): UnwrapResult | Promise<UnwrapResult> {
    const usable: [RuntimeKmsConfig, EncryptedDek][] = [];
    let disabled: RuntimeKmsConfig | undefined;
    for (const entry of entries) {
      const config = t.configs.get(entry.kmsConfigId);
      if (config === undefined) continue;
      if (config.active) usable.push([config, entry]);
      else disabled ??= config;
    }
    if (usable.length === 1) return this.unwrapEntry(usable[0][0], usable[0][1]);
    if (usable.length > 1) return this.unwrapFirstThatWorks(usable);
    if (disabled !== undefined) {
      throw new TspError(ErrorCode.KmsConfigurationDisabled, `KMS config ${disabled.id} of tenant '${t.tenantId}' is disabled`);
    }
    if (!t.hasActiveConfig) this.tenant(t.tenantId); // 201: nothing of this tenant is active
    throw new TspError(ErrorCode.InvalidProvidedEdek, `KMS config ${entries[0].kmsConfigId} is not assigned to tenant '${t.tenantId}'`);
  }

  /** Redundant EDEKs: a failure of one config's KMS falls through to the next entry. */
  private async unwrapFirstThatWorks(usable: readonly [RuntimeKmsConfig, EncryptedDek][]): Promise<UnwrapResult> {
    let lastError: TspError | undefined;
    for (const [config, entry] of usable) {
      try {
        return await this.unwrapEntry(config, entry);
      } catch (e) {
        lastError = asTspError(e, ErrorCode.KmsUnwrapFailed);
      }
    }
    throw lastError;
  }

  private unwrapEntry(config: RuntimeKmsConfig, entry: EncryptedDek): UnwrapResult | Promise<UnwrapResult> {
    if (entry.leasedKeyId === 0) {
      return this.kmsUnwrap(config, entry.encryptedDekData).then((dek) => ({ dek, config, leased: false }));
    }
    if (entry.leasedKeyIv.length !== IV_LENGTH || entry.encryptedLeasedKeyData.length === 0 || entry.encryptedDekData.length !== DEK_LENGTH + TAG_LENGTH) {
      throw new TspError(ErrorCode.InvalidProvidedEdek, 'leased EDEK is malformed');
    }
    const found = this.opts.leases.leasedKey(config, entry.leasedKeyId, entry.encryptedLeasedKeyData, this.kmsUnwrap);
    return found instanceof Promise ? found.then((lk) => leasedDecrypt(lk, config, entry)) : leasedDecrypt(found, config, entry);
  }

  /** A KMS wrap with deadline and observation. */
  readonly kmsWrap = async (config: RuntimeKmsConfig, key: Buffer): Promise<Uint8Array> => {
    return this.observe(config, 'wrap', (signal) => config.provider.wrap(key, { tenantId: config.tenantId, kmsConfigId: config.id, signal }));
  };

  readonly kmsUnwrap = async (config: RuntimeKmsConfig, data: Uint8Array): Promise<Buffer> => {
    return this.observe(config, 'unwrap', (signal) => config.provider.unwrap(data, { tenantId: config.tenantId, kmsConfigId: config.id, signal }));
  };

  private async observe<T>(config: RuntimeKmsConfig, op: 'wrap' | 'unwrap', call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const start = performance.now();
    let ok = false;
    try {
      const r = await call(AbortSignal.timeout(this.opts.kmsTimeoutMs));
      ok = true;
      return r;
    } finally {
      this.opts.observer?.kmsCall(config.type, op, ok, (performance.now() - start) / 1000, config.id);
    }
  }

  private async forEachLimited<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) await fn(items[next++]);
    };
    const n = Math.min(this.opts.batchKmsConcurrency, items.length);
    await Promise.all(Array.from({ length: n }, worker));
  }
}

function leasedDecrypt(lk: LeasedKey, config: RuntimeKmsConfig, entry: EncryptedDek): UnwrapResult {
  const dek = lk.gcm.decrypt(entry.leasedKeyIv, entry.encryptedDekData, lk.aad);
  if (dek === undefined) throw new TspError(ErrorCode.KmsUnwrapFailed, 'leased EDEK failed authentication (tampered data or another tenant)');
  return { dek, config, leased: true };
}

export function asTspError(e: unknown, fallback: TspError['code']): TspError {
  if (e instanceof TspError) return e;
  return new TspError(fallback, e instanceof Error ? e.message : 'unexpected failure');
}
