import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigLoader, createConfigSource, LoadedConfig } from '@tsp/broker-client';
import { decodePrivateKey, decodePublicKey, generateEncodedKeyPair, parseEnvFile } from '@tsp/config-crypto';
import { FakeAwsKms, startFakeAwsKms } from '@tsp/fake-aws-kms';
import { freePort, trackChild, TrackedChild, waitReady } from '@tsp/test-support';
import { loadBrokerKmsProviders, MasterKeyKms, wrapMasterKey } from '../src/master-key';

/**
 * The BUILT broker with its master key wrapped by AWS KMS (the loopback fake, real SDK): it
 * unwraps the key at start, keeps a tenant's KMS credentials encrypted under it, and after a
 * restart (KMS config now from a file) serves them again, so the same key came back. A wrapped
 * key that unwraps to another key fails at start ("does not open this store"); one the KMS
 * refuses fails with the KMS's reason. No secret on stderr.
 */
const BROKER_MAIN = path.join(__dirname, '..', '..', '..', 'dist', 'apps', 'config-broker', 'main.js');
const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const TENANT_KEK = randomBytes(32).toString('base64');
const REGION = 'eu-west-1';
const AWS_CREDENTIALS = { accessKeyId: 'AKIAFAKEBROKERE2E001', secretAccessKey: 'fake/e2e+Secret00000000000000000000000000001' };
const KEY_ID = '4444dddd-44dd-44dd-44dd-444444dddddd';
const signing = generateEncodedKeyPair('ed25519');
const masterKey = randomBytes(32);

let work: string;
let fake: FakeAwsKms;
let kms: MasterKeyKms;
let kmsFile: string;
let wrapped: string;
let port: number;
const running: TrackedChild[] = [];

function startBroker(master: Record<string, string>): TrackedChild {
  const child = spawn(process.execPath, [BROKER_MAIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      TSP_BROKER_PORT: String(port),
      TSP_BROKER_DB: path.join(work, 'broker.db'),
      TSP_BROKER_SIGNING_KEY: signing.privateKey,
      TSP_BROKER_ADMIN_TOKEN: ADMIN,
      TSP_BROKER_PUBLIC_URL: `http://127.0.0.1:${port}`,
      TSP_BROKER_LOG_LEVEL: 'debug',
      ...master,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const t = trackChild(child);
  running.push(t);
  return t;
}

async function admin(method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** The config document as a proxy of the service account gets and opens it. */
async function documentFor(env: Record<string, string>): Promise<LoadedConfig> {
  const saSigning = decodePrivateKey(env['TSP_SA_SIGNING_KEY'] ?? '', 'ed25519', 'TSP_SA_SIGNING_KEY');
  let loaded: LoadedConfig | undefined;
  const loader = new ConfigLoader({
    source: createConfigSource(env['TSP_CONFIG_URL'] ?? '', env['TSP_SERVICE_CONFIG_ID'] ?? '', saSigning, 'TSP_CONFIG_URL'),
    serviceAccountId: env['TSP_SERVICE_CONFIG_ID'] ?? '',
    brokerPublicKey: decodePublicKey(signing.publicKey, 'ed25519', 'broker public key'),
    encryptionKey: decodePrivateKey(env['TSP_SA_ENCRYPTION_KEY'] ?? '', 'x25519', 'TSP_SA_ENCRYPTION_KEY'),
    fetchTimeoutMs: 5000,
    apply: (c) => void (loaded = c),
  });
  await loader.loadInitial();
  loader.stop();
  if (loaded === undefined) throw new Error('no config document applied');
  return loaded;
}

function expectNoSecret(stderr: string): void {
  for (const secret of [masterKey.toString('base64'), TENANT_KEK, AWS_CREDENTIALS.secretAccessKey, ADMIN]) expect(stderr).not.toContain(secret);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tsp-broker-master-key-e2e-'));
  port = await freePort();
  fake = await startFakeAwsKms({ region: REGION, credentials: [AWS_CREDENTIALS], keys: [{ keyId: KEY_ID, aliases: ['alias/tsp-broker-master'] }] });
  kms = { type: 'aws', keyPath: { keyID: 'alias/tsp-broker-master', region: REGION }, credentials: { ...AWS_CREDENTIALS }, endpoint: fake.url };
  kmsFile = path.join(work, 'broker-kms.json');
  writeFileSync(kmsFile, JSON.stringify(kms), { mode: 0o600 });
  wrapped = (await wrapMasterKey(masterKey, kms, { providers: await loadBrokerKmsProviders(5000) })).toString('base64');
}, 30_000);

afterAll(async () => {
  for (const t of running) await t.stop('SIGKILL');
  await fake?.stop();
  rmSync(work, { recursive: true, force: true });
});

test('a KMS-wrapped master key: credentials written under it are served again after a restart', async () => {
  fake.clearRequests();
  const first = startBroker({ TSP_BROKER_MASTER_KEY_WRAPPED: wrapped, TSP_BROKER_MASTER_KEY_KMS: JSON.stringify(kms) });
  await waitReady(first, `http://127.0.0.1:${port}/live`, 'config broker (inline KMS config)');
  expect(fake.requests().map((r) => [r.operation, r.outcome, r.accessKeyId])).toEqual([['Decrypt', 'ok', AWS_CREDENTIALS.accessKeyId]]);

  expect((await admin('POST', '/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201);
  const created = await admin('POST', '/tenants/acme/kms-configs', { type: 'local', keyPath: { name: 'acme-kek' }, credentials: { kek: TENANT_KEK }, primary: true });
  expect(created.status).toBe(201);
  const sa = await admin('POST', '/service-accounts', { id: 'sa-e2e', name: 'e2e proxies', tenantTags: [] });
  expect(sa.status).toBe(201);
  const saEnv = parseEnvFile(String(sa.json['envFile']));
  expect(await first.stop()).toBe(0);
  expectNoSecret(first.stderr());

  // Restart, the KMS config now from a file: the store opens and the credentials decrypt.
  fake.clearRequests();
  const second = startBroker({ TSP_BROKER_MASTER_KEY_WRAPPED: wrapped, TSP_BROKER_MASTER_KEY_KMS: kmsFile });
  await waitReady(second, `http://127.0.0.1:${port}/live`, 'config broker (KMS config file)');
  expect(fake.requests().map((r) => [r.operation, r.outcome])).toEqual([['Decrypt', 'ok']]);
  const doc = await documentFor(saEnv);
  const acme = doc.tenants.find((t) => t.tenantId === 'acme');
  expect(acme?.ok).toBe(true);
  if (acme?.ok !== true) throw new Error('tenant acme did not open');
  expect(acme.config.kmsConfigs).toHaveLength(1);
  expect(acme.config.kmsConfigs[0]).toMatchObject({ id: created.json['id'], type: 'local', credentials: { kek: TENANT_KEK } });
  expect(await second.stop()).toBe(0);
  expectNoSecret(second.stderr());
}, 60_000);

test('a wrapped key of another master key fails at start: "does not open this store"', async () => {
  const other = (await wrapMasterKey(randomBytes(32), kms, { providers: await loadBrokerKmsProviders(5000) })).toString('base64');
  const broker = startBroker({ TSP_BROKER_MASTER_KEY_WRAPPED: other, TSP_BROKER_MASTER_KEY_KMS: kmsFile });
  expect(await broker.exited).toBe(1);
  expect(broker.stderr()).toContain('the broker master key does not open this store');
  expectNoSecret(broker.stderr());
}, 30_000);

test('a wrapped key the KMS refuses (tampered) fails at start with the KMS reason; so does a missing KMS variable', async () => {
  const tampered = Buffer.from(wrapped, 'base64');
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x01;
  const broker = startBroker({ TSP_BROKER_MASTER_KEY_WRAPPED: tampered.toString('base64'), TSP_BROKER_MASTER_KEY_KMS: kmsFile });
  expect(await broker.exited).toBe(1);
  expect(broker.stderr()).toMatch(/tsp-config-broker: the broker master key could not be unwrapped \(TSP_BROKER_MASTER_KEY_WRAPPED with the aws KMS of TSP_BROKER_MASTER_KEY_KMS\): .*\(code 205\)/);
  expectNoSecret(broker.stderr());

  const half = startBroker({ TSP_BROKER_MASTER_KEY_WRAPPED: wrapped });
  expect(await half.exited).toBe(1);
  expect(half.stderr()).toContain('TSP_BROKER_MASTER_KEY_WRAPPED needs TSP_BROKER_MASTER_KEY_KMS');
  expect(half.stderr()).not.toContain(wrapped);
}, 30_000);
