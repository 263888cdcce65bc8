import { createCipheriv, createDecipheriv, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { ErrorCode, TspError } from '@tsp/tsp-protocol';
import type { KmsConfig } from '@tsp/config-crypto';
import { BaseKmsProvider, KmsCallContext, KmsProviderFactory } from '@tsp/kms-core';

/**
 * The `local` provider: FOR DEVELOPMENT AND TESTS ONLY. The key-encryption key (KEK) travels
 * inside the tenant's sealed config, so whoever can open the config can unwrap every key; a
 * tenant gets none of the control a real KMS gives. Wrap = AES-256-GCM(KEK, iv, dek) with AAD
 * binding the tenant id and the config id; bytes = iv(12) || ciphertext(32) || tag(16).
 *
 * Config: credentials { kek: base64 of 32 bytes }, keyPath { name?: string } (a label).
 */
const IV_LEN = 12;
const TAG_LEN = 16;
const AAD_LABEL = 'tsp-local-kms/v1';

function aad(ctx: KmsCallContext): Buffer {
  return Buffer.from(`${AAD_LABEL}\0${ctx.tenantId}\0${ctx.kmsConfigId}`, 'utf8');
}

export class LocalKmsProvider extends BaseKmsProvider {
  readonly type = 'local' as const;

  constructor(private readonly kek: KeyObject) {
    super();
  }

  protected async doWrap(dek: Buffer, ctx: KmsCallContext): Promise<Uint8Array> {
    const iv = randomBytes(IV_LEN);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv);
    cipher.setAAD(aad(ctx));
    return Buffer.concat([iv, cipher.update(dek), cipher.final(), cipher.getAuthTag()]);
  }

  protected async doUnwrap(data: Uint8Array, ctx: KmsCallContext): Promise<Buffer> {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (buf.length <= IV_LEN + TAG_LEN) throw new TspError(ErrorCode.KmsUnwrapFailed, 'local KMS: wrapped key is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.kek, buf.subarray(0, IV_LEN));
    decipher.setAAD(aad(ctx));
    decipher.setAuthTag(buf.subarray(buf.length - TAG_LEN));
    return Buffer.concat([decipher.update(buf.subarray(IV_LEN, buf.length - TAG_LEN)), decipher.final()]);
  }

  protected mapError(e: unknown, op: 'wrap' | 'unwrap'): TspError {
    const msg = e instanceof Error ? e.message : String(e);
    if (op === 'wrap') return new TspError(ErrorCode.KmsWrapFailed, `local KMS wrap failed: ${msg}`);
    // GCM tag mismatch: wrong KEK, another tenant's config, or tampered data.
    return new TspError(ErrorCode.KmsUnwrapFailed, 'local KMS unwrap failed: the key does not authenticate (wrong key, tenant or tampered data)');
  }
}

function decodeKek(config: KmsConfig): Buffer | undefined {
  const kek = config.credentials['kek'];
  if (typeof kek !== 'string') return undefined;
  const raw = Buffer.from(kek, 'base64');
  return raw.length === 32 ? raw : undefined;
}

export const localKmsFactory: KmsProviderFactory = {
  type: 'local',
  validate(config: KmsConfig): string[] {
    const problems: string[] = [];
    if (decodeKek(config) === undefined) problems.push('credentials.kek must be base64 of 32 bytes');
    const name = config.keyPath['name'];
    if (name !== undefined && typeof name !== 'string') problems.push('keyPath.name must be a string');
    if (config.endpoint !== undefined) problems.push('endpoint is not used by the local provider');
    return problems;
  },
  create(config: KmsConfig) {
    const raw = decodeKek(config);
    if (raw === undefined) throw new Error('invalid local KMS config');
    const key = createSecretKey(raw);
    raw.fill(0);
    return new LocalKmsProvider(key);
  },
};

/** A fresh random KEK for a dev/test config, base64. */
export function generateLocalKek(): string {
  return randomBytes(32).toString('base64');
}
