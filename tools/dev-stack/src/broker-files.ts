import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateEncodedKeyPair, parseEnvFile, TenantConfig } from '@tsp/config-crypto';
import type { BrokerKeyFile } from '@tsp/dev-environment';

/**
 * The configuration broker's part of the development directory (var/dev for `npm start`):
 * its master key, signing key and admin token (generated once, files 0600), its SQLite
 * database, and the service account it issued to the stack's proxy and logdriver.
 */
export interface DevBrokerPaths {
  dir: string;
  /** base64 of 32 random bytes: the broker's TSP_BROKER_MASTER_KEY. */
  masterKeyFile: string;
  /** {"signingKey", "publicKey"} (the admin CLI's broker-keys format; the file-document dev dir made it too). */
  signingKeyFile: string;
  /** One line: the vendor admin's bearer token (README: `cat var/dev/broker-admin-token`). */
  adminTokenFile: string;
  dbFile: string;
  /** The proxy's and logdriver's service account, as the broker handed it out. */
  serviceAccountFile: string;
  /** Where a file-document dev dir's own service account is moved when the broker takes over. */
  fileDocumentServiceAccountFile: string;
  /** The plain demo tenants of a file-document dev dir (their KEKs): seeded so old EDEKs keep working. */
  fileDocumentTenantsFile: string;
}

export interface DevBrokerSecrets {
  masterKey: string;
  signingKey: string;
  adminToken: string;
}

export function devBrokerPaths(dir: string): DevBrokerPaths {
  return {
    dir,
    masterKeyFile: path.join(dir, 'broker-master-key'),
    signingKeyFile: path.join(dir, 'broker-key.json'),
    adminTokenFile: path.join(dir, 'broker-admin-token'),
    dbFile: path.join(dir, 'broker.db'),
    serviceAccountFile: path.join(dir, 'service-account.env'),
    fileDocumentServiceAccountFile: path.join(dir, 'service-account.file-document.env'),
    fileDocumentTenantsFile: path.join(dir, 'tenants.plain.json'),
  };
}

/** Writes a secret file readable by its owner only (also when it existed with wider modes). */
export function writeSecretFile(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Reads the broker's secrets, generating each one that is missing. Never logs them. */
export function ensureBrokerSecrets(p: DevBrokerPaths): DevBrokerSecrets {
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(p.masterKeyFile)) writeSecretFile(p.masterKeyFile, `${randomBytes(32).toString('base64')}\n`);
  if (!existsSync(p.signingKeyFile)) {
    const k = generateEncodedKeyPair('ed25519');
    writeSecretFile(p.signingKeyFile, JSON.stringify({ signingKey: k.privateKey, publicKey: k.publicKey } satisfies BrokerKeyFile, null, 2) + '\n');
  }
  // 32 random bytes as hex: 64 characters, safe in a shell and in an HTTP header.
  if (!existsSync(p.adminTokenFile)) writeSecretFile(p.adminTokenFile, `${randomBytes(32).toString('hex')}\n`);
  const signing = JSON.parse(readFileSync(p.signingKeyFile, 'utf8')) as Partial<BrokerKeyFile>;
  if (typeof signing.signingKey !== 'string' || signing.signingKey === '') throw new Error(`${p.signingKeyFile} has no signingKey`);
  return {
    masterKey: readFileSync(p.masterKeyFile, 'utf8').trim(),
    signingKey: signing.signingKey,
    adminToken: readFileSync(p.adminTokenFile, 'utf8').trim(),
  };
}

/** The settings in an env file, or undefined when there is none. */
export function readEnvFile(file: string): Record<string, string> | undefined {
  return existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : undefined;
}

/** Whether the env file is a service account of a broker (its config URL is http(s)). */
export function isBrokerServiceAccount(env: Record<string, string> | undefined): boolean {
  return env !== undefined && /^https?:\/\//.test(env['TSP_CONFIG_URL'] ?? '');
}

/**
 * A file-document dev dir's tenants (made by `npm start` before it ran the broker), or undefined.
 * Seeding them keeps each KMS config's id and key, so the EDEKs made then still unwrap.
 */
export function fileDocumentTenants(p: DevBrokerPaths): TenantConfig[] | undefined {
  if (!existsSync(p.fileDocumentTenantsFile)) return undefined;
  const plain = JSON.parse(readFileSync(p.fileDocumentTenantsFile, 'utf8')) as { tenants?: TenantConfig[] };
  if (!Array.isArray(plain.tenants)) throw new Error(`${p.fileDocumentTenantsFile} has no tenants`);
  return plain.tenants;
}

/** Moves a file-document service account out of the way of the broker's one (kept, never deleted). */
export function retireFileDocumentServiceAccount(p: DevBrokerPaths): boolean {
  const env = readEnvFile(p.serviceAccountFile);
  if (env === undefined || isBrokerServiceAccount(env)) return false;
  renameSync(p.serviceAccountFile, p.fileDocumentServiceAccountFile);
  return true;
}
