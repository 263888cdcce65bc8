import { randomUUID } from 'node:crypto';
import { generateEncodedKeyPair } from '@tsp/config-crypto';
import type { LoggingConfig } from '@tsp/config-crypto';
import { NewKmsConfig, NewServiceAccount, RepositoryError } from './repository';

/** Inputs and assertions for the repository conformance suite (jest only). */

/** A recognisable secret string; every one made is remembered in `secrets`. */
export class SecretMaker {
  readonly secrets: string[] = [];
  make(what: string): string {
    const s = `SECRET-${what}-${randomUUID()}`;
    this.secrets.push(s);
    return s;
  }
}

/** Asserts that the JSON of `value` holds none of the secret strings. */
export function expectNoSecrets(value: unknown, secrets: readonly string[]): void {
  const text = JSON.stringify(value) ?? '';
  for (const s of secrets) expect(text.includes(s)).toBe(false);
}

/** Asserts that `p` rejects with a RepositoryError of `kind` naming `field`. */
export async function expectRepoError(p: Promise<unknown>, kind: RepositoryError['kind'], field: string): Promise<RepositoryError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RepositoryError);
  const e = caught as RepositoryError;
  expect({ kind: e.kind, field: e.field }).toEqual({ kind, field });
  return e;
}

export function newServiceAccount(id: string, tenantTags: string[]): NewServiceAccount {
  return {
    id,
    name: `service account ${id}`,
    encryptionPublicKey: generateEncodedKeyPair('x25519').publicKey,
    signingPublicKey: generateEncodedKeyPair('ed25519').publicKey,
    tenantTags,
  };
}

export function newKmsConfig(tenantId: string, secrets: SecretMaker, extra: Partial<NewKmsConfig> = {}): NewKmsConfig {
  return {
    tenantId,
    type: 'aws',
    keyPath: { arn: `arn:aws:kms:us-east-1:000000000000:key/${randomUUID()}` },
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secrets.make('aws') },
    ...extra,
  };
}

export function loggingConfig(secrets: SecretMaker): LoggingConfig {
  return {
    sinks: [
      { id: 'splunk', type: 'splunk-hec', settings: { url: 'https://127.0.0.1:8088', index: 'tsp' }, credentials: { token: secrets.make('hec') } },
      { id: 'out', type: 'stdout' },
    ],
    rateLimit: { eventsPerSecond: 100, burst: 500 },
    batch: { maxEvents: 50 },
  };
}
