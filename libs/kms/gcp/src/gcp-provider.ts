import type { KeyManagementServiceClient } from '@google-cloud/kms';
import type { JWT } from 'google-auth-library';
import type { KmsConfig } from '@tsp/config-crypto';
import { BaseKmsProvider, KmsCallContext, KmsProviderFactory } from '@tsp/kms-core';
import { ErrorCode, TspError } from '@tsp/tsp-protocol';
import { crc32c } from './crc32c';
import { buildAuthClient, buildKmsClient, runWithSignal } from './gcp-client';
import { gcpConfigProblems, gcpSettings, GcpSettings } from './gcp-config';
import { describeGcpError, mapGcpError } from './gcp-errors';

/**
 * The `gcp` provider: wraps a DEK with Cloud KMS Encrypt on a symmetric CryptoKey and unwraps
 * it with Decrypt. The provider bytes are Google's ciphertext as returned (it names the key
 * version, so rotation needs nothing here).
 *
 * Tenant binding: the additional authenticated data of both calls is the UTF-8 bytes of
 * `tsp-tenant/v1\0<tenantId>\0<kmsConfigId>` (\0 is one zero byte, the config id in decimal),
 * so bytes wrapped for one tenant or config do not unwrap for another (205).
 *
 * Integrity (Google's CRC32C protocol): requests carry plaintext/ciphertext and AAD checksums;
 * an Encrypt answer must confirm it verified both (verifiedPlaintextCrc32c,
 * verifiedAdditionalAuthenticatedDataCrc32c), name a version of the configured key, and carry a
 * ciphertextCrc32c that matches the ciphertext; a Decrypt answer's plaintextCrc32c must match the
 * plaintext. Any mismatch is a failure (204 wrap / 205 unwrap), never a silent success.
 */
export const GCP_AAD_LABEL = 'tsp-tenant/v1';
export const DEFAULT_GCP_TIMEOUT_MS = 10_000;

export function gcpAad(ctx: Pick<KmsCallContext, 'tenantId' | 'kmsConfigId'>): Buffer {
  return Buffer.from(`${GCP_AAD_LABEL}\0${ctx.tenantId}\0${ctx.kmsConfigId}`, 'utf8');
}

/** An int64 as the REST client decodes it (string, number or Long-like), or undefined. */
function int64(v: { value?: unknown } | null | undefined): number | undefined {
  const x = v?.value;
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && /^\d+$/.test(x)) return Number(x);
  if (typeof x === 'object' && x !== null && 'toString' in x) return Number(String(x));
  return undefined;
}

function bytes(v: Uint8Array | string | null | undefined): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  return v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.alloc(0);
}

export class GcpKmsProvider extends BaseKmsProvider {
  readonly type = 'gcp' as const;

  /** One SDK client (and one credential with its cached token) per provider instance. */
  constructor(
    private readonly settings: GcpSettings,
    private readonly authClient: JWT,
    readonly client: KeyManagementServiceClient,
  ) {
    super();
  }

  /** Runs one SDK call under the caller's deadline: rejects with 208 when the signal fires. */
  private call<T>(ctx: KmsCallContext, fn: () => Promise<T>): Promise<T> {
    const late = (): TspError => new TspError(ErrorCode.KmsUnreachable, 'gcp KMS: no answer within the deadline');
    if (ctx.signal.aborted) return Promise.reject(late());
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(late());
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      runWithSignal(ctx.signal, fn)
        .then(resolve, reject)
        .finally(() => ctx.signal.removeEventListener('abort', onAbort));
    });
  }

  protected async doWrap(dek: Buffer, ctx: KmsCallContext): Promise<Uint8Array> {
    const aad = gcpAad(ctx);
    const name = this.settings.keyName;
    const [res] = await this.call(ctx, () =>
      this.client.encrypt({
        name,
        plaintext: dek,
        plaintextCrc32c: { value: crc32c(dek) },
        additionalAuthenticatedData: aad,
        additionalAuthenticatedDataCrc32c: { value: crc32c(aad) },
      }),
    );
    const fail = (why: string): TspError => new TspError(ErrorCode.KmsWrapFailed, `gcp KMS encrypt: ${why}`);
    if (typeof res.name !== 'string' || !res.name.startsWith(`${name}/cryptoKeyVersions/`)) throw fail('the answer names another key');
    if (res.verifiedPlaintextCrc32c !== true || res.verifiedAdditionalAuthenticatedDataCrc32c !== true) throw fail('KMS did not confirm the request checksums (corrupted in transit)');
    const ciphertext = bytes(res.ciphertext);
    if (int64(res.ciphertextCrc32c) !== crc32c(ciphertext)) throw fail('the ciphertext checksum does not match (corrupted in transit)');
    return ciphertext;
  }

  protected async doUnwrap(data: Uint8Array, ctx: KmsCallContext): Promise<Buffer> {
    const aad = gcpAad(ctx);
    const ciphertext = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const [res] = await this.call(ctx, () =>
      this.client.decrypt({
        name: this.settings.keyName,
        ciphertext,
        ciphertextCrc32c: { value: crc32c(ciphertext) },
        additionalAuthenticatedData: aad,
        additionalAuthenticatedDataCrc32c: { value: crc32c(aad) },
      }),
    );
    const plaintext = bytes(res.plaintext);
    if (int64(res.plaintextCrc32c) !== crc32c(plaintext)) {
      plaintext.fill(0);
      throw new TspError(ErrorCode.KmsUnwrapFailed, 'gcp KMS decrypt: the plaintext checksum does not match (corrupted in transit)');
    }
    return plaintext;
  }

  /**
   * One table (gcp-errors.ts). On UNAUTHENTICATED the cached access token is dropped, so the
   * next call gets a fresh one from the token endpoint (this call is not retried).
   */
  protected mapError(e: unknown, op: 'wrap' | 'unwrap'): TspError {
    if (describeGcpError(e).status === 'UNAUTHENTICATED') this.authClient.setCredentials({ refresh_token: 'jwt-placeholder', expiry_date: 1 });
    return mapGcpError(e, op);
  }

  override close(): void {
    this.client.close().catch(() => undefined);
  }
}

export interface GcpKmsFactoryOptions {
  /** Timeout of every HTTP request (token and KMS), ms; the caller's signal may end a call sooner. */
  timeoutMs?: number;
}

export function createGcpKmsFactory(options: GcpKmsFactoryOptions = {}): KmsProviderFactory {
  const timeoutMs = options.timeoutMs ?? DEFAULT_GCP_TIMEOUT_MS;
  return {
    type: 'gcp',
    validate: gcpConfigProblems,
    create(config: KmsConfig) {
      if (gcpConfigProblems(config).length > 0) throw new Error('invalid gcp KMS config');
      const settings = gcpSettings(config);
      const authClient = buildAuthClient(settings, timeoutMs);
      return new GcpKmsProvider(settings, authClient, buildKmsClient(settings, authClient, timeoutMs));
    },
  };
}

export const gcpKmsFactory: KmsProviderFactory = createGcpKmsFactory();
