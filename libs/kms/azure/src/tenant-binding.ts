import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, TspError } from '@tsp/tsp-protocol';
import type { KmsCallContext } from '@tsp/kms-core';

/**
 * Tenant binding for RSA-OAEP, which has no AAD / encryption context.
 *
 * We wrap `0x01 || SHA-256("tsp-azure-tenant/v1" 0 tenantId 0 kmsConfigId) || dek` (65 bytes)
 * instead of the bare DEK, and on unwrap require the tag to match the caller's tenant and
 * config (constant-time compare), else 205. The tenant id is hashed because it may be up to
 * 512 characters while RSA-OAEP-256 with a 2048-bit key takes at most 190 bytes; 65 bytes fit
 * every Key Vault RSA key size (2048/3072/4096).
 *
 * What this gives: provider bytes made for tenant A (or config 11) cannot be replayed as tenant
 * B's (or config 12's), even when both configs point at the same Key Vault key. What it cannot
 * give: authenticity. RSA-OAEP is public-key encryption, so anyone holding the public key can
 * make a well-formed wrapped key for any tenant; they learn nothing by it, since they chose the
 * DEK themselves.
 *
 * Legacy: a plaintext of exactly 32 bytes is a bare DEK as written before binding existed
 * (including EDEKs written by earlier proxies); it is accepted without a tenant check, because
 * those EDEKs must keep unwrapping. New EDEKs are always bound.
 */
const BINDING_FORMAT = 0x01;
const LABEL = 'tsp-azure-tenant/v1';
const DEK_LENGTH = 32;
const TAG_LENGTH = 32;
export const BOUND_LENGTH = 1 + TAG_LENGTH + DEK_LENGTH;

function tenantTag(ctx: KmsCallContext): Buffer {
  return createHash('sha256').update(`${LABEL}\0${ctx.tenantId}\0${ctx.kmsConfigId}`, 'utf8').digest();
}

/** Precondition: dek is 32 bytes. The caller wipes the result after use. */
export function bindToTenant(dek: Buffer, ctx: KmsCallContext): Buffer {
  return Buffer.concat([Buffer.of(BINDING_FORMAT), tenantTag(ctx), dek]);
}

/**
 * Returns the DEK in a new buffer and wipes `plaintext`. A bound plaintext for another tenant
 * or config, or one of an unknown shape, gives 205.
 */
export function unbindFromTenant(plaintext: Uint8Array, ctx: KmsCallContext): Buffer {
  const p = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  try {
    if (p.length === DEK_LENGTH) return Buffer.from(p);
    if (p.length !== BOUND_LENGTH || p[0] !== BINDING_FORMAT) {
      throw new TspError(ErrorCode.KmsUnwrapFailed, 'Azure Key Vault unwrapped a key of an unknown format');
    }
    if (!timingSafeEqual(p.subarray(1, 1 + TAG_LENGTH), tenantTag(ctx))) {
      throw new TspError(ErrorCode.KmsUnwrapFailed, 'Azure Key Vault unwrap failed: the key is bound to another tenant or KMS config');
    }
    return Buffer.from(p.subarray(1 + TAG_LENGTH));
  } finally {
    p.fill(0);
  }
}
