import { KeyObject, randomBytes } from 'node:crypto';
import { tspSaAuthorization } from '@tsp/broker-client';
import { decodePrivateKey, parseEnvFile } from '@tsp/config-crypto';
import type { ServiceAccount } from '@tsp/broker-store';
import type { BrokerHarness } from './broker-harness';

export interface TestServiceAccount {
  id: string;
  env: Record<string, string>;
  view: ServiceAccount;
  encryptionKey: KeyObject;
  signingKey: KeyObject;
}

/** Creates a service account through the API and decodes its env file. */
export async function createServiceAccount(b: BrokerHarness, id: string, tenantTags: string[]): Promise<TestServiceAccount> {
  const res = await b.admin('POST', '/api/v1/service-accounts', { id, name: `account ${id}`, tenantTags });
  if (res.status !== 201) throw new Error(`service account creation answered ${res.status}`);
  const body = res.body as { serviceAccount: ServiceAccount; envFile: string };
  const env = parseEnvFile(body.envFile);
  return {
    id,
    env,
    view: body.serviceAccount,
    encryptionKey: decodePrivateKey(env['TSP_SA_ENCRYPTION_KEY'] ?? '', 'x25519', 'TSP_SA_ENCRYPTION_KEY'),
    signingKey: decodePrivateKey(env['TSP_SA_SIGNING_KEY'] ?? '', 'ed25519', 'TSP_SA_SIGNING_KEY'),
  };
}

/** The Authorization header HttpConfigSource sends, with a chosen ts (and a fresh nonce unless given). */
export function tspSaHeader(id: string, key: KeyObject, pathAndQuery: string, ts: number, method = 'GET', nonce = randomBytes(16).toString('hex')): string {
  return tspSaAuthorization(id, key, method, pathAndQuery, undefined, ts, nonce);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
