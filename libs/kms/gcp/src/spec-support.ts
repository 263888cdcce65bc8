import { startFakeGcpKms, type FakeGcpKms } from '@tsp/fake-gcp-kms';
import type { KmsConfig } from '@tsp/config-crypto';
import type { KmsCallContext } from '@tsp/kms-core';

/** Test helpers for the gcp provider specs (not exported by the lib). */
export const KEY_PATH = { projectId: 'tenant-proj-1', locationId: 'global', keyRingId: 'tsp-ring', cryptoKeyId: 'tsp-key' };
export const KEY_NAME = 'projects/tenant-proj-1/locations/global/keyRings/tsp-ring/cryptoKeys/tsp-key';

export { guardLoopback } from '@tsp/test-support';

export function startFake(): Promise<FakeGcpKms> {
  return startFakeGcpKms({ keys: [KEY_NAME] });
}

export function configFor(fake: FakeGcpKms, over: Partial<KmsConfig> = {}): KmsConfig {
  const sa = fake.serviceAccount;
  if (sa === undefined) throw new Error('the fake generated no service account');
  return {
    id: 7,
    type: 'gcp',
    active: true,
    primary: true,
    keyPath: { ...KEY_PATH },
    credentials: { type: 'service_account', client_email: sa.client_email, private_key: sa.private_key, token_uri: sa.token_uri },
    endpoint: fake.url,
    ...over,
  };
}

export function ctx(tenantId = 'tenant-a', kmsConfigId = 7, signal: AbortSignal = new AbortController().signal): KmsCallContext {
  return { tenantId, kmsConfigId, signal };
}

