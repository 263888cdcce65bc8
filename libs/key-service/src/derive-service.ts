import { createHmac } from 'node:crypto';
import type { TenantSecret } from '@tsp/config-crypto';
import {
  DeriveResponse,
  DerivedKey,
  DerivationType,
  ErrorCode,
  SecretType,
  TspError,
} from '@tsp/tsp-protocol';
import type { KeyService } from './key-service';
import { LruCache } from './lru-cache';
import type { RuntimeTenant } from './tenant-registry';

/**
 * Creates tenant secrets where the config source can persist them (the broker: HttpSecretCreator
 * in broker-client). The file source cannot: it says so, and derive answers 401 with that reason.
 */
export interface SecretCreator {
  /** Why secrets cannot be created, or undefined when they can. */
  readonly cannotCreateReason: string | undefined;
  /**
   * A Current secret of the path and type: a new one, or the one another proxy created first
   * (the caller uses what comes back, never what it may have wrapped itself). Precondition: the
   * tenant has a primary config. Failures are TspErrors 401 (SecretCreationFailed).
   */
  create(tenant: RuntimeTenant, secretPath: string, secretType: SecretType): Promise<TenantSecret>;
}

export class ReadOnlySecretSource implements SecretCreator {
  constructor(readonly cannotCreateReason: string) {}

  async create(): Promise<TenantSecret> {
    throw new TspError(ErrorCode.SecretCreationFailed, this.cannotCreateReason);
  }
}

export interface DeriveServiceOptions {
  cacheSize: number;
  cacheTtlMs: number;
}

const HMAC_ALG: Record<Exclude<DerivationType, 'argon2'>, string> = { sha512: 'sha512', sha256: 'sha256' };

/**
 * `key/derive-with-secret-path`: for each (secretPath, derivationPath), one derived key per
 * Current (first, `current: true`) or InRotation secret of the path and type;
 * derivedKey = HMAC(secret, `<tenantId>-<derivationPath>`). Unwrapped secrets are cached
 * (bounded, with expiry) and dropped whenever the registry changes.
 *
 * A path without a Current secret (none yet, or its secret is being rotated) gets a new one from
 * the creator, listed first before the InRotation ones. Where no secret can be created (the
 * source is read-only, or the tenant has no primary config) the InRotation secrets are served
 * as they are, and a path with none at all is a 401 naming the reason.
 */
export class DeriveService {
  private readonly secrets: LruCache<string, Buffer>;

  constructor(
    private readonly keys: KeyService,
    private readonly creator: SecretCreator,
    private readonly opts: DeriveServiceOptions,
  ) {
    this.secrets = new LruCache(opts.cacheSize, (b) => b.fill(0));
  }

  /** Call after every registry change. */
  clearCache(): void {
    this.secrets.clear();
  }

  async derive(
    tenantId: string,
    paths: Readonly<Record<string, readonly string[]>>,
    derivationType: DerivationType,
    secretType: SecretType,
  ): Promise<DeriveResponse> {
    if (derivationType === 'argon2') {
      throw new TspError(ErrorCode.InvalidRequestBody, "derivationType 'argon2' is not supported by this proxy; use 'sha512' or 'sha256'");
    }
    const t = this.keys.tenant(tenantId);
    // Null-prototype maps: a path named __proto__ is a key like any other.
    const derivedKeys: DeriveResponse['derivedKeys'] = Object.create(null) as DeriveResponse['derivedKeys'];
    for (const [secretPath, derivationPaths] of Object.entries(paths)) {
      const existing = usableSecrets(t.secrets, secretPath, secretType);
      const usable = existing[0]?.status === 'current' ? existing : await this.withNewCurrent(t, secretPath, secretType, existing);
      const unwrapped = await Promise.all(usable.map((s) => this.secret(t, s)));
      const byDerivation: Record<string, DerivedKey[]> = Object.create(null) as Record<string, DerivedKey[]>;
      for (const dp of derivationPaths) {
        const message = `${tenantId}-${dp}`;
        byDerivation[dp] = usable.map((s, i) => ({
          derivedKey: createHmac(HMAC_ALG[derivationType], unwrapped[i]).update(message, 'utf8').digest('base64'),
          tenantSecretId: s.id,
          current: s.status === 'current',
        }));
      }
      unwrapped.forEach((b) => b.fill(0));
      derivedKeys[secretPath] = byDerivation;
    }
    return { hasPrimaryConfig: t.primary !== undefined, derivedKeys };
  }

  /**
   * `rotating`: the path's InRotation secrets (no Current one). With a creator that can create
   * and a primary config: the new Current secret first, then those. Otherwise: those, or 401
   * with the reason when there are none.
   */
  private async withNewCurrent(t: RuntimeTenant, secretPath: string, secretType: SecretType, rotating: TenantSecret[]): Promise<TenantSecret[]> {
    const cannot =
      this.creator.cannotCreateReason !== undefined
        ? `Tenant '${t.tenantId}' has no ${secretType} secret for path '${secretPath}', and ${this.creator.cannotCreateReason}`
        : t.primary === undefined
          ? `Tenant '${t.tenantId}' has no primary KMS configuration to create a secret with`
          : undefined;
    if (cannot !== undefined) {
      if (rotating.length > 0) return rotating;
      throw new TspError(ErrorCode.SecretCreationFailed, cannot);
    }
    const created = await this.creator.create(t, secretPath, secretType);
    // The broker's Current secret may be one this registry still lists as InRotation (restored).
    return [created, ...rotating.filter((s) => s.id !== created.id)];
  }

  /**
   * Returns a copy the caller owns (and wipes): the cache wipes its own buffer on eviction or
   * clearCache(), which may happen while this request still awaits other secrets.
   */
  private async secret(t: RuntimeTenant, s: TenantSecret): Promise<Buffer> {
    const key = `${t.tenantId}\0${s.id}\0${s.encryptedSecret}`;
    const now = Date.now();
    const hit = this.secrets.get(key, now);
    if (hit !== undefined) return Buffer.from(hit);
    const { dek } = await this.keys.unwrapFor(t, s.encryptedSecret);
    const copy = Buffer.from(dek);
    this.secrets.set(key, dek, now + this.opts.cacheTtlMs);
    return copy;
  }
}

/** Current first, then InRotation (by id, newest first); Archived never. */
export function usableSecrets(all: readonly TenantSecret[], secretPath: string, secretType: SecretType): TenantSecret[] {
  const matching = all.filter((s) => s.secretPath === secretPath && s.secretType === secretType && s.status !== 'archived');
  const current = matching.filter((s) => s.status === 'current').sort((a, b) => b.id - a.id);
  const rotating = matching.filter((s) => s.status === 'inRotation').sort((a, b) => b.id - a.id);
  // At most one Current secret is served as current; extra ones would be a broker bug.
  return [...current.slice(0, 1), ...current.slice(1).map((s) => ({ ...s, status: 'inRotation' as const })), ...rotating];
}
