process.env.METADATA_SERVER_DETECTION = 'none';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { FakeGcpKms, Fault } from '@tsp/fake-gcp-kms';
import type { KmsProvider } from '@tsp/kms-core';
import { ErrorCode } from '@tsp/tsp-protocol';
import { tspErrorOf } from '@tsp/test-support';
import { createGcpKmsFactory, gcpKmsFactory } from './gcp-provider';
import { configFor, ctx, KEY_NAME, KEY_PATH, startFake } from './spec-support';

describe('gcp KMS provider: faults of the fake mapped to codes 204–210', () => {
  let fake: FakeGcpKms;
  let provider: KmsProvider;
  const otherKey = (): string => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  beforeAll(async () => {
    fake = await startFake();
  });
  afterAll(() => fake.stop());
  beforeEach(async () => {
    fake.clearFaults();
    fake.setLatency(0);
    provider = gcpKmsFactory.create(configFor(fake));
    await provider.healthcheck(ctx()); // token fetched; faults below hit the KMS calls
    fake.resetStats();
  });
  afterEach(() => provider.close());

  it('a wrong private key: the token endpoint refuses the JWT → 206, no KMS call', async () => {
    const sa = fake.serviceAccount;
    const p = gcpKmsFactory.create(configFor(fake, { credentials: { client_email: sa?.client_email, private_key: otherKey(), token_uri: fake.tokenUri } }));
    const e = await tspErrorOf(p.wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(ErrorCode.KmsAuthorizationFailed);
    expect(e.message).toContain('Invalid JWT Signature');
    expect(fake.stats()).toMatchObject({ tokenRequests: 1, tokensIssued: 0, kmsRequests: 0 });
    p.close();
  });

  it('an unknown service account → 206', async () => {
    const p = gcpKmsFactory.create(configFor(fake, { credentials: { client_email: 'nobody@x.iam.gserviceaccount.com', private_key: otherKey(), token_uri: fake.tokenUri } }));
    expect((await tspErrorOf(p.unwrap(Buffer.alloc(60, 1), ctx()))).code).toBe(206);
    p.close();
  });

  it('a revoked access token (UNAUTHENTICATED) → 206 without retry; the next call fetches a new token', async () => {
    fake.revokeTokens();
    expect((await tspErrorOf(provider.wrap(randomBytes(32), ctx()))).code).toBe(206);
    expect(fake.stats()).toMatchObject({ kmsRequests: 1, tokenRequests: 0 });
    await expect(provider.wrap(randomBytes(32), ctx())).resolves.toHaveLength(64);
    expect(fake.stats()).toMatchObject({ kmsRequests: 2, tokenRequests: 1 });
  });

  it('a key KMS does not have (NOT_FOUND) → 207', async () => {
    const p = gcpKmsFactory.create(configFor(fake, { keyPath: { ...KEY_PATH, cryptoKeyId: 'missing' } }));
    const e = await tspErrorOf(p.wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(ErrorCode.KmsConfigurationInvalid);
    expect(e.message).toContain('NOT_FOUND');
    p.close();
  });

  it('a disabled key version (FAILED_PRECONDITION) → 207, for wrap and unwrap', async () => {
    const wrapped = await provider.wrap(randomBytes(32), ctx());
    fake.setKeyState(KEY_NAME, 'DISABLED');
    try {
      expect((await tspErrorOf(provider.wrap(randomBytes(32), ctx()))).code).toBe(207);
      const e = await tspErrorOf(provider.unwrap(wrapped, ctx()));
      expect(e.code).toBe(207);
      expect(e.message).toContain('DISABLED');
    } finally {
      fake.setKeyState(KEY_NAME, 'ENABLED');
    }
  });

  it.each<[Fault, number, string]>([
    ['permission-denied', 207, "Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied"],
    ['not-found', 207, 'not found'],
    ['throttle', 209, 'Quota exceeded'],
    // Billing off or the API disabled: key and grant may be right, the project cannot be used.
    ['billing-disabled', 210, 'requires billing to be enabled'],
    ['service-disabled', 210, 'has not been used in project'],
  ])('%s → %i once, with Google’s message, not retried', async (fault, code, text) => {
    fake.inject(fault, { key: KEY_NAME });
    const e = await tspErrorOf(provider.wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(code);
    expect(e.message).toContain(text);
    expect(fake.stats().kmsRequests).toBe(1);
  });

  it.each<[Fault]>([['drop'], ['unavailable']])('%s on every request → 208 after exactly 2 KMS requests', async (fault) => {
    fake.inject(fault, { key: KEY_NAME });
    const e = await tspErrorOf(provider.wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(ErrorCode.KmsUnreachable);
    expect(fake.stats().kmsRequests).toBe(2);
  });

  it('one dropped connection is retried once and then succeeds', async () => {
    const wrapped = await provider.wrap(randomBytes(32), ctx());
    fake.resetStats();
    fake.inject('drop', { times: 1 });
    await expect(provider.unwrap(wrapped, ctx())).resolves.toHaveLength(32);
    expect(fake.stats()).toMatchObject({ kmsRequests: 2, dropped: 1 });
  });

  it('a slow KMS beyond the caller’s deadline fails with 208 within the deadline', async () => {
    fake.setLatency(3000);
    const t0 = Date.now();
    const e = await tspErrorOf(provider.wrap(randomBytes(32), ctx('tenant-a', 7, AbortSignal.timeout(300))));
    const took = Date.now() - t0;
    expect(e.code).toBe(ErrorCode.KmsUnreachable);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(800);
    expect(fake.stats().kmsRequests).toBe(1);
    // The HTTP request itself was aborted at the deadline (the fake saw its client go away).
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.stats().abandoned).toBe(1);
  });

  it('the provider’s own timeout bounds every request: 208 after two attempts', async () => {
    const p = createGcpKmsFactory({ timeoutMs: 250 }).create(configFor(fake));
    await p.healthcheck(ctx());
    fake.resetStats();
    fake.setLatency(2000);
    const t0 = Date.now();
    const e = await tspErrorOf(p.wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(208);
    expect(Date.now() - t0).toBeLessThan(1200);
    expect(fake.stats().kmsRequests).toBe(2);
    p.close();
  });

  it('an unreachable endpoint (connection refused) → 208', async () => {
    const { freePort } = await import('@tsp/test-support');
    const p = gcpKmsFactory.create(configFor(fake, { endpoint: `http://127.0.0.1:${await freePort()}` }));
    expect((await tspErrorOf(p.wrap(randomBytes(32), ctx()))).code).toBe(208);
    p.close();
  });

  it('no error message carries the private key, a token or a JWT', async () => {
    const sa = fake.serviceAccount;
    const key = otherKey();
    const p = gcpKmsFactory.create(configFor(fake, { credentials: { client_email: sa?.client_email, private_key: key, token_uri: fake.tokenUri } }));
    const messages = [(await tspErrorOf(p.wrap(randomBytes(32), ctx()))).message];
    p.close();
    fake.revokeTokens();
    messages.push((await tspErrorOf(provider.wrap(randomBytes(32), ctx()))).message);
    for (const m of messages) {
      expect(m).not.toContain(key.split('\n')[1]);
      expect(m).not.toMatch(/ya29\.|eyJ|BEGIN/);
    }
  });
});
