import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { ErrorCode, TspError } from '@tsp/tsp-protocol';
import type { KmsConfig } from '@tsp/config-crypto';
import { BaseKmsProvider, KmsCallContext, KmsProviderFactory } from '@tsp/kms-core';
import { AwsKmsSettings, awsKmsConfigProblems, awsKmsSettingsOf } from './aws-kms-config';
import { mapAwsKmsError } from './aws-error-map';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/** Sockets one config's client may open to its KMS at once. */
const MAX_SOCKETS = 256;

/**
 * The `aws` provider: wrap = KMS Encrypt of the DEK under the tenant's key, unwrap = KMS
 * Decrypt (KeyId given, so a blob made by another key fails). Provider bytes = the
 * CiphertextBlob as KMS returns it.
 *
 * Encryption context (the AAD KMS binds to the ciphertext, also visible in the tenant's
 * CloudTrail): { "tsp-tenant-id": <tenant id>, "tsp-kms-config-id": <config id, decimal> }.
 * Unwrapping for another tenant or another config id fails with InvalidCiphertextException.
 * Changing these names or the number format makes every existing EDEK unreadable.
 */
export const ENCRYPTION_CONTEXT_TENANT = 'tsp-tenant-id';
export const ENCRYPTION_CONTEXT_CONFIG = 'tsp-kms-config-id';

export function encryptionContextOf(ctx: KmsCallContext): Record<string, string> {
  return { [ENCRYPTION_CONTEXT_TENANT]: ctx.tenantId, [ENCRYPTION_CONTEXT_CONFIG]: String(ctx.kmsConfigId) };
}

export class AwsKmsProvider extends BaseKmsProvider {
  readonly type = 'aws' as const;
  /** One SDK client per provider (per config); the registry builds a new provider on change. */
  private readonly client: KMSClient;
  private readonly keyId: string;
  private readonly secrets: string[];

  constructor(settings: AwsKmsSettings) {
    super();
    this.keyId = settings.keyId;
    this.secrets = [settings.secretAccessKey, ...(settings.sessionToken === undefined ? [] : [settings.sessionToken])];
    // Explicit region and credentials: the SDK never looks for instance metadata (IMDS).
    // maxAttempts 1: BaseKmsProvider retries a network failure once; no SDK loop on top.
    this.client = new KMSClient({
      region: settings.region,
      credentials: {
        accessKeyId: settings.accessKeyId,
        secretAccessKey: settings.secretAccessKey,
        ...(settings.sessionToken === undefined ? {} : { sessionToken: settings.sessionToken }),
      },
      maxAttempts: 1,
      // The SDK's default pool is 50 sockets per client: at 20 ms a call that caps one config at
      // 2,500 calls/s however much CPU is free. Keep-alive sockets, more of them.
      requestHandler: { httpAgent: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }), httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }) },
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    });
  }

  protected async doWrap(dek: Buffer, ctx: KmsCallContext): Promise<Uint8Array> {
    const out = await this.client.send(new EncryptCommand({ KeyId: this.keyId, Plaintext: dek, EncryptionContext: encryptionContextOf(ctx) }), {
      abortSignal: ctx.signal,
    });
    if (out.CiphertextBlob === undefined) throw new TspError(ErrorCode.KmsWrapFailed, 'AWS KMS wrap failed: the answer has no CiphertextBlob');
    return out.CiphertextBlob;
  }

  protected async doUnwrap(data: Uint8Array, ctx: KmsCallContext): Promise<Buffer> {
    const out = await this.client.send(new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: data, EncryptionContext: encryptionContextOf(ctx) }), {
      abortSignal: ctx.signal,
    });
    const p = out.Plaintext;
    if (p === undefined) throw new TspError(ErrorCode.KmsUnwrapFailed, 'AWS KMS unwrap failed: the answer has no Plaintext');
    // A view, not a copy: the only plaintext copy is the SDK's decoded buffer.
    return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  }

  protected mapError(e: unknown, op: 'wrap' | 'unwrap'): TspError {
    return mapAwsKmsError(e, op, this.secrets);
  }

  override close(): void {
    this.client.destroy();
  }
}

export const awsKmsFactory: KmsProviderFactory = {
  type: 'aws',
  validate: (config: KmsConfig) => awsKmsConfigProblems(config),
  create: (config: KmsConfig) => new AwsKmsProvider(awsKmsSettingsOf(config)),
};
