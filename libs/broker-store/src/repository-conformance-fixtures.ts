import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { generateEncodedKeyPair } from '@tsp/config-crypto';
import type { LoggingConfig, SecretStatus, TenantSecretType } from '@tsp/config-crypto';
import { BrokerRepository, ChangeContext, NewKmsConfig, NewServiceAccount, NewTenantAdminInvite, NewTenantSecret, RepositoryError } from './repository';

/** Inputs and assertions for the repository conformance suite (jest only). */

/** What the parts of the conformance suite get from the running test. */
export interface ConformanceHarness {
  /** The running test's repository (a new, empty store). */
  repo(): BrokerRepository;
  secrets(): SecretMaker;
  /** Another instance on the running test's store (closed after the test); absent when the back end cannot open one. */
  second?: () => Promise<BrokerRepository>;
}

/** The vendor admin's change context, used for writes whose actor the test does not look at. */
export const V: ChangeContext = { actor: { kind: 'vendor-admin', id: 'vendor-admin' } };

/** A recognisable secret string; every one made is remembered in `secrets`. */
export class SecretMaker {
  readonly secrets: string[] = [];
  make(what: string): string {
    const s = `SECRET-${what}-${randomUUID()}`;
    this.secrets.push(s);
    return s;
  }

  /** Recognisable tenant-secret material in base64 (what a wrapped EncryptedDeks looks like); remembered in `secrets`. */
  material(what: string): string {
    const s = Buffer.from(`SECRET-${what}-${randomUUID()}`).toString('base64');
    this.secrets.push(s);
    return s;
  }
}

export function newTenantSecret(tenantId: string, secretPath: string, secretType: TenantSecretType, encryptedSecret: string, status?: SecretStatus): NewTenantSecret {
  return { tenantId, secretPath, secretType, encryptedSecret, ...(status === undefined ? {} : { status }) };
}

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** An invitation for a fresh random token (the repository only ever gets its hash), expiring in `expiresInMs`. */
export function inviteFor(tenantId: string, email: string, expiresInMs = 3_600_000): NewTenantAdminInvite {
  const token = randomBytes(24).toString('base64url');
  return { tenantId, email, inviteTokenHash: sha256Hex(token), inviteExpiresAt: new Date(Date.now() + expiresInMs).toISOString() };
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
