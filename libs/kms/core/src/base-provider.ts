import { ErrorCode, TspError } from '@tsp/tsp-protocol';
import type { KmsType } from '@tsp/config-crypto';
import type { KmsCallContext, KmsProvider } from './kms-provider';

export const DEK_LENGTH = 32;

/**
 * The shared part of every provider: checks sizes, owns the error mapping and wipes what it
 * owns. A subclass implements the SDK calls and one `mapError` table.
 */
export abstract class BaseKmsProvider implements KmsProvider {
  abstract readonly type: KmsType;

  protected abstract doWrap(dek: Buffer, ctx: KmsCallContext): Promise<Uint8Array>;
  protected abstract doUnwrap(data: Uint8Array, ctx: KmsCallContext): Promise<Buffer>;
  /**
   * Maps an SDK/transport error to a TspError with a code in 204–210 (one table per provider):
   * wrong credentials 206, missing key or permission 207, network failure or deadline 208,
   * throttling 209, account problems 210, anything else 204 (wrap) / 205 (unwrap). The
   * provider's message is kept; secrets never are.
   */
  protected abstract mapError(e: unknown, op: 'wrap' | 'unwrap'): TspError;

  /**
   * Runs one SDK call; a failure that maps to 208 (network) is retried exactly once while the
   * deadline has not passed. SDK clients are built with their own retries off, so this is the
   * only retry (no loop stacked on the SDK's).
   */
  private async attempt<T>(op: 'wrap' | 'unwrap', ctx: KmsCallContext, call: () => Promise<T>): Promise<T> {
    const map = (e: unknown): TspError => (e instanceof TspError ? e : this.mapError(e, op));
    try {
      return await call();
    } catch (e) {
      const err = map(e);
      if (err.code !== ErrorCode.KmsUnreachable || ctx.signal.aborted) throw err;
    }
    try {
      return await call();
    } catch (e) {
      throw map(e);
    }
  }

  /** Precondition: dek is exactly 32 bytes. Postcondition: non-empty provider bytes. */
  async wrap(dek: Buffer, ctx: KmsCallContext): Promise<Uint8Array> {
    if (dek.length !== DEK_LENGTH) throw new TspError(ErrorCode.KmsWrapFailed, `key to wrap must be ${DEK_LENGTH} bytes`);
    const out = await this.attempt('wrap', ctx, () => this.doWrap(dek, ctx));
    if (out.length === 0) throw new TspError(ErrorCode.KmsWrapFailed, `${this.type} KMS returned an empty wrapped key`);
    return out;
  }

  /** Precondition: data is non-empty. Postcondition: the key is exactly 32 bytes. */
  async unwrap(data: Uint8Array, ctx: KmsCallContext): Promise<Buffer> {
    if (data.length === 0) throw new TspError(ErrorCode.InvalidProvidedEdek, 'EDEK has no wrapped key data');
    const out = await this.attempt('unwrap', ctx, () => this.doUnwrap(data, ctx));
    if (out.length !== DEK_LENGTH) {
      out.fill(0);
      throw new TspError(ErrorCode.KmsUnwrapFailed, `${this.type} KMS unwrapped a key of the wrong length`);
    }
    return out;
  }

  async healthcheck(ctx: KmsCallContext): Promise<void> {
    const probe = Buffer.alloc(DEK_LENGTH, 0x5a);
    const back = await this.unwrap(await this.wrap(probe, ctx), ctx);
    const same = back.equals(probe);
    back.fill(0);
    if (!same) throw new TspError(ErrorCode.KmsUnwrapFailed, `${this.type} KMS round trip returned different bytes`);
  }

  close(): void {
    /* nothing to release by default */
  }
}
