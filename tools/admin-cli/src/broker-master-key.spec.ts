import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateEncodedKeyPair, parseEnvFile } from '@tsp/config-crypto';
import { FakeAwsKms, startFakeAwsKms } from '@tsp/fake-aws-kms';
import type { KmsProviderRegistry } from '@tsp/kms-core';
import { guardLoopback, rejectionMessage } from '@tsp/test-support';
import { parseBrokerConfig } from '../../../apps/config-broker/src/broker-config';
import { loadBrokerKmsProviders, withMasterKey } from '../../../apps/config-broker/src/master-key';
import { brokerMasterKey } from './broker-master-key';

/**
 * `tsp-admin broker-master-key`: what it prints, set as the broker's variables, gives the broker
 * the key back (a new one, or the existing one of --key-file), through the broker's own parsing
 * and unwrapping. Real providers; the AWS KMS fake on 127.0.0.1.
 */
const CLI = path.join(__dirname, '..', '..', '..', 'dist', 'tools', 'admin-cli', 'main.js');
const KEK = randomBytes(32).toString('base64');
const REGION = 'eu-west-1';
const AWS_CREDENTIALS = { accessKeyId: 'AKIAFAKECLI000000001', secretAccessKey: 'fake/cli+Secret0000000000000000000000000001' };
const KEY_ID = '3333cccc-33cc-33cc-33cc-333333cccccc';
let providers: KmsProviderRegistry;
const BROKER = {
  TSP_BROKER_DB: '/tmp/unused.db',
  TSP_BROKER_SIGNING_KEY: generateEncodedKeyPair('ed25519').privateKey,
  TSP_BROKER_ADMIN_TOKEN: 'admin-token-0123456789abcdef',
};

let work: string;
let fake: FakeAwsKms;
let guard: ReturnType<typeof guardLoopback>;
let localKms: string;

function file(name: string, text: string): string {
  const f = path.join(work, name);
  writeFileSync(f, text, { mode: 0o600 });
  return f;
}

/** The printed variables, set as the broker's environment: the key the broker would use. */
async function brokerKeyFrom(output: string): Promise<Buffer> {
  const vars = parseEnvFile(output);
  expect(Object.keys(vars).sort()).toEqual(['TSP_BROKER_MASTER_KEY_KMS', 'TSP_BROKER_MASTER_KEY_WRAPPED']);
  const config = await withMasterKey(parseBrokerConfig({ ...BROKER, ...vars }), { providers });
  return config.masterKey;
}

beforeAll(async () => {
  providers = await loadBrokerKmsProviders(5_000);
  guard = guardLoopback();
  work = mkdtempSync(path.join(tmpdir(), 'tsp-admin-master-key-'));
  localKms = file('local-kms.json', JSON.stringify({ type: 'local', keyPath: { name: 'broker' }, credentials: { kek: KEK } }));
  fake = await startFakeAwsKms({ region: REGION, credentials: [AWS_CREDENTIALS], keys: [{ keyId: KEY_ID, aliases: ['alias/tsp-broker'] }] });
});
afterAll(async () => {
  await fake.stop();
  guard.restore();
  rmSync(work, { recursive: true, force: true });
  expect(guard.refused).toEqual([]);
});

test('a new key: the two variables to set (the KMS config by path), never the plain key or the credentials', async () => {
  const out = await brokerMasterKey({ kmsConfigFile: localKms, providers });
  expect(out).toContain('A NEW master key');
  expect(parseEnvFile(out)['TSP_BROKER_MASTER_KEY_KMS']).toBe(localKms);
  const key = await brokerKeyFrom(out);
  expect(key).toHaveLength(32);
  expect(out).not.toContain(key.toString('base64'));
  expect(out).not.toContain(KEK);
  // Two runs, two keys.
  expect((await brokerKeyFrom(await brokerMasterKey({ kmsConfigFile: localKms, providers }))).equals(key)).toBe(false);
});

test.each([
  ['base64 alone', (k: string) => `${k}\n`],
  ['an env-file line', (k: string) => `# broker\nTSP_BROKER_MASTER_KEY="${k}"\nTSP_BROKER_DB=/x\n`],
])('--key-file (%s): the existing key comes back, so the store opens as before', async (_name, text) => {
  const existing = randomBytes(32);
  const out = await brokerMasterKey({ kmsConfigFile: localKms, keyFile: file('master.key', text(existing.toString('base64'))), providers });
  expect(out).toContain('The existing master key');
  expect(out).not.toContain(existing.toString('base64'));
  expect((await brokerKeyFrom(out)).equals(existing)).toBe(true);
});

test('with AWS KMS (fake, real SDK): Encrypt, then Decrypt to check, then the broker unwraps the same key', async () => {
  const kmsFile = file('aws-kms.json', JSON.stringify({ type: 'aws', keyPath: { keyID: 'alias/tsp-broker', region: REGION }, credentials: AWS_CREDENTIALS, endpoint: fake.url }));
  const existing = randomBytes(32);
  fake.clearRequests();
  const out = await brokerMasterKey({ kmsConfigFile: kmsFile, keyFile: file('aws-master.key', existing.toString('base64')), providers });
  expect(fake.requests().map((r) => [r.operation, r.outcome])).toEqual([
    ['Encrypt', 'ok'],
    ['Decrypt', 'ok'],
  ]);
  expect(out).not.toContain(AWS_CREDENTIALS.secretAccessKey);
  expect((await brokerKeyFrom(out)).equals(existing)).toBe(true);
});

test('clear errors: a key file without a 32-byte key, a missing or invalid KMS config, a KMS that refuses', async () => {
  const short = randomBytes(16).toString('base64');
  const bad = await rejectionMessage(brokerMasterKey({ kmsConfigFile: localKms, keyFile: file('short.key', short), providers }));
  expect(bad).toMatch(/^--key-file .*short\.key must hold the broker master key: base64 of exactly 32 bytes/);
  expect(bad).not.toContain(short);
  expect(await rejectionMessage(brokerMasterKey({ kmsConfigFile: path.join(work, 'absent.json'), providers }))).toMatch(/^--kms-config: cannot read .*absent\.json \(ENOENT\)$/);
  const invalid = file('invalid-kms.json', JSON.stringify({ type: 'local', keyPath: {}, credentials: { kek: 'c2hvcnQ=' } }));
  expect(await rejectionMessage(brokerMasterKey({ kmsConfigFile: invalid, providers }))).toContain(`--kms-config ${invalid}: credentials.kek must be base64 of 32 bytes`);
  const wrongSecret = 'fake/wrong+Secret00000000000000000000000009';
  const denied = file('denied-kms.json', JSON.stringify({ type: 'aws', keyPath: { keyID: KEY_ID, region: REGION }, credentials: { ...AWS_CREDENTIALS, secretAccessKey: wrongSecret }, endpoint: fake.url }));
  const msg = await rejectionMessage(brokerMasterKey({ kmsConfigFile: denied, providers }));
  expect(msg).toMatch(/^the broker master key could not be wrapped by the aws KMS: .*\(code 206\)$/);
  expect(msg).not.toContain(wrongSecret);
});

test('the built CLI prints the variables on stdout (dist/tools/admin-cli/main.js)', async () => {
  const existing = randomBytes(32);
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'broker-master-key', '--kms-config', localKms, '--key-file', file('cli.key', existing.toString('base64'))], {
    env: { PATH: process.env['PATH'] ?? '' },
    timeout: 20_000,
  });
  expect(stderr).toBe('');
  expect(stdout).not.toContain(existing.toString('base64'));
  expect((await brokerKeyFrom(stdout)).equals(existing)).toBe(true);
  const usage = await promisify(execFile)(process.execPath, [CLI, 'help'], { env: { PATH: process.env['PATH'] ?? '' }, timeout: 20_000 });
  expect(usage.stdout).toContain('tsp-admin broker-master-key --kms-config');
}, 30_000);
