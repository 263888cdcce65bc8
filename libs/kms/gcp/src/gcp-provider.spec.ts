process.env.METADATA_SERVER_DETECTION = 'none';
import { randomBytes } from 'node:crypto';
import { GoogleAuth, JWT } from 'google-auth-library';
import * as gcpMetadata from 'gcp-metadata';
import type { FakeGcpKms } from '@tsp/fake-gcp-kms';
import type { KmsProvider } from '@tsp/kms-core';
import { ErrorCode } from '@tsp/tsp-protocol';
import { tspErrorOf } from '@tsp/test-support';
import { crc32c } from './crc32c';
import { gcpAad, gcpKmsFactory, GcpKmsProvider } from './gcp-provider';
import { configFor, ctx, guardLoopback, startFake } from './spec-support';

describe('gcp KMS provider through the real SDK and the fake (REST + OAuth JWT flow)', () => {
  let fake: FakeGcpKms;
  let provider: KmsProvider;
  let guard: ReturnType<typeof guardLoopback>;
  const metadataProbe = jest.spyOn(gcpMetadata, 'isAvailable');
  const adc = jest.spyOn(GoogleAuth.prototype, 'getClient');

  beforeAll(async () => {
    guard = guardLoopback();
    fake = await startFake();
  });
  afterAll(async () => {
    guard.restore();
    await fake.stop();
  });
  beforeEach(() => {
    provider = gcpKmsFactory.create(configFor(fake));
    fake.resetStats();
  });
  afterEach(() => provider.close());

  it('wraps and unwraps a key: one token from the token endpoint, then Bearer calls', async () => {
    const dek = randomBytes(32);
    const wrapped = await provider.wrap(dek, ctx());
    expect(Buffer.from(wrapped).includes(dek)).toBe(false);
    expect((await provider.unwrap(wrapped, ctx())).equals(dek)).toBe(true);
    await provider.wrap(randomBytes(32), ctx());
    expect(fake.stats()).toMatchObject({ tokenRequests: 1, tokensIssued: 1, encryptRequests: 2, decryptRequests: 1 });
  });

  it('concurrent first calls share one token request', async () => {
    const deks = Array.from({ length: 20 }, () => randomBytes(32));
    const wrapped = await Promise.all(deks.map((d, i) => provider.wrap(d, ctx(`tenant-${i}`))));
    const back = await Promise.all(wrapped.map((w, i) => provider.unwrap(w, ctx(`tenant-${i}`))));
    expect(back.every((b, i) => b.equals(deks[i]))).toBe(true);
    expect(fake.stats()).toMatchObject({ tokenRequests: 1, encryptRequests: 20, decryptRequests: 20 });
  });

  it('keeps one SDK client per provider, with the explicit JWT credential', () => {
    const p = provider as GcpKmsProvider;
    expect(p.client).toBe((provider as GcpKmsProvider).client);
    expect(p.client.auth).toBeInstanceOf(JWT);
    expect(gcpKmsFactory.create(configFor(fake))).not.toBe(provider);
  });

  it('wrapping the same key twice gives different bytes', async () => {
    const dek = randomBytes(32);
    expect(Buffer.from(await provider.wrap(dek, ctx())).equals(Buffer.from(await provider.wrap(dek, ctx())))).toBe(false);
  });

  it('bytes wrapped for tenant A do not unwrap for tenant B, nor for another config id (AAD, 205)', async () => {
    const wrapped = await provider.wrap(randomBytes(32), ctx('tenant-a'));
    const b = await tspErrorOf(provider.unwrap(wrapped, ctx('tenant-b')));
    expect(b.code).toBe(ErrorCode.KmsUnwrapFailed);
    expect(b.message).toContain('Decryption failed');
    expect((await tspErrorOf(provider.unwrap(wrapped, ctx('tenant-a', 8)))).code).toBe(205);
    expect(fake.stats().decryptRequests).toBe(2);
  });

  it('the AAD is tsp-tenant/v1, NUL, tenant id, NUL, config id', () => {
    expect(gcpAad({ tenantId: 'acme', kmsConfigId: 12 }).toString('hex')).toBe(Buffer.from('tsp-tenant/v1\0acme\x0012').toString('hex'));
  });

  it.each([0, 4, 20, 40, 63])('tampered ciphertext (byte %i) fails with 205', async (i) => {
    const wrapped = Buffer.from(await provider.wrap(randomBytes(32), ctx()));
    wrapped[i] ^= 0x01;
    expect((await tspErrorOf(provider.unwrap(wrapped, ctx()))).code).toBe(ErrorCode.KmsUnwrapFailed);
  });

  it('a wrong encrypt checksum from KMS is detected (204), not returned', async () => {
    fake.inject('bad-crc');
    const e = await tspErrorOf(provider.wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(ErrorCode.KmsWrapFailed);
    expect(e.message).toContain('ciphertext checksum does not match');
  });

  it('an encrypt answer that does not confirm the request checksums is refused (204)', async () => {
    fake.inject('unverified-crc');
    expect((await tspErrorOf(provider.wrap(randomBytes(32), ctx()))).message).toContain('did not confirm the request checksums');
  });

  it('a wrong decrypt checksum from KMS is detected (205)', async () => {
    const wrapped = await provider.wrap(randomBytes(32), ctx());
    fake.inject('bad-crc');
    const e = await tspErrorOf(provider.unwrap(wrapped, ctx()));
    expect(e.code).toBe(ErrorCode.KmsUnwrapFailed);
    expect(e.message).toContain('plaintext checksum does not match');
  });

  it('the checksums it sends are the ones KMS checks (a mismatch would be INVALID_ARGUMENT)', async () => {
    // The fake answers verified…Crc32c true only when the request checksums were present and right.
    await expect(provider.wrap(randomBytes(32), ctx())).resolves.toHaveLength(64);
  });

  it('CRC32C gives the standard check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
  });

  it('healthcheck passes', async () => {
    await expect(provider.healthcheck(ctx())).resolves.toBeUndefined();
  });

  it('refuses a dek of the wrong size before any call (204)', async () => {
    expect((await tspErrorOf(provider.wrap(Buffer.alloc(31), ctx()))).code).toBe(204);
    expect(fake.stats().kmsRequests).toBe(0);
  });

  it('create() refuses an invalid config', () => {
    expect(() => gcpKmsFactory.create(configFor(fake, { keyPath: {} }))).toThrow('invalid gcp KMS config');
  });

  it('made no connection but to loopback, and never looked for the metadata server or default credentials', () => {
    expect(guard.destinations.length).toBeGreaterThan(0);
    expect(guard.destinations).toContain(`127.0.0.1:${fake.port}`);
    expect(guard.refused).toEqual([]);
    expect(guard.destinations.filter((d) => !d.startsWith('127.0.0.1:'))).toEqual([]);
    expect(metadataProbe).not.toHaveBeenCalled();
    expect(adc).not.toHaveBeenCalled();
  });
});
