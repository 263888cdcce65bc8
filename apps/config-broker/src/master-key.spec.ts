import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateEncodedKeyPair } from '@tsp/config-crypto';
import type { KmsProviderRegistry } from '@tsp/kms-core';
import { FakeAwsKms, startFakeAwsKms } from '@tsp/fake-aws-kms';
import { guardLoopback, rejectionMessage } from '@tsp/test-support';
import { parseBrokerConfig } from './broker-config';
import {
  loadBrokerKmsProviders,
  MASTER_KEY_BINDING,
  MasterKeyKms,
  MasterKeySetting,
  parseMasterKeySetting,
  resolveMasterKey,
  withMasterKey,
  wrapMasterKey,
} from './master-key';

// Real providers (the proxy's code), real crypto, the AWS KMS fake on 127.0.0.1 through the real SDK.
let providers: KmsProviderRegistry;
const KEK = randomBytes(32).toString('base64');
const LOCAL: MasterKeyKms = { type: 'local', keyPath: { name: 'broker-master' }, credentials: { kek: KEK } };

const REGION = 'eu-west-1';
const ACCESS_KEY_ID = 'AKIAFAKEBROKER000001';
const SECRET = 'fake/broker+Secret000000000000000000000001';
const KEY_A = '1111aaaa-11aa-11aa-11aa-111111aaaaaa';
const KEY_B = '2222bbbb-22bb-22bb-22bb-222222bbbbbb';

let fake: FakeAwsKms;
let guard: ReturnType<typeof guardLoopback>;
let work: string;

function aws(over: { keyID?: string; secret?: string } = {}): MasterKeyKms {
  return {
    type: 'aws',
    keyPath: { keyID: over.keyID ?? KEY_A, region: REGION },
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: over.secret ?? SECRET },
    endpoint: fake.url,
  };
}

const kmsSetting = (wrapped: Buffer, kms: MasterKeyKms): MasterKeySetting => ({ kind: 'kms', wrapped, kms: { config: kms } });

beforeAll(async () => {
  providers = await loadBrokerKmsProviders(5_000);
  guard = guardLoopback();
  work = mkdtempSync(path.join(tmpdir(), 'tsp-master-key-'));
  fake = await startFakeAwsKms({ region: REGION, credentials: [{ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET }], keys: [{ keyId: KEY_A }, { keyId: KEY_B }] });
});
afterAll(async () => {
  await fake.stop();
  guard.restore();
  rmSync(work, { recursive: true, force: true });
  expect(guard.refused).toEqual([]);
});
afterEach(() => {
  fake.clearFaults();
  fake.setCredentials([{ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET }]);
  fake.setKeyState(KEY_A, 'Enabled');
});

describe('the master-key variables (parseBrokerConfig)', () => {
  const signing = generateEncodedKeyPair('ed25519').privateKey;
  const base = { TSP_BROKER_DB: '/tmp/broker.db', TSP_BROKER_SIGNING_KEY: signing, TSP_BROKER_ADMIN_TOKEN: 'admin-token-0123456789abcdef' };
  const refused = (vars: Record<string, string>): string => {
    try {
      parseBrokerConfig({ ...base, ...vars });
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected the configuration to be refused');
  };
  const WRAPPED = randomBytes(60).toString('base64');

  it('takes the plain key, or the wrapped key with an inline KMS config or a KMS config file', () => {
    const plain = randomBytes(32);
    expect(parseBrokerConfig({ ...base, TSP_BROKER_MASTER_KEY: plain.toString('base64') }).masterKey).toEqual({ kind: 'plain', key: plain });
    expect(parseBrokerConfig({ ...base, TSP_BROKER_MASTER_KEY_WRAPPED: WRAPPED, TSP_BROKER_MASTER_KEY_KMS: JSON.stringify(LOCAL) }).masterKey).toEqual({
      kind: 'kms',
      wrapped: Buffer.from(WRAPPED, 'base64'),
      kms: { config: LOCAL },
    });
    expect(parseBrokerConfig({ ...base, TSP_BROKER_MASTER_KEY_WRAPPED: WRAPPED, TSP_BROKER_MASTER_KEY_KMS: '/run/secrets/kms.json' }).masterKey).toEqual({
      kind: 'kms',
      wrapped: Buffer.from(WRAPPED, 'base64'),
      kms: { file: '/run/secrets/kms.json' },
    });
  });

  it('requires exactly one of the two ways, naming the variables', () => {
    const none = refused({});
    expect(none).toContain('the broker master key is required: set TSP_BROKER_MASTER_KEY, or TSP_BROKER_MASTER_KEY_WRAPPED with TSP_BROKER_MASTER_KEY_KMS');
    const plain = randomBytes(32).toString('base64');
    const both = refused({ TSP_BROKER_MASTER_KEY: plain, TSP_BROKER_MASTER_KEY_WRAPPED: WRAPPED, TSP_BROKER_MASTER_KEY_KMS: JSON.stringify(LOCAL) });
    expect(both).toContain('set either TSP_BROKER_MASTER_KEY or TSP_BROKER_MASTER_KEY_WRAPPED with TSP_BROKER_MASTER_KEY_KMS (the broker master key), not both');
    expect(refused({ TSP_BROKER_MASTER_KEY: plain, TSP_BROKER_MASTER_KEY_KMS: JSON.stringify(LOCAL) })).toContain('not both');
    expect(refused({ TSP_BROKER_MASTER_KEY_WRAPPED: WRAPPED })).toContain('TSP_BROKER_MASTER_KEY_WRAPPED needs TSP_BROKER_MASTER_KEY_KMS');
    expect(refused({ TSP_BROKER_MASTER_KEY_KMS: JSON.stringify(LOCAL) })).toContain('TSP_BROKER_MASTER_KEY_KMS needs TSP_BROKER_MASTER_KEY_WRAPPED');
    for (const msg of [both]) {
      expect(msg).not.toContain(plain);
      expect(msg).not.toContain(KEK);
      expect(msg).not.toContain(WRAPPED);
    }
  });

  it('refuses a bad wrapped value and a bad KMS config without echoing either', () => {
    const kms = JSON.stringify({ ...LOCAL, region: 'x' });
    const msg = refused({ TSP_BROKER_MASTER_KEY_WRAPPED: 'not base64!', TSP_BROKER_MASTER_KEY_KMS: kms });
    expect(msg).toContain('TSP_BROKER_MASTER_KEY_WRAPPED must be base64 of a wrapped key');
    expect(msg).toContain("TSP_BROKER_MASTER_KEY_KMS: the KMS config has unknown property 'region'");
    expect(msg).not.toContain(KEK);
    expect(msg).not.toContain('not base64!');

    const notJson = `{"type":"local","credentials":{"kek":"${KEK}"`;
    const bad = refused({ TSP_BROKER_MASTER_KEY_WRAPPED: WRAPPED, TSP_BROKER_MASTER_KEY_KMS: notJson });
    expect(bad).toContain('TSP_BROKER_MASTER_KEY_KMS is not valid JSON');
    expect(bad).not.toContain(KEK);

    const shape = refused({ TSP_BROKER_MASTER_KEY_WRAPPED: WRAPPED, TSP_BROKER_MASTER_KEY_KMS: JSON.stringify({ type: 'vault', keyPath: 'k' }) });
    expect(shape).toContain('TSP_BROKER_MASTER_KEY_KMS: credentials is required');
    expect(shape).toContain("TSP_BROKER_MASTER_KEY_KMS: type must be one of 'local', 'aws', 'gcp', 'azure'");
    expect(shape).toContain('TSP_BROKER_MASTER_KEY_KMS: keyPath must be object');
  });

  it('keeps the plain key rule', () => {
    expect(refused({ TSP_BROKER_MASTER_KEY: randomBytes(16).toString('base64') })).toContain('TSP_BROKER_MASTER_KEY must be base64 of exactly 32 bytes');
    const problems: string[] = [];
    expect(parseMasterKeySetting({ plain: '', wrapped: '', kms: '' }, problems)).toBeUndefined();
    expect(problems).toHaveLength(1);
  });
});

describe('the local KMS', () => {
  it('unwraps what it wrapped for the broker: the same 32 bytes, from an inline config or a file', async () => {
    const key = randomBytes(32);
    const wrapped = await wrapMasterKey(key, LOCAL, { providers });
    expect(wrapped.includes(key)).toBe(false);
    expect((await resolveMasterKey(kmsSetting(wrapped, LOCAL), { providers })).equals(key)).toBe(true);

    const file = path.join(work, 'local-kms.json');
    writeFileSync(file, JSON.stringify(LOCAL), { mode: 0o600 });
    expect((await resolveMasterKey({ kind: 'kms', wrapped, kms: { file } }, { providers })).equals(key)).toBe(true);
  });

  it('gives the rest of the broker the key as a Buffer, exactly like the plain variable', async () => {
    const key = randomBytes(32);
    const settings = { port: 9500, masterKey: kmsSetting(await wrapMasterKey(key, LOCAL, { providers }), LOCAL) };
    const config = await withMasterKey(settings, { providers });
    expect(config.port).toBe(9500);
    expect(Buffer.isBuffer(config.masterKey) && config.masterKey.equals(key)).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
    // A plain key never loads the KMS providers (and their cloud SDKs).
    const plain = await withMasterKey({ masterKey: { kind: 'plain', key } as MasterKeySetting }, { providers: () => Promise.reject(new Error('providers loaded for a plain key')) });
    expect(plain.masterKey.equals(key)).toBe(true);
  });

  it('refuses with a clear error when the KEK is not the one that wrapped the key (no secret in the message)', async () => {
    const wrapped = await wrapMasterKey(randomBytes(32), LOCAL, { providers });
    const otherKek = randomBytes(32).toString('base64');
    const msg = await rejectionMessage(resolveMasterKey(kmsSetting(wrapped, { ...LOCAL, credentials: { kek: otherKek } }), { providers }));
    expect(msg).toBe(
      'the broker master key could not be unwrapped (TSP_BROKER_MASTER_KEY_WRAPPED with the local KMS of TSP_BROKER_MASTER_KEY_KMS): ' +
        'local KMS unwrap failed: the key does not authenticate (wrong key, tenant or tampered data) (code 205)',
    );
    expect(msg).not.toContain(otherKek);
    expect(msg).not.toContain(KEK);
  });

  it('binds the key to the broker: bytes wrapped for a tenant config (id >= 1) are refused, and the broker binding is config 0', async () => {
    expect(MASTER_KEY_BINDING).toEqual({ tenantId: 'tsp-config-broker', kmsConfigId: 0 });
    const provider = providers.create({ id: 1, type: 'local', active: true, primary: true, keyPath: {}, credentials: { kek: KEK } });
    try {
      const asTenant = Buffer.from(await provider.wrap(randomBytes(32), { tenantId: 'tsp-config-broker', kmsConfigId: 1, signal: AbortSignal.timeout(5000) }));
      expect(await rejectionMessage(resolveMasterKey(kmsSetting(asTenant, LOCAL), { providers }))).toContain('code 205');
      // ...and the broker's wrapped key does not open as that tenant config's EDEK.
      const brokers = await wrapMasterKey(randomBytes(32), LOCAL, { providers });
      await expect(provider.unwrap(brokers, { tenantId: 'tsp-config-broker', kmsConfigId: 1, signal: AbortSignal.timeout(5000) })).rejects.toMatchObject({ code: 205 });
    } finally {
      provider.close();
    }
  });

  it('names the variable for a provider-invalid config, an unreadable file and a file that is not JSON', async () => {
    const wrapped = randomBytes(60);
    expect(await rejectionMessage(resolveMasterKey(kmsSetting(wrapped, { ...LOCAL, credentials: { kek: 'c2hvcnQ=' } }), { providers }))).toBe(
      'Invalid configuration:\n  - TSP_BROKER_MASTER_KEY_KMS: credentials.kek must be base64 of 32 bytes',
    );
    const missing = path.join(work, 'absent.json');
    expect(await rejectionMessage(resolveMasterKey({ kind: 'kms', wrapped, kms: { file: missing } }, { providers }))).toBe(
      `TSP_BROKER_MASTER_KEY_KMS: cannot read the KMS config file ${missing} (ENOENT)`,
    );
    const broken = path.join(work, 'broken.json');
    writeFileSync(broken, `{"type":"local","credentials":{"kek":"${KEK}"}`);
    const msg = await rejectionMessage(resolveMasterKey({ kind: 'kms', wrapped, kms: { file: broken } }, { providers }));
    expect(msg).toContain(`TSP_BROKER_MASTER_KEY_KMS file ${broken} is not valid JSON`);
    expect(msg).not.toContain(KEK);
  });
});

describe('AWS KMS (loopback fake, real SDK)', () => {
  it('wraps with Encrypt and unwraps with Decrypt under the broker binding: the same 32 bytes', async () => {
    fake.clearRequests();
    const key = randomBytes(32);
    const wrapped = await wrapMasterKey(key, aws(), { providers });
    expect((await resolveMasterKey(kmsSetting(wrapped, aws()), { providers })).equals(key)).toBe(true);
    expect(fake.requests().map((r) => [r.operation, r.outcome, r.keyId])).toEqual([
      ['Encrypt', 'ok', KEY_A],
      ['Decrypt', 'ok', KEY_A],
    ]);
    // The encryption context binds config 0: the same bytes do not decrypt as a tenant config's.
    const asTenant = providers.create({ id: 1, active: true, primary: true, ...aws() });
    try {
      await expect(asTenant.unwrap(wrapped, { tenantId: MASTER_KEY_BINDING.tenantId, kmsConfigId: 1, signal: AbortSignal.timeout(5000) })).rejects.toMatchObject({ code: 205 });
    } finally {
      asTenant.close();
    }
  });

  it('refuses a key wrapped under another KMS key, keeping the provider message', async () => {
    const wrapped = await wrapMasterKey(randomBytes(32), aws({ keyID: KEY_B }), { providers });
    const msg = await rejectionMessage(resolveMasterKey(kmsSetting(wrapped, aws()), { providers }));
    expect(msg).toMatch(/^the broker master key could not be unwrapped \(TSP_BROKER_MASTER_KEY_WRAPPED with the aws KMS of TSP_BROKER_MASTER_KEY_KMS\): .+\(code 205\)$/);
  });

  it('refuses with the provider message when the credentials are wrong or the key is disabled, never showing the secret', async () => {
    const wrapped = await wrapMasterKey(randomBytes(32), aws(), { providers });
    const wrongSecret = 'fake/wrong+Secret00000000000000000000000009';
    const denied = await rejectionMessage(resolveMasterKey(kmsSetting(wrapped, aws({ secret: wrongSecret })), { providers }));
    expect(denied).toContain('could not be unwrapped');
    expect(denied).toContain('(code 206)');
    expect(denied).not.toContain(wrongSecret);
    expect(denied).not.toContain(SECRET);

    fake.setKeyState(KEY_A, 'Disabled');
    const disabled = await rejectionMessage(resolveMasterKey(kmsSetting(wrapped, aws()), { providers }));
    expect(disabled).toContain('(code 207)');
    expect(disabled).toContain('Disabled');
  });

  it('gives up at the deadline when the KMS does not answer (fault injection: latency)', async () => {
    const wrapped = await wrapMasterKey(randomBytes(32), aws(), { providers });
    fake.addFault({ operation: 'Decrypt', action: { type: 'latency', ms: 3000 } });
    const started = Date.now();
    const msg = await rejectionMessage(resolveMasterKey(kmsSetting(wrapped, aws()), { providers, timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(msg).toBe('the broker master key could not be unwrapped (TSP_BROKER_MASTER_KEY_WRAPPED with the aws KMS of TSP_BROKER_MASTER_KEY_KMS): no answer within 300 ms');
  });

  it('reports an injected KMS error with its code', async () => {
    const wrapped = await wrapMasterKey(randomBytes(32), aws(), { providers });
    fake.addFault({ operation: 'Decrypt', action: { type: 'error', error: 'KMSInvalidStateException', message: 'key pending deletion' } });
    const msg = await rejectionMessage(resolveMasterKey(kmsSetting(wrapped, aws()), { providers }));
    expect(msg).toContain('(code 210)');
    expect(msg).toContain('key pending deletion');
  });
});
