import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KmsConfig, TenantConfig } from '@tsp/config-crypto';
import { generateLoopbackCertificate } from '@tsp/fake-azure-keyvault';

/**
 * The loopback cloud KMS fakes of the development environment: their settings are made once
 * (credentials, an AWS key with fixed material, a GCP service account, a TLS certificate for the
 * Azure fake, whose authority must be https) and kept in `<dev dir>/fakes/`, so the demo tenants
 * sealed in the document keep matching them. The dev stack runs the fakes from these files.
 */
export interface DevFakePorts {
  aws: number;
  gcp: number;
  azure: number;
}

export const DEFAULT_DEV_FAKE_PORTS: DevFakePorts = { aws: 4599, gcp: 4598, azure: 4597 };

export interface DevFakesSetup {
  ports: DevFakePorts;
  aws: { configFile: string; region: string; keyId: string; accessKeyId: string; secretAccessKey: string };
  gcp: { serviceAccountFile: string; key: string; client_email: string; private_key: string };
  azure: { certFile: string; keyFile: string; tenantGuid: string; clientId: string; clientSecret: string };
}

const GCP_PATH = { projectId: 'demo-project', locationId: 'global', keyRingId: 'demo-ring', cryptoKeyId: 'demo-key' };

function writeSecretFile(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
}

/** Creates the fakes' settings in `<dir>/fakes` unless present; returns them. */
export function ensureDevFakes(dir: string, ports: DevFakePorts = DEFAULT_DEV_FAKE_PORTS): DevFakesSetup {
  const fakesDir = path.join(dir, 'fakes');
  const setupFile = path.join(fakesDir, 'setup.json');
  if (existsSync(setupFile)) return JSON.parse(readFileSync(setupFile, 'utf8')) as DevFakesSetup;
  mkdirSync(fakesDir, { recursive: true, mode: 0o700 });

  const aws = {
    configFile: path.join(fakesDir, 'aws-kms.json'),
    region: 'us-east-1',
    keyId: randomUUID(),
    accessKeyId: `AKIADEV${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  writeSecretFile(
    aws.configFile,
    JSON.stringify({
      region: aws.region,
      credentials: [{ accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey }],
      keys: [{ keyId: aws.keyId, aliases: ['alias/demo'], material: randomBytes(32).toString('base64') }],
    }),
  );

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const gcp = {
    serviceAccountFile: path.join(fakesDir, 'gcp-service-account.json'),
    key: `projects/${GCP_PATH.projectId}/locations/${GCP_PATH.locationId}/keyRings/${GCP_PATH.keyRingId}/cryptoKeys/${GCP_PATH.cryptoKeyId}`,
    client_email: 'tsp-demo@demo-project.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  writeSecretFile(gcp.serviceAccountFile, JSON.stringify({ type: 'service_account', client_email: gcp.client_email, private_key: gcp.private_key }));

  const tls = generateLoopbackCertificate();
  const azure = {
    certFile: path.join(fakesDir, 'azure-tls-cert.pem'),
    keyFile: path.join(fakesDir, 'azure-tls-key.pem'),
    tenantGuid: randomUUID(),
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64'),
  };
  writeFileSync(azure.certFile, tls.cert);
  writeSecretFile(azure.keyFile, tls.key);

  const setup: DevFakesSetup = { ports, aws, gcp, azure };
  writeSecretFile(setupFile, JSON.stringify(setup, null, 2));
  return setup;
}

/** The command line of each fake, from its settings. */
export function devFakeCommands(s: DevFakesSetup): { name: string; args: string[] }[] {
  return [
    { name: 'fake-aws-kms', args: ['--port', String(s.ports.aws), '--config', s.aws.configFile] },
    { name: 'fake-gcp-kms', args: ['--port', String(s.ports.gcp), '--key', s.gcp.key, '--service-account-file', s.gcp.serviceAccountFile] },
    {
      name: 'fake-azure-keyvault',
      args: ['--port', String(s.ports.azure), '--tls-cert', s.azure.certFile, '--tls-key', s.azure.keyFile, '--tenant', s.azure.tenantGuid,
        '--client-id', s.azure.clientId, '--client-secret', s.azure.clientSecret, '--key', 'tsp-key:1'],
    },
  ];
}

function cloudConfig(id: number, c: Omit<KmsConfig, 'id' | 'active' | 'primary'>): KmsConfig {
  return { id, active: true, primary: true, ...c };
}

/** One demo tenant per cloud, each pointing at its fake. */
export function cloudDemoTenants(s: DevFakesSetup): TenantConfig[] {
  return [
    {
      tenantId: 'demo-tenant-aws',
      kmsConfigs: [cloudConfig(401, { type: 'aws', keyPath: { keyID: s.aws.keyId, region: s.aws.region }, credentials: { accessKeyId: s.aws.accessKeyId, secretAccessKey: s.aws.secretAccessKey }, endpoint: `http://127.0.0.1:${s.ports.aws}` })],
      secrets: [],
    },
    {
      tenantId: 'demo-tenant-gcp',
      kmsConfigs: [cloudConfig(501, { type: 'gcp', keyPath: { ...GCP_PATH }, credentials: { client_email: s.gcp.client_email, private_key: s.gcp.private_key, token_uri: `http://127.0.0.1:${s.ports.gcp}/token` }, endpoint: `http://127.0.0.1:${s.ports.gcp}` })],
      secrets: [],
    },
    {
      tenantId: 'demo-tenant-azure',
      kmsConfigs: [cloudConfig(601, { type: 'azure', keyPath: { vaultBaseUrl: `https://127.0.0.1:${s.ports.azure}`, keyName: 'tsp-key' }, credentials: { tenantGuid: s.azure.tenantGuid, clientId: s.azure.clientId, clientSecret: s.azure.clientSecret, authorityHost: `https://127.0.0.1:${s.ports.azure}` } })],
      secrets: [],
    },
  ];
}
