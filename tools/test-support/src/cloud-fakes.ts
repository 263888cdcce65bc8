import type { KmsConfig } from '@tsp/config-crypto';
import { startFakeAwsKms } from '@tsp/fake-aws-kms';
import { startFakeAzureKeyVault } from '@tsp/fake-azure-keyvault';
import { startFakeGcpKms } from '@tsp/fake-gcp-kms';

export type CloudProvider = 'aws' | 'gcp' | 'azure';

/**
 * One loopback cloud KMS fake (127.0.0.1 only), seen the same way by e2e tests and the bench
 * whatever the provider: a config pointing at it, its request count, and fault switches.
 */
export interface CloudFake {
  name: CloudProvider;
  /** A tenant id for this fake's tenant in tests. */
  tenantId: string;
  /** PEM of a CA the proxy must trust (NODE_EXTRA_CA_CERTS) to reach this fake over https. */
  caCert?: string;
  kmsConfig(id: number, leased?: boolean): KmsConfig;
  /** KMS API requests (wrap/unwrap) seen so far. */
  kmsRequests(): number;
  disableKey(): void;
  /** Absent where a fake cannot revoke live credentials (Azure: MSAL caches the token). */
  revokeCredentials?(): void;
  dropConnections(): void;
  /** Replaces the latency added to every KMS request (0: none). */
  setLatency(ms: number): void;
  /** Back to normal: no faults, no latency, the original credentials. */
  clearFaults(): void;
  stop(): Promise<void>;
}

const LEASE = { enabled: true, lifetimeSeconds: 3600 };

function config(c: Omit<KmsConfig, 'active' | 'primary'>, leased: boolean | undefined): KmsConfig {
  return { ...c, active: true, primary: true, ...(leased === true ? { leasing: LEASE } : {}) };
}

const AWS_REGION = 'eu-west-1';
const AWS_CREDENTIALS = { accessKeyId: 'AKIAFAKETESTS0000001', secretAccessKey: 'test-secret-access-key-not-real-000000000' };

async function awsFake(): Promise<CloudFake> {
  const fake = await startFakeAwsKms({ region: AWS_REGION, credentials: [AWS_CREDENTIALS], keys: [{ aliases: ['alias/tsp-tests'] }] });
  const keyId = fake.keys()[0]?.keyId;
  if (keyId === undefined) throw new Error('the AWS fake created no key');
  let counted = 0;
  return {
    name: 'aws',
    tenantId: 'cloud-aws',
    kmsConfig: (id, leased) =>
      config({ id, type: 'aws', keyPath: { keyID: keyId, region: AWS_REGION }, credentials: { ...AWS_CREDENTIALS }, endpoint: fake.url }, leased),
    // The fake keeps a record per request: fold them into a count so memory stays flat.
    kmsRequests: () => {
      counted += fake.requests().length;
      fake.clearRequests();
      return counted;
    },
    disableKey: () => void fake.addFault({ action: { type: 'error', error: 'DisabledException' } }),
    revokeCredentials: () => fake.setCredentials([{ ...AWS_CREDENTIALS, secretAccessKey: `${AWS_CREDENTIALS.secretAccessKey}-rotated` }]),
    dropConnections: () => void fake.addFault({ action: { type: 'drop' } }),
    setLatency: (ms) => {
      fake.clearFaults();
      if (ms > 0) fake.addFault({ action: { type: 'latency', ms } });
    },
    clearFaults: () => {
      fake.clearFaults();
      fake.setCredentials([AWS_CREDENTIALS]);
    },
    stop: () => fake.stop(),
  };
}

const GCP_PATH = { projectId: 'tsp-tests', locationId: 'europe-west1', keyRingId: 'tsp-ring', cryptoKeyId: 'tsp-key' };
const GCP_KEY = `projects/${GCP_PATH.projectId}/locations/${GCP_PATH.locationId}/keyRings/${GCP_PATH.keyRingId}/cryptoKeys/${GCP_PATH.cryptoKeyId}`;

async function gcpFake(): Promise<CloudFake> {
  const fake = await startFakeGcpKms({ keys: [GCP_KEY] });
  const sa = fake.serviceAccount;
  if (sa === undefined) throw new Error('the GCP fake generated no service account');
  return {
    name: 'gcp',
    tenantId: 'cloud-gcp',
    kmsConfig: (id, leased) =>
      config(
        {
          id,
          type: 'gcp',
          keyPath: { ...GCP_PATH },
          credentials: { client_email: sa.client_email, private_key: sa.private_key, token_uri: sa.token_uri },
          endpoint: fake.url,
        },
        leased,
      ),
    kmsRequests: () => fake.stats().kmsRequests,
    disableKey: () => fake.inject('disabled', { key: GCP_KEY }),
    revokeCredentials: () => fake.inject('unauthenticated', { key: GCP_KEY }),
    dropConnections: () => fake.inject('drop', { key: GCP_KEY }),
    setLatency: (ms) => fake.setLatency(ms),
    clearFaults: () => {
      fake.clearFaults(GCP_KEY);
      fake.setLatency(0);
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
    ...(fake.caCert === undefined ? {} : { caCert: fake.caCert }),
    kmsConfig: (id, leased) =>
      config(
        {
          id,
          type: 'azure',
          keyPath: { vaultBaseUrl: fake.url, keyName: AZURE_KEY },
          credentials: { tenantGuid: fake.tenantGuid, clientId: fake.clientId, clientSecret: fake.clientSecret, authorityHost: fake.authorityHost },
        },
        leased,
      ),
    kmsRequests: () => fake.counts().wrapkey + fake.counts().unwrapkey,
    disableKey: () => fake.addFault({ key: AZURE_KEY, fault: 'disabled' }),
    dropConnections: () => fake.addFault({ ops: ['wrapkey', 'unwrapkey'], fault: 'drop' }),
    setLatency: (ms) => {
      fake.clearFaults();
      if (ms > 0) fake.addFault({ ops: ['get', 'wrapkey', 'unwrapkey'], latencyMs: ms });
    },
    clearFaults: () => fake.clearFaults(),
    stop: () => fake.close(),
  };
}

/** Starts the three fakes; on a failure, stops those already started. */
export async function startCloudFakes(): Promise<CloudFake[]> {
  const started: CloudFake[] = [];
  try {
    for (const start of [awsFake, gcpFake, azureFake]) started.push(await start());
    return started;
  } catch (e) {
    await stopCloudFakes(started);
    throw e;
  }
}

export async function stopCloudFakes(fakes: readonly CloudFake[]): Promise<void> {
  await Promise.all(fakes.map((f) => f.stop().catch(() => undefined)));
}
