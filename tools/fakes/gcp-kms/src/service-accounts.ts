import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TokenAuthority } from './oauth';

/** A service account the fake token endpoint accepts: its email and PUBLIC key (PEM, SPKI). */
export interface ServiceAccountPublicKey {
  clientEmail: string;
  publicKeyPem: string;
}

/**
 * Reads a service-account file given to a Google fake's command line: Google's JSON key file
 * (client_email + private_key) or {client_email, public_key} (PEM). Only the public key is kept.
 * Throws (naming no secret) when the file lacks them.
 */
export function readServiceAccountFile(file: string): ServiceAccountPublicKey {
  const sa = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const pem = typeof sa['public_key'] === 'string' ? sa['public_key'] : typeof sa['private_key'] === 'string' ? sa['private_key'] : undefined;
  if (typeof sa['client_email'] !== 'string' || pem === undefined) throw new Error('the service account file needs client_email and private_key or public_key');
  return { clientEmail: sa['client_email'], publicKeyPem: createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString() };
}

/** --service-account-file F for node:util parseArgs; see serviceAccountsFromCli. */
export const SERVICE_ACCOUNT_CLI_OPTION = { 'service-account-file': { type: 'string' } } as const;

/** The accounts a Google fake's command line names: the file's, or none (the fake then makes one up). */
export function serviceAccountsFromCli(values: { 'service-account-file'?: string | undefined }): ServiceAccountPublicKey[] {
  const file = values['service-account-file'];
  return file === undefined ? [] : [readServiceAccountFile(file)];
}

/** The account a fake made up itself: its key file fields (a throwaway test key) without token_uri. */
export interface GeneratedServiceAccount {
  client_email: string;
  /** PEM PKCS#8. */
  private_key: string;
}

/**
 * Enrolls the given service accounts with the token endpoint; without any, makes one up as
 * `generatedEmail` (RSA-2048), enrolls it and returns it (the only way a client can learn its key).
 */
export function enrollServiceAccounts(oauth: TokenAuthority, given: readonly ServiceAccountPublicKey[], generatedEmail: string): GeneratedServiceAccount | undefined {
  let generated: GeneratedServiceAccount | undefined;
  if (given.length === 0) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    generated = { client_email: generatedEmail, private_key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    oauth.addAccount(generated.client_email, pair.publicKey);
  }
  for (const a of given) oauth.addAccount(a.clientEmail, a.publicKeyPem);
  return generated;
}
