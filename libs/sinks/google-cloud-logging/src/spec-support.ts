import { generateKeyPairSync } from 'node:crypto';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import type { FakeGoogleCloudLogging } from '@tsp/fake-google-cloud-logging';
import type { SinkHost } from '@tsp/sinks-core';

/** Test helpers for the google-cloud-logging specs (not exported by the lib). */
export const PROJECT = 'tenant-proj-1';

export const host: SinkHost = { tenantId: 'tenant-a', sinkId: 'gcl', eventsDir: undefined, stdout: process.stdout };

/** A throwaway RSA key no token endpoint knows. */
export function strangerKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function configFor(fake: FakeGoogleCloudLogging, over: { settings?: Record<string, unknown>; credentials?: Record<string, unknown> } = {}): LoggingSinkConfig {
  const sa = fake.serviceAccount;
  if (sa === undefined) throw new Error('the fake generated no service account');
  return {
    id: 'gcl',
    type: 'google-cloud-logging',
    settings: { projectId: PROJECT, endpoint: fake.url, timeoutMs: 5000, ...over.settings },
    credentials: { type: 'service_account', client_email: sa.client_email, private_key: sa.private_key, private_key_id: 'key-1', token_uri: sa.token_uri, ...over.credentials },
  };
}

export { guardLoopback } from '@tsp/test-support';
