import { createPrivateKey } from 'node:crypto';
import type { KmsConfig } from '@tsp/config-crypto';
import { endpointProblems } from '@tsp/kms-core';

/**
 * The `gcp` KMS config (documented in docs/config-document.md by the lead):
 *
 * keyPath (all required, nothing else):
 *   projectId    project id (6–30 chars, `[a-z][a-z0-9-]*`, optionally `domain:` scoped) or project number
 *   locationId   e.g. `global`, `us-east1`, `europe`
 *   keyRingId    `[A-Za-z0-9_-]{1,63}`
 *   cryptoKeyId  `[A-Za-z0-9_-]{1,63}` — a symmetric ENCRYPT_DECRYPT key
 * credentials: the service account's JSON key file, as Google issues it:
 *   client_email (required), private_key (required, PEM PKCS#8 RSA),
 *   token_uri (optional: the OAuth token endpoint, default https://oauth2.googleapis.com/token;
 *     a private endpoint or a loopback fake; https, or http on loopback only),
 *   and the informational fields of the key file, which are accepted and not used:
 *   type ('service_account'), project_id, private_key_id, client_id, auth_uri,
 *   auth_provider_x509_cert_url, client_x509_cert_url, universe_domain ('googleapis.com').
 * endpoint (optional): the Cloud KMS API origin, e.g. `https://cloudkms.googleapis.com`
 *   (the default), a Private Service Connect endpoint, or `http://127.0.0.1:PORT` for a fake;
 *   an origin only (no path). Calls go over the REST transport (HTTP/1.1 + JSON).
 * Messages name the field and never carry a value.
 */
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const KEY_PATH_FIELDS: Record<string, RegExp> = {
  projectId: /^(?:(?:[a-z0-9-]+\.)+[a-z]{2,}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$|^\d{1,20}$/,
  locationId: /^[a-z][a-z0-9-]{0,62}$/,
  keyRingId: /^[A-Za-z0-9_-]{1,63}$/,
  cryptoKeyId: /^[A-Za-z0-9_-]{1,63}$/,
};
const INFORMATIONAL_CREDENTIAL_FIELDS = ['project_id', 'private_key_id', 'client_id', 'auth_uri', 'auth_provider_x509_cert_url', 'client_x509_cert_url'];
const CREDENTIAL_FIELDS = ['client_email', 'private_key', 'token_uri', 'type', 'universe_domain', ...INFORMATIONAL_CREDENTIAL_FIELDS];
const EMAIL = /^[^\s@]{1,128}@[A-Za-z0-9.-]{1,253}$/;

export interface GcpEndpoint {
  protocol: 'http' | 'https';
  host: string;
  port: number;
}

/** A validated gcp config, ready for the SDK. */
export interface GcpSettings {
  /** projects/P/locations/L/keyRings/R/cryptoKeys/K */
  keyName: string;
  clientEmail: string;
  privateKey: string;
  tokenUri: string;
  /** undefined: Google's public endpoint. */
  endpoint: GcpEndpoint | undefined;
}

function isRsaPrivateKeyPem(v: unknown): boolean {
  if (typeof v !== 'string' || !/^-----BEGIN (RSA )?PRIVATE KEY-----/.test(v.trim())) return false;
  try {
    return createPrivateKey(v).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}

function originProblems(value: unknown, field: string): string[] {
  const problems = endpointProblems(value, field);
  if (problems.length > 0 || value === undefined) return problems;
  const u = new URL(value as string);
  return u.pathname === '/' || u.pathname === '' ? [] : [`${field} must be an origin (scheme, host and port) without a path`];
}

export function gcpConfigProblems(config: KmsConfig): string[] {
  const problems: string[] = [];
  const kp = config.keyPath;
  for (const [field, re] of Object.entries(KEY_PATH_FIELDS)) {
    const v = kp[field];
    if (v === undefined) problems.push(`keyPath.${field} is required`);
    else if (typeof v !== 'string' || !re.test(v)) problems.push(`keyPath.${field} is not a valid ${field}`);
  }
  for (const k of Object.keys(kp)) if (!(k in KEY_PATH_FIELDS)) problems.push(`keyPath.${k} is not a known field`);

  const c = config.credentials;
  for (const k of Object.keys(c)) if (!CREDENTIAL_FIELDS.includes(k)) problems.push(`credentials.${k} is not a known field`);
  if (typeof c['client_email'] !== 'string' || !EMAIL.test(c['client_email'])) problems.push('credentials.client_email must be a service account email');
  if (!isRsaPrivateKeyPem(c['private_key'])) problems.push('credentials.private_key must be a PEM RSA private key');
  problems.push(...endpointProblems(c['token_uri'], 'credentials.token_uri'));
  if (c['type'] !== undefined && c['type'] !== 'service_account') problems.push("credentials.type must be 'service_account'");
  if (c['universe_domain'] !== undefined && c['universe_domain'] !== 'googleapis.com') problems.push("credentials.universe_domain must be 'googleapis.com'");
  for (const k of INFORMATIONAL_CREDENTIAL_FIELDS) if (c[k] !== undefined && typeof c[k] !== 'string') problems.push(`credentials.${k} must be a string`);

  problems.push(...originProblems(config.endpoint, 'endpoint'));
  return problems;
}

/** Precondition: gcpConfigProblems(config) is empty. */
export function gcpSettings(config: KmsConfig): GcpSettings {
  const kp = config.keyPath as Record<string, string>;
  const c = config.credentials as Record<string, string | undefined>;
  let endpoint: GcpEndpoint | undefined;
  if (config.endpoint !== undefined) {
    const u = new URL(config.endpoint);
    const protocol = u.protocol === 'http:' ? 'http' : 'https';
    endpoint = { protocol, host: u.hostname, port: u.port === '' ? (protocol === 'http' ? 80 : 443) : Number(u.port) };
  }
  return {
    keyName: `projects/${kp['projectId']}/locations/${kp['locationId']}/keyRings/${kp['keyRingId']}/cryptoKeys/${kp['cryptoKeyId']}`,
    clientEmail: c['client_email'] as string,
    privateKey: c['private_key'] as string,
    tokenUri: c['token_uri'] ?? GOOGLE_TOKEN_URI,
    endpoint,
  };
}
