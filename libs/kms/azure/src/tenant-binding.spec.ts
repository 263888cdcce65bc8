import { randomBytes } from 'node:crypto';
import type { KmsCallContext } from '@tsp/kms-core';
import { tspErrorOf } from '@tsp/test-support';
import { bindToTenant, BOUND_LENGTH, unbindFromTenant } from './tenant-binding';

const ctx = (tenantId: string, kmsConfigId = 1): KmsCallContext => ({ tenantId, kmsConfigId, signal: new AbortController().signal });

describe('tenant binding of the RSA-OAEP plaintext', () => {
  it('binds to 65 bytes that fit RSA-OAEP-256 on a 2048-bit key (190 bytes max), even for a 512-character tenant id', () => {
    const bound = bindToTenant(randomBytes(32), ctx('t'.repeat(512)));
    expect(bound).toHaveLength(BOUND_LENGTH);
    expect(BOUND_LENGTH).toBeLessThanOrEqual(190);
  });

  it('unbinds for the same tenant and config and wipes the input', () => {
    const dek = randomBytes(32);
    const bound = bindToTenant(dek, ctx('a', 3));
    expect(unbindFromTenant(bound, ctx('a', 3)).equals(dek)).toBe(true);
    expect(bound.every((b) => b === 0)).toBe(true);
  });

  it.each([
    ['another tenant', ctx('b', 3)],
    ['another config', ctx('a', 4)],
    ['a tenant id that only differs by the separator', ctx('a\u00003', 3)],
  ])('refuses %s with 205', async (_n, other) => {
    const e = await tspErrorOf(() => unbindFromTenant(bindToTenant(randomBytes(32), ctx('a', 3)), other));
    expect(e.code).toBe(205);
  });

  it('accepts a legacy bare 32-byte DEK', () => {
    const dek = randomBytes(32);
    expect(unbindFromTenant(Buffer.from(dek), ctx('x')).equals(dek)).toBe(true);
  });

  it.each([0, 31, 33, 64, 66])('refuses a plaintext of %i bytes with 205', async (n) => {
    expect((await tspErrorOf(() => unbindFromTenant(randomBytes(n), ctx('a')))).code).toBe(205);
  });

  it('refuses an unknown format byte with 205', async () => {
    const bound = bindToTenant(randomBytes(32), ctx('a'));
    bound[0] = 0x02;
    expect((await tspErrorOf(() => unbindFromTenant(bound, ctx('a')))).code).toBe(205);
  });
});
