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
 * Creates tenant secrets where the config source can persist them (the broker, later).
 * The file source cannot: it says so, and derive answers 401 with that reason.
 */
export interface SecretCreator {
  /** Why secrets cannot be created, or undefined when they can. */
  readonly cannotCreateReason: string | undefined;
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
    const derivedKeys: DeriveResponse['derivedKeys'] = {};
    for (const [secretPath, derivationPaths] of Object.entries(paths)) {
      let usable = usableSecrets(t.secrets, secretPath, secretType);
      if (usable.length === 0) usable = [await this.createSecret(t, secretPath, secretType)];
      const unwrapped = await Promise.all(usable.map((s) => this.secret(t, s)));
      const byDerivation: Record<string, DerivedKey[]> = {};
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

  private async createSecret(t: RuntimeTenant, secretPath: string, secretType: SecretType): Promise<TenantSecret> {
    if (this.creator.cannotCreateReason !== undefined) {
      throw new TspError(
        ErrorCode.SecretCreationFailed,
        `Tenant '${t.tenantId}' has no ${secretType} secret for path '${secretPath}', and ${this.creator.cannotCreateReason}`,
      );
    }
    if (t.primary === undefined) {
      throw new TspError(ErrorCode.SecretCreationFailed, `Tenant '${t.tenantId}' has no primary KMS configuration to create a secret with`);
    }
    return this.creator.create(t, secretPath, secretType);
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
