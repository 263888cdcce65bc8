import { randomBytes } from 'node:crypto';
import type { KmsConfig } from '@tsp/config-crypto';
import type { KmsCallContext, KmsProvider } from '@tsp/kms-core';
import { ErrorCode } from '@tsp/tsp-protocol';
import { generateLocalKek, localKmsFactory } from './local-provider';
import { tspErrorOf } from '@tsp/test-support';

function config(over: Partial<KmsConfig> = {}): KmsConfig {
  return { id: 11, type: 'local', active: true, primary: true, keyPath: { name: 'dev' }, credentials: { kek: generateLocalKek() }, ...over };
}

function ctx(tenantId = 't1', kmsConfigId = 11): KmsCallContext {
  return { tenantId, kmsConfigId, signal: new AbortController().signal };
}

describe('local KMS provider', () => {
  let provider: KmsProvider;
  beforeEach(() => {
    provider = localKmsFactory.create(config());
  });

  it('wraps and unwraps a 32-byte key back to the same bytes', async () => {
    const dek = randomBytes(32);
    const wrapped = await provider.wrap(dek, ctx());
    expect(wrapped.length).toBe(12 + 32 + 16);
    expect(Buffer.from(wrapped).includes(dek)).toBe(false);
    const back = await provider.unwrap(wrapped, ctx());
    expect(back.equals(dek)).toBe(true);
  });

  it('wrapping the same key twice gives different bytes (fresh IV)', async () => {
    const dek = randomBytes(32);
    const a = Buffer.from(await provider.wrap(dek, ctx()));
    const b = Buffer.from(await provider.wrap(dek, ctx()));
    expect(a.equals(b)).toBe(false);
  });

  it('unwrap with another tenantId fails with 205', async () => {
    const wrapped = await provider.wrap(randomBytes(32), ctx('t1'));
    expect((await tspErrorOf(provider.unwrap(wrapped, ctx('t2')))).code).toBe(ErrorCode.KmsUnwrapFailed);
  });

  it('unwrap with another configId fails with 205', async () => {
    const wrapped = await provider.wrap(randomBytes(32), ctx('t1', 11));
    expect((await tspErrorOf(provider.unwrap(wrapped, ctx('t1', 12)))).code).toBe(205);
  });

  it('unwrap with another KEK fails with 205', async () => {
    const wrapped = await provider.wrap(randomBytes(32), ctx());
    const other = localKmsFactory.create(config());
    expect((await tspErrorOf(other.unwrap(wrapped, ctx()))).code).toBe(205);
  });

  it.each([0, 12, 30, 59])('tampered byte %i fails with 205', async (i) => {
    const wrapped = Buffer.from(await provider.wrap(randomBytes(32), ctx()));
    wrapped[i] ^= 0x01;
    const e = await tspErrorOf(provider.unwrap(wrapped, ctx()));
    expect(e.code).toBe(205);
    expect(e.message).toMatch(/does not authenticate/);
  });

  it('truncated bytes fail with 205', async () => {
    const wrapped = Buffer.from(await provider.wrap(randomBytes(32), ctx()));
    expect((await tspErrorOf(provider.unwrap(wrapped.subarray(0, 28), ctx()))).code).toBe(205);
    expect((await tspErrorOf(provider.unwrap(wrapped.subarray(0, 50), ctx()))).code).toBe(205);
  });

  it('empty bytes are an invalid EDEK (203)', async () => {
    expect((await tspErrorOf(provider.unwrap(new Uint8Array(0), ctx()))).code).toBe(203);
  });

  it('unwraps from a view into a larger buffer', async () => {
    const dek = randomBytes(32);
    const wrapped = Buffer.from(await provider.wrap(dek, ctx()));
    const big = Buffer.concat([Buffer.alloc(7, 1), wrapped, Buffer.alloc(5, 2)]);
    const view = new Uint8Array(big.buffer, big.byteOffset + 7, wrapped.length);
    expect((await provider.unwrap(view, ctx())).equals(dek)).toBe(true);
  });

  it.each([0, 16, 31, 33, 64])('a dek of %i bytes is refused with 204', async (n) => {
    expect((await tspErrorOf(provider.wrap(Buffer.alloc(n, 1), ctx()))).code).toBe(ErrorCode.KmsWrapFailed);
  });

  it('healthcheck passes', async () => {
    await expect(provider.healthcheck(ctx())).resolves.toBeUndefined();
  });
});

describe('local KMS factory validation', () => {
  it('accepts a valid config', () => {
    expect(localKmsFactory.validate(config())).toEqual([]);
    expect(localKmsFactory.validate(config({ keyPath: {} }))).toEqual([]);
  });

  it.each([
    ['missing', {}],
    ['not a string', { kek: 42 }],
    ['too short', { kek: Buffer.alloc(16).toString('base64') }],
    ['too long', { kek: Buffer.alloc(33).toString('base64') }],
  ])('rejects a KEK that is %s', (_name, credentials) => {
    const problems = localKmsFactory.validate(config({ credentials }));
    expect(problems).toEqual(['credentials.kek must be base64 of 32 bytes']);
    expect(() => localKmsFactory.create(config({ credentials }))).toThrow('invalid local KMS config');
  });

  it('rejects an endpoint', () => {
    expect(localKmsFactory.validate(config({ endpoint: 'http://127.0.0.1:1' }))).toEqual(['endpoint is not used by the local provider']);
  });

  it('rejects a keyPath.name that is not a string', () => {
    expect(localKmsFactory.validate(config({ keyPath: { name: 5 } }))).toEqual(['keyPath.name must be a string']);
  });

  it('problems never contain the KEK', () => {
    const kek = Buffer.alloc(20, 7).toString('base64');
    expect(localKmsFactory.validate(config({ credentials: { kek }, endpoint: 'x' })).join()).not.toContain(kek);
  });

  it('generateLocalKek makes distinct base64 32-byte keys', () => {
    const a = generateLocalKek();
    expect(Buffer.from(a, 'base64')).toHaveLength(32);
    expect(a).not.toBe(generateLocalKek());
  });
});
