import type { KmsConfig, KmsType } from '@tsp/config-crypto';

/** What every KMS call carries. */
export interface KmsCallContext {
  tenantId: string;
  kmsConfigId: number;
  /** Aborts the call at its deadline. */
  signal: AbortSignal;
}

/**
 * One tenant KMS config made usable. `wrap` returns the provider-specific bytes that go into
 * EncryptedDek.encryptedDekData; `unwrap` takes them back. Implementations bind the tenant
 * (encryption context / AAD) and throw TspError with codes 204–210 only.
 */
export interface KmsProvider {
  readonly type: KmsType;
  wrap(dek: Buffer, ctx: KmsCallContext): Promise<Uint8Array>;
  unwrap(data: Uint8Array, ctx: KmsCallContext): Promise<Buffer>;
  healthcheck(ctx: KmsCallContext): Promise<void>;
  /** Releases SDK clients, sockets. */
  close(): void;
}

export interface KmsProviderFactory {
  readonly type: KmsType;
  /** Problems with the provider-specific keyPath/credentials/endpoint; messages never hold values. */
  validate(config: KmsConfig): string[];
  create(config: KmsConfig): KmsProvider;
}
