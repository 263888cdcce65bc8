import type { KmsConfig } from '@tsp/config-crypto';
import { startFakeAwsKms } from '@tsp/fake-aws-kms';
import { startFakeGcpKms } from '@tsp/fake-gcp-kms';
import { startFakeAzureKeyVault } from '@tsp/fake-azure-keyvault';

/** One cloud KMS fake, seen the same way by the cloud e2e tests whatever the provider. */
export interface CloudFake {
  name: string;
  tenantId: string;
  kmsConfig(id: number): KmsConfig;
  /** PEM of a CA the proxy must trust (NODE_EXTRA_CA_CERTS) to reach this fake over https. */
  caCert?: string;
  /** KMS API requests (wrap/unwrap) seen so far. */
  kmsRequests(): number;
  disableKey(): Promise<void>;
  /** Absent where a fake cannot revoke live credentials (Azure: MSAL caches the token). */
  revokeCredentials?(): Promise<void>;
  dropConnections(): Promise<void>;
  addLatency(ms: number): Promise<void>;
  clearFaults(): Promise<void>;
  stop(): Promise<void>;
}

const AWS_ACCESS_KEY = 'AKIAFAKEE2ETEST0001';
const AWS_SECRET = 'e2e-secret-access-key-not-real-0000000000';

async function awsFake(): Promise<CloudFake> {
  const fake = await startFakeAwsKms({ region: 'eu-west-1', credentials: [{ accessKeyId: AWS_ACCESS_KEY, secretAccessKey: AWS_SECRET }], keys: [{ aliases: ['alias/e2e'] }] });
  const keyId = fake.keys()[0].keyId;
  return {
    name: 'aws',
    tenantId: 'cloud-aws',
    kmsConfig: (id) => ({
      id,
      type: 'aws',
      active: true,
      primary: true,
      keyPath: { keyID: keyId, region: 'eu-west-1' },
      credentials: { accessKeyId: AWS_ACCESS_KEY, secretAccessKey: AWS_SECRET },
      endpoint: fake.url,
    }),
    kmsRequests: () => fake.requests().length,
    disableKey: async () => void fake.addFault({ action: { type: 'error', error: 'DisabledException' } }),
    revokeCredentials: async () => fake.setCredentials([{ accessKeyId: AWS_ACCESS_KEY, secretAccessKey: `${AWS_SECRET}-rotated` }]),
    dropConnections: async () => void fake.addFault({ action: { type: 'drop' } }),
    addLatency: async (ms) => void fake.addFault({ action: { type: 'latency', ms } }),
    clearFaults: async () => {
      fake.clearFaults();
      fake.setCredentials([{ accessKeyId: AWS_ACCESS_KEY, secretAccessKey: AWS_SECRET }]);
    },
    stop: () => fake.stop(),
  };
}

const GCP_KEY = 'projects/e2e-project/locations/europe-west1/keyRings/e2e-ring/cryptoKeys/e2e-key';

async function gcpFake(): Promise<CloudFake> {
  const fake = await startFakeGcpKms({ keys: [GCP_KEY] });
  const sa = fake.serviceAccount;
  if (sa === undefined) throw new Error('the GCP fake generated no service account');
  return {
    name: 'gcp',
    tenantId: 'cloud-gcp',
    kmsConfig: (id) => ({
      id,
      type: 'gcp',
      active: true,
      primary: true,
      keyPath: { projectId: 'e2e-project', locationId: 'europe-west1', keyRingId: 'e2e-ring', cryptoKeyId: 'e2e-key' },
      credentials: { client_email: sa.client_email, private_key: sa.private_key, token_uri: sa.token_uri },
      endpoint: fake.url,
    }),
    kmsRequests: () => fake.stats().kmsRequests,
    disableKey: async () => fake.inject('disabled', { key: GCP_KEY }),
    revokeCredentials: async () => fake.inject('unauthenticated', { key: GCP_KEY }),
    dropConnections: async () => fake.inject('drop', { key: GCP_KEY }),
    addLatency: async (ms) => fake.setLatency(ms, { key: GCP_KEY }),
    clearFaults: async () => {
      fake.clearFaults(GCP_KEY);
      fake.setLatency(0, { key: GCP_KEY });
    },
    stop: () => fake.stop(),
  };
}

const AZURE_KEY = 'tsp-key';

async function azureFake(): Promise<CloudFake> {
  const fake = await startFakeAzureKeyVault({ tls: true, keys: { [AZURE_KEY]: 1 } });
  return {
    name: 'azure',
    tenantId: 'cloud-azure',
    caCert: fake.caCert,
    kmsConfig: (id) => ({
      id,
      type: 'azure',
      active: true,
      primary: true,
      keyPath: { vaultBaseUrl: fake.url, keyName: AZURE_KEY },
      credentials: { tenantGuid: fake.tenantGuid, clientId: fake.clientId, clientSecret: fake.clientSecret, authorityHost: fake.authorityHost },
    }),
    kmsRequests: () => fake.counts().wrapkey + fake.counts().unwrapkey,
    disableKey: async () => fake.addFault({ key: AZURE_KEY, fault: 'disabled' }),
    dropConnections: async () => fake.addFault({ ops: ['wrapkey', 'unwrapkey'], fault: 'drop' }),
    addLatency: async (ms) => fake.addFault({ ops: ['wrapkey', 'unwrapkey'], latencyMs: ms }),
    clearFaults: async () => fake.clearFaults(),
    stop: () => fake.close(),
  };
}

/** Every cloud fake, each with a tenant of its own. */
export async function startCloudFakes(): Promise<CloudFake[]> {
  return [await awsFake(), await gcpFake(), await azureFake()];
}
