import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildConfigDocument,
  decodePrivateKey,
  decodePublicKey,
  formatEnvFile,
  generateEncodedKeyPair,
  KmsConfig,
  parseEnvFile,
  TenantConfig,
  TenantSecret,
} from '@tsp/config-crypto';
import { generateLocalKek, localKmsFactory } from '@tsp/kms-local';
import { encodeEncryptedDeks } from '@tsp/tsp-protocol';
import { cloudDemoTenants, DEFAULT_DEV_FAKE_PORTS, DevFakePorts, ensureDevFakes } from './dev-cloud-fakes';

export * from './dev-cloud-fakes';

/**
 * The development environment: broker keys, one service account, demo tenants on the `local`
 * provider (KEKs inside the configs: for development only), one demo tenant per cloud KMS
 * pointing at its loopback fake (dev-cloud-fakes.ts) and the signed config document.
 * Everything lives in one directory (var/dev for `npm start`; a temp dir in tests).
 */
export interface DevEnvironment {
  dir: string;
  serviceAccountFile: string;
  documentFile: string;
  tenantsFile: string;
  brokerKeyFile: string;
  apiKey: string;
}

export interface BrokerKeyFile {
  signingKey: string;
  publicKey: string;
}

/** Secret paths every demo tenant has secrets for (the file source cannot create new ones). */
export const DEMO_SECRET_PATHS = ['demo-path', 'ssn', 'email'] as const;

function localConfig(id: number, primary: boolean, active: boolean, leasing: boolean): KmsConfig {
  const c: KmsConfig = { id, type: 'local', active, primary, keyPath: { name: `dev-kek-${id}` }, credentials: { kek: generateLocalKek() } };
  if (leasing) c.leasing = { enabled: true, lifetimeSeconds: 3600 };
  return c;
}

/** Wraps a fresh 32-byte secret with a local config, as a broker would with any provider. */
export async function makeLocalSecret(
  tenantId: string,
  config: KmsConfig,
  s: Omit<TenantSecret, 'encryptedSecret'>,
): Promise<TenantSecret> {
  const provider = localKmsFactory.create(config);
  const secret = randomBytes(32);
  const data = await provider.wrap(secret, { tenantId, kmsConfigId: config.id, signal: AbortSignal.timeout(5000) });
  secret.fill(0);
  const encryptedSecret = Buffer.from(encodeEncryptedDeks([{ encryptedDekData: data, kmsConfigId: config.id }])).toString('base64');
  return { ...s, encryptedSecret };
}

async function demoSecrets(tenantId: string, config: KmsConfig, firstId: number): Promise<TenantSecret[]> {
  const out: TenantSecret[] = [];
  let id = firstId;
  for (const secretPath of DEMO_SECRET_PATHS) {
    for (const secretType of ['deterministic', 'search', 'vector'] as const) {
      out.push(await makeLocalSecret(tenantId, config, { id: id++, secretPath, secretType, status: 'current' }));
    }
  }
  return out;
}

/** The demo tenants of the embedded default (README "Demo tenants"). */
export async function demoTenants(): Promise<TenantConfig[]> {
  const t1 = localConfig(101, true, true, false);
  const t2 = localConfig(201, true, true, true);
  const comboActive = localConfig(301, false, true, false);
  const comboDisabled = localConfig(302, false, false, false);
  return [
    { tenantId: 'demo-tenant-1', kmsConfigs: [t1], secrets: await demoSecrets('demo-tenant-1', t1, 1) },
    { tenantId: 'demo-tenant-2', kmsConfigs: [t2], secrets: await demoSecrets('demo-tenant-2', t2, 101) },
    { tenantId: 'demo-tenant-combo', kmsConfigs: [comboActive, comboDisabled], secrets: [] },
  ];
}

export function generateApiKey(): string {
  return randomBytes(24).toString('base64');
}

export function writeJson(file: string, value: unknown, secret: boolean): void {
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n', { mode: secret ? 0o600 : 0o644 });
  if (secret) chmodSync(file, 0o600);
}

/** A demo tenant's logging config: the logdriver's file sink (var/events/<tenantId>.ndjson). */
export function withEventsFile(t: TenantConfig): TenantConfig {
  return { ...t, logging: { sinks: [{ id: 'events-file', type: 'file' }] } };
}

/** Seals `tenants` into the environment's document with the given sequence. */
export function sealDocument(env: DevEnvironment, tenants: readonly TenantConfig[], sequence: number): void {
  const sa = parseEnvFile(readFileSync(env.serviceAccountFile, 'utf8'));
  const broker = JSON.parse(readFileSync(env.brokerKeyFile, 'utf8')) as BrokerKeyFile;
  const saPublic = sa['TSP_SA_ENCRYPTION_PUBLIC_KEY'];
  if (saPublic === undefined) throw new Error('service account file lacks TSP_SA_ENCRYPTION_PUBLIC_KEY');
  const doc = buildConfigDocument({
    serviceAccountId: sa['TSP_SERVICE_CONFIG_ID'] ?? '',
    serviceAccountPublicKey: decodePublicKey(saPublic, 'x25519', 'TSP_SA_ENCRYPTION_PUBLIC_KEY'),
    brokerSigningKey: decodePrivateKey(broker.signingKey, 'ed25519', 'broker signingKey'),
    sequence,
    tenants,
  });
  const tmp = `${env.documentFile}.tmp`;
  writeJson(tmp, doc, false);
  // Atomic replace: a proxy reading the file never sees half a document.
  renameSync(tmp, env.documentFile);
  writeJson(env.tenantsFile, { sequence, tenants }, true);
}

export function devEnvironmentPaths(dir: string): Omit<DevEnvironment, 'apiKey'> {
  return {
    dir,
    serviceAccountFile: path.join(dir, 'service-account.env'),
    documentFile: path.join(dir, 'config-document.json'),
    tenantsFile: path.join(dir, 'tenants.plain.json'),
    brokerKeyFile: path.join(dir, 'broker-key.json'),
  };
}

/**
 * Creates the environment in `dir` unless it exists. Returns it, and whether it was created.
 * `apiKey` is used when given; otherwise a random one is generated (and saved in the SA file).
 */
export async function ensureDevEnvironment(
  dir: string,
  apiKey?: string,
  fakePorts: DevFakePorts = DEFAULT_DEV_FAKE_PORTS,
): Promise<{ env: DevEnvironment; created: boolean }> {
  const paths = devEnvironmentPaths(dir);
  if (existsSync(paths.serviceAccountFile) && existsSync(paths.documentFile)) {
    const sa = parseEnvFile(readFileSync(paths.serviceAccountFile, 'utf8'));
    return { env: { ...paths, apiKey: sa['API_KEY'] ?? '' }, created: false };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const broker = generateEncodedKeyPair('ed25519');
  writeJson(paths.brokerKeyFile, { signingKey: broker.privateKey, publicKey: broker.publicKey } satisfies BrokerKeyFile, true);
  const enc = generateEncodedKeyPair('x25519');
  const sig = generateEncodedKeyPair('ed25519');
  const key = apiKey ?? generateApiKey();
  const documentUrl = new URL(`file://${path.resolve(paths.documentFile)}`).href;
  writeFileSync(
    paths.serviceAccountFile,
    formatEnvFile(
      {
        TSP_SERVICE_CONFIG_ID: 'dev-service-account',
        API_KEY: key,
        TSP_SA_ENCRYPTION_KEY: enc.privateKey,
        TSP_SA_ENCRYPTION_PUBLIC_KEY: enc.publicKey,
        TSP_SA_SIGNING_KEY: sig.privateKey,
        TSP_SA_SIGNING_PUBLIC_KEY: sig.publicKey,
        TSP_BROKER_PUBLIC_KEY: broker.publicKey,
        TSP_CONFIG_URL: documentUrl,
      },
      'Service account of the development environment (generated; secrets: keep private).',
    ),
    { mode: 0o600 },
  );
  const env: DevEnvironment = { ...paths, apiKey: key };
  const fakes = ensureDevFakes(dir, fakePorts);
  sealDocument(env, [...(await demoTenants()), ...cloudDemoTenants(fakes)].map(withEventsFile), 1);
  return { env, created: true };
}
