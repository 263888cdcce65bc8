import type { KmsConfig } from '@tsp/config-crypto';
import { startFakeAwsKms } from '@tsp/fake-aws-kms';
import { startFakeAzureKeyVault } from '@tsp/fake-azure-keyvault';
import { startFakeGcpKms } from '@tsp/fake-gcp-kms';

export type CloudProvider = 'aws' | 'gcp' | 'azure';

/**
 * One loopback cloud KMS fake, started in the bench process (127.0.0.1 only), the way
 * apps/proxy/e2e/cloud-fakes.ts starts them, with latency settable on every KMS request.
 */
export interface BenchCloudFake {
  provider: CloudProvider;
  /** A KMS config for this fake, leased or not. */
  kmsConfig(id: number, leased: boolean): KmsConfig;
  /** PEM of a CA the proxy must trust (NODE_EXTRA_CA_CERTS). */
  caCert?: string;
  /** KMS API requests (wrap/unwrap) answered so far. */
  kmsRequests(): number;
  /** Replaces the latency added to every KMS request. */
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

const LEASE = { enabled: true, lifetimeSeconds: 3600 };

function withLease(c: KmsConfig, leased: boolean): KmsConfig {
  return leased ? { ...c, leasing: LEASE } : c;
}

const AWS_ACCESS_KEY = 'AKIAFAKEBENCH0000001';
const AWS_SECRET = 'bench-secret-access-key-not-real-000000000';

async function awsFake(): Promise<BenchCloudFake> {
  const fake = await startFakeAwsKms({ region: 'eu-west-1', credentials: [{ accessKeyId: AWS_ACCESS_KEY, secretAccessKey: AWS_SECRET }], keys: [{ aliases: ['alias/bench'] }] });
  const keyId = fake.keys()[0]?.keyId;
  if (keyId === undefined) throw new Error('the AWS fake created no key');
  let counted = 0;
  return {
    provider: 'aws',
    kmsConfig: (id, leased) =>
      withLease(
        {
          id,
          type: 'aws',
          active: true,
          primary: true,
          keyPath: { keyID: keyId, region: 'eu-west-1' },
          credentials: { accessKeyId: AWS_ACCESS_KEY, secretAccessKey: AWS_SECRET },
          endpoint: fake.url,
        },
        leased,
      ),
    // The fake keeps a record per request: fold them into a count so memory stays flat.
    kmsRequests: () => {
      counted += fake.requests().length;
      fake.clearRequests();
      return counted;
    },
    setLatency: (ms) => {
      fake.clearFaults();
      if (ms > 0) fake.addFault({ action: { type: 'latency', ms } });
    },
    stop: () => fake.stop(),
  };
}

const GCP_KEY = 'projects/bench-project/locations/europe-west1/keyRings/bench-ring/cryptoKeys/bench-key';

async function gcpFake(): Promise<BenchCloudFake> {
  const fake = await startFakeGcpKms({ keys: [GCP_KEY] });
  const sa = fake.serviceAccount;
  if (sa === undefined) throw new Error('the GCP fake generated no service account');
  return {
    provider: 'gcp',
    kmsConfig: (id, leased) =>
      withLease(
        {
          id,
          type: 'gcp',
          active: true,
          primary: true,
          keyPath: { projectId: 'bench-project', locationId: 'europe-west1', keyRingId: 'bench-ring', cryptoKeyId: 'bench-key' },
          credentials: { client_email: sa.client_email, private_key: sa.private_key, token_uri: sa.token_uri },
          endpoint: fake.url,
        },
        leased,
      ),
    kmsRequests: () => fake.stats().kmsRequests,
    setLatency: (ms) => fake.setLatency(ms),
    stop: () => fake.stop(),
  };
}

const AZURE_KEY = 'tsp-key';

async function azureFake(): Promise<BenchCloudFake> {
  const fake = await startFakeAzureKeyVault({ tls: true, keys: { [AZURE_KEY]: 1 } });
  return {
    provider: 'azure',
    ...(fake.caCert === undefined ? {} : { caCert: fake.caCert }),
    kmsConfig: (id, leased) =>
      withLease(
        {
          id,
          type: 'azure',
          active: true,
          primary: true,
          keyPath: { vaultBaseUrl: fake.url, keyName: AZURE_KEY },
          credentials: { tenantGuid: fake.tenantGuid, clientId: fake.clientId, clientSecret: fake.clientSecret, authorityHost: fake.authorityHost },
        },
        leased,
      ),
    kmsRequests: () => fake.counts().wrapkey + fake.counts().unwrapkey,
    setLatency: (ms) => {
      fake.clearFaults();
      if (ms > 0) fake.addFault({ ops: ['get', 'wrapkey', 'unwrapkey'], latencyMs: ms });
    },
    stop: () => fake.close(),
  };
}

/** Starts the three fakes; on a failure, stops those already started. */
export async function startBenchCloudFakes(): Promise<BenchCloudFake[]> {
  const started: BenchCloudFake[] = [];
  try {
    for (const start of [awsFake, gcpFake, azureFake]) started.push(await start());
    return started;
  } catch (e) {
    await stopBenchCloudFakes(started);
    throw e;
  }
}

export async function stopBenchCloudFakes(fakes: readonly BenchCloudFake[]): Promise<void> {
  await Promise.all(fakes.map((f) => f.stop().catch(() => undefined)));
}
