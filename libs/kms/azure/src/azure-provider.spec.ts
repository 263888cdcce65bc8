import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { KmsConfig } from '@tsp/config-crypto';
import type { KmsCallContext, KmsProvider } from '@tsp/kms-core';
import { decodeAzureKeyVersionAndData, encodeAzureKeyVersionAndData } from '@tsp/tsp-protocol';
import { FakeAzureKeyVault, startFakeAzureKeyVault } from '@tsp/fake-azure-keyvault';
import { tspErrorOf } from '@tsp/test-support';
import { createAzureKmsFactory, parseProviderBytes } from './azure-provider';
import { bindToTenant } from './tenant-binding';

// Every TCP connection made in this file is recorded; afterAll asserts all went to loopback.
const hosts: string[] = [];
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  const first = args[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: string; path?: string };
    if (o.host !== undefined) hosts.push(o.host);
    else if (o.path === undefined) hosts.push('localhost');
  } else if (typeof first === 'number' || typeof first === 'string') hosts.push(typeof args[1] === 'string' ? args[1] : 'localhost');
  return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

let fake: FakeAzureKeyVault;
const providers: KmsProvider[] = [];

beforeAll(async () => {
  // https: MSAL (inside @azure/identity) refuses an http authority.
  fake = await startFakeAzureKeyVault({ tls: true, keys: { 'tsp-key': 1, 'rotating-key': 1, 'legacy-key': 1, 'disabled-key': 1 } });
});

afterEach(() => {
  fake.clearFaults();
  fake.resetCounts();
  for (const p of providers.splice(0)) p.close();
});

afterAll(async () => {
  net.Socket.prototype.connect = realConnect;
  await fake.close();
  expect(hosts.length).toBeGreaterThan(0);
  expect(hosts.filter((h) => !['127.0.0.1', 'localhost', '::1'].includes(h))).toEqual([]);
});

function config(keyName = 'tsp-key', credentials: Record<string, unknown> = {}, id = 3): KmsConfig {
  return {
    id,
    type: 'azure',
    active: true,
    primary: true,
    keyPath: { vaultBaseUrl: fake.url, keyName },
    credentials: { tenantGuid: fake.tenantGuid, clientId: fake.clientId, clientSecret: fake.clientSecret, authorityHost: fake.authorityHost, ...credentials },
  };
}

function provider(c: KmsConfig = config()): KmsProvider {
  const factory = createAzureKmsFactory({ tlsCa: fake.caCert });
  expect(factory.validate(c)).toEqual([]);
  const p = factory.create(c);
  providers.push(p);
  return p;
}

function ctx(tenantId = 'tenant-a', kmsConfigId = 3, signal: AbortSignal = new AbortController().signal): KmsCallContext {
  return { tenantId, kmsConfigId, signal };
}

describe('azure provider against the fake Key Vault (real SDK, real client-secret flow)', () => {
  it('round trip: wrap records the key version, unwrap returns the same DEK', async () => {
    const p = provider();
    const dek = randomBytes(32);
    const bytes = await p.wrap(dek, ctx());
    const { encryptedDekData, keyVersion } = decodeAzureKeyVersionAndData(bytes);
    expect(keyVersion).toBe(fake.versions('tsp-key')[0]);
    expect(encryptedDekData).toHaveLength(256);
    expect(Buffer.from(bytes).includes(dek)).toBe(false);
    expect((await p.unwrap(bytes, ctx())).equals(dek)).toBe(true);
    // The token was granted by the fake's Entra endpoint after it checked the client secret,
    // following the vault's 401 challenge.
    expect(fake.counts()).toMatchObject({ challenge: 1, token: 1, tokenGranted: 1, wrapkey: 1, unwrapkey: 1 });
  });

  it('a second call reuses the token and the pipeline (no new challenge or token request)', async () => {
    const p = provider();
    await p.wrap(randomBytes(32), ctx());
    await p.wrap(randomBytes(32), ctx());
    expect(fake.counts()).toMatchObject({ challenge: 1, token: 1, wrapkey: 2 });
  });

  it('healthcheck passes', async () => {
    await expect(provider().healthcheck(ctx())).resolves.toBeUndefined();
  });

  it('a wrong client secret gives 206, with the Entra message and without the secret', async () => {
    const secret = `wrong-secret-${randomBytes(6).toString('hex')}`;
    const e = await tspErrorOf(provider(config('tsp-key', { clientSecret: secret })).wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(206);
    expect(e.message).toContain('AADSTS7000215');
    expect(e.message).not.toContain(secret);
    expect(fake.counts()).toMatchObject({ token: 1, tokenGranted: 0, wrapkey: 0 });
  });

  it('an unknown client id gives 206', async () => {
    const e = await tspErrorOf(provider(config('tsp-key', { clientId: 'not-registered' })).wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(206);
    expect(e.message).toContain('AADSTS700016');
  });

  it('a missing key gives 207 (KeyNotFound)', async () => {
    const e = await tspErrorOf(provider(config('no-such-key')).wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(207);
    expect(e.message).toContain('KeyNotFound');
  });

  it('no permission on the key gives 207 (Forbidden / AccessDenied)', async () => {
    fake.addFault({ key: 'tsp-key', fault: 'forbidden' });
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(207);
    expect(e.message).toMatch(/403 Forbidden AccessDenied/);
    expect(e.message).toContain('does not have keys wrapKey permission');
  });

  it('a disabled key gives 207 (Forbidden / KeyDisabled)', async () => {
    const p = provider(config('disabled-key'));
    const bytes = await p.wrap(randomBytes(32), ctx());
    fake.setKeyEnabled('disabled-key', false);
    try {
      expect((await tspErrorOf(p.wrap(randomBytes(32), ctx()))).message).toMatch(/KeyDisabled/);
      const e = await tspErrorOf(p.unwrap(bytes, ctx()));
      expect(e.code).toBe(207);
      expect(e.message).toContain('not allowed on a disabled key');
    } finally {
      fake.setKeyEnabled('disabled-key', true);
    }
  });

  it('a network drop gives 208 after exactly two wrapkey requests (one retry, no SDK retries)', async () => {
    const p = provider();
    await p.wrap(randomBytes(32), ctx());
    fake.resetCounts();
    fake.addFault({ ops: ['wrapkey'], fault: 'drop' });
    const e = await tspErrorOf(p.wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(208);
    expect(fake.counts().wrapkey).toBe(2);
  });

  it('a network drop on unwrap gives 208 after exactly two unwrapkey requests', async () => {
    const p = provider();
    const bytes = await p.wrap(randomBytes(32), ctx());
    fake.addFault({ ops: ['unwrapkey'], fault: 'drop' });
    fake.resetCounts();
    expect((await tspErrorOf(p.unwrap(bytes, ctx()))).code).toBe(208);
    expect(fake.counts().unwrapkey).toBe(2);
  });

  it('one dropped request is absorbed by the single retry', async () => {
    const p = provider();
    const dek = randomBytes(32);
    const bytes = await p.wrap(dek, ctx());
    fake.addFault({ ops: ['unwrapkey'], fault: 'drop', times: 1 });
    fake.resetCounts();
    expect((await p.unwrap(bytes, ctx())).equals(dek)).toBe(true);
    expect(fake.counts().unwrapkey).toBe(2);
  });

  it('throttling gives 209 after one request (the SDK does not retry on 429)', async () => {
    fake.addFault({ ops: ['wrapkey'], fault: 'throttle' });
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(209);
    expect(e.message).toContain('Throttled');
    expect(fake.counts().wrapkey).toBe(1);
  });

  it('a disabled application (AADSTS7000112, an account problem) gives 210', async () => {
    fake.addFault({ ops: ['token'], fault: 'app-disabled' });
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(210);
    expect(e.message).toContain('AADSTS7000112');
  });

  it('a credential for another tenant than the vault names in its challenge gives 206', async () => {
    const e = await tspErrorOf(provider(config('tsp-key', { tenantGuid: '11111111-2222-3333-4444-555555555555' })).wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(206);
    expect(fake.counts().wrapkey).toBe(0);
  });

  it('a dropped token request gives 208 after exactly two token requests', async () => {
    fake.addFault({ ops: ['token'], fault: 'drop' });
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(208);
    expect(fake.counts()).toMatchObject({ token: 2, wrapkey: 0 });
  });

  it('a throttled token endpoint gives 209', async () => {
    fake.addFault({ ops: ['token'], fault: 'throttle' });
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(209);
    expect(fake.counts().token).toBe(1);
  });

  it('Key Vault 503 gives 208 after one retry', async () => {
    fake.addFault({ ops: ['wrapkey'], fault: 'unavailable' });
    const p = provider();
    expect((await tspErrorOf(p.wrap(randomBytes(32), ctx()))).code).toBe(208);
    expect(fake.counts().wrapkey).toBe(2);
  });

  it('tampered ciphertext gives 205', async () => {
    const p = provider();
    const bytes = await p.wrap(randomBytes(32), ctx());
    const d = decodeAzureKeyVersionAndData(bytes);
    const data = Buffer.from(d.encryptedDekData);
    data[100] ^= 0x01;
    const e = await tspErrorOf(p.unwrap(encodeAzureKeyVersionAndData({ ...d, encryptedDekData: data }), ctx()));
    expect(e.code).toBe(205);
    expect(e.message).toContain('BadParameter');
  });

  it('provider bytes made for tenant A cannot be unwrapped as tenant B (205)', async () => {
    const p = provider();
    const bytes = await p.wrap(randomBytes(32), ctx('tenant-a'));
    const e = await tspErrorOf(p.unwrap(bytes, ctx('tenant-b')));
    expect(e.code).toBe(205);
    expect(e.message).toContain('bound to another tenant');
  });

  it('provider bytes made for config 3 cannot be unwrapped as config 4 of the same tenant (205)', async () => {
    const p = provider();
    const bytes = await p.wrap(randomBytes(32), ctx('tenant-a', 3));
    expect((await tspErrorOf(p.unwrap(bytes, ctx('tenant-a', 4)))).code).toBe(205);
  });

  it('after a new key version, wrap uses it and unwrap uses the version recorded in the EDEK', async () => {
    const p = provider(config('rotating-key'));
    const dek1 = randomBytes(32);
    const old = await p.wrap(dek1, ctx());
    const v1 = decodeAzureKeyVersionAndData(old).keyVersion;
    const v2 = await fake.rotateKey('rotating-key');
    const dek2 = randomBytes(32);
    const fresh = await p.wrap(dek2, ctx());
    expect(decodeAzureKeyVersionAndData(fresh).keyVersion).toBe(v2);
    expect(v2).not.toBe(v1);
    // The old EDEK only decrypts under v1 (a different RSA key than v2).
    expect((await p.unwrap(old, ctx())).equals(dek1)).toBe(true);
    expect((await p.unwrap(fresh, ctx())).equals(dek2)).toBe(true);
    // Recording the wrong version fails: the version really selects the key.
    const swapped = encodeAzureKeyVersionAndData({ encryptedDekData: decodeAzureKeyVersionAndData(old).encryptedDekData, keyVersion: v2 });
    expect((await tspErrorOf(p.unwrap(swapped, ctx()))).code).toBe(205);
  });

  it('a recorded version that is not a Key Vault version id is refused with 205 before any request', async () => {
    const p = provider();
    const bytes = encodeAzureKeyVersionAndData({ encryptedDekData: randomBytes(256), keyVersion: '../../secrets/x' });
    const e = await tspErrorOf(p.unwrap(bytes, ctx()));
    expect(e.code).toBe(205);
    expect(fake.counts()).toMatchObject({ challenge: 0, unwrapkey: 0 });
  });

  it('a legacy EDEK of raw ciphertext (no version) unwraps with the latest version', async () => {
    const p = provider(config('legacy-key'));
    const dek = randomBytes(32);
    const legacyBare = fake.wrap('legacy-key', '', dek);
    expect((await p.unwrap(legacyBare, ctx())).equals(dek)).toBe(true);
    const legacyBound = fake.wrap('legacy-key', '', bindToTenant(dek, ctx('tenant-a')));
    expect((await p.unwrap(legacyBound, ctx('tenant-a'))).equals(dek)).toBe(true);
    expect((await tspErrorOf(p.unwrap(legacyBound, ctx('tenant-b')))).code).toBe(205);
    await fake.rotateKey('legacy-key');
    const newer = fake.wrap('legacy-key', '', dek);
    expect((await p.unwrap(newer, ctx())).equals(dek)).toBe(true);
    // Raw bytes from the old version no longer decrypt: "no version" means the newest one.
    expect((await tspErrorOf(p.unwrap(legacyBare, ctx()))).code).toBe(205);
  });

  it('a slow vault beyond the deadline fails with 208 within the deadline, without a retry', async () => {
    const p = provider();
    await p.wrap(randomBytes(32), ctx());
    fake.resetCounts();
    fake.addFault({ ops: ['wrapkey'], latencyMs: 3000 });
    const started = Date.now();
    const e = await tspErrorOf(p.wrap(randomBytes(32), ctx('tenant-a', 3, AbortSignal.timeout(300))));
    const elapsed = Date.now() - started;
    expect(e.code).toBe(208);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(800);
    expect(fake.counts().wrapkey).toBe(1);
  });

  it('a slow token endpoint beyond the deadline fails with 208 within the deadline', async () => {
    fake.addFault({ ops: ['token'], latencyMs: 3000 });
    const started = Date.now();
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx('tenant-a', 3, AbortSignal.timeout(300))));
    expect(e.code).toBe(208);
    expect(Date.now() - started).toBeLessThan(800);
  });

  it('latency below the deadline still succeeds', async () => {
    fake.addFault({ ops: ['wrapkey'], latencyMs: 100 });
    await expect(provider().wrap(randomBytes(32), ctx('tenant-a', 3, AbortSignal.timeout(5000)))).resolves.toBeInstanceOf(Uint8Array);
  });
});

describe('parseProviderBytes', () => {
  it('reads AzureKeyVersionAndData', () => {
    const data = randomBytes(256);
    const bytes = encodeAzureKeyVersionAndData({ encryptedDekData: data, keyVersion: 'abc123' });
    const r = parseProviderBytes(bytes);
    expect(r.version).toBe('abc123');
    expect(Buffer.from(r.ciphertext).equals(data)).toBe(true);
  });

  it.each([256, 384, 512])('treats %i raw bytes as legacy ciphertext without a version', (n) => {
    for (let i = 0; i < 20; i++) {
      const raw = randomBytes(n);
      const r = parseProviderBytes(raw);
      expect(r.version).toBe('');
      expect(Buffer.from(r.ciphertext).equals(raw)).toBe(true);
    }
  });

  it('an encoding without a version is legacy raw bytes', () => {
    const bytes = encodeAzureKeyVersionAndData({ encryptedDekData: randomBytes(256), keyVersion: '' });
    expect(parseProviderBytes(bytes).version).toBe('');
  });
});
