import type { KmsConfig } from '@tsp/config-crypto';
import { endpointProblems, isLoopbackHost } from '@tsp/kms-core';

/**
 * The `azure` KMS config (Azure Key Vault or Managed HSM, RSA key, app registration with a
 * client secret). Documented fields, all validated here; unknown fields are rejected:
 *
 *   keyPath:     { vaultBaseUrl: "https://<vault>.vault.azure.net", keyName: "<key name>" }
 *   credentials: { tenantGuid: "<Entra tenant GUID>", clientId: "<app id>", clientSecret: "<secret>",
 *                  authorityHost?: "https://login.microsoftonline.us" }
 *   endpoint:    not used (the vault URL IS keyPath.vaultBaseUrl; the Entra authority is
 *                credentials.authorityHost).
 *
 * `vaultBaseUrl` and `authorityHost` are the endpoint overrides for sovereign clouds, private
 * deployments and our loopback fakes. Both must be https, except on a loopback host where http
 * is allowed for the vault (MSAL itself refuses an http authority). authorityHost defaults to
 * the public cloud, https://login.microsoftonline.com.
 */
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/**
 * Authorities MSAL knows without asking the network (it carries their metadata). For any other
 * authority instance discovery is turned off: otherwise MSAL would call
 * login.microsoftonline.com/common/discovery/instance to validate it (a non-loopback request
 * from a test, a failure in an air-gapped cloud). The authority is then trusted as configured,
 * which is acceptable because it comes from the tenant's own sealed config.
 */
export const KNOWN_AUTHORITY_HOSTS: ReadonlySet<string> = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
  'login.microsoftonline.de',
]);

export interface AzureSettings {
  /** Origin of the vault, no trailing slash. */
  vaultBaseUrl: string;
  keyName: string;
  tenantGuid: string;
  clientId: string;
  clientSecret: string;
  /** Origin of the Entra authority, no trailing slash. */
  authorityHost: string;
}

const KEY_PATH_FIELDS = ['vaultBaseUrl', 'keyName'];
const CREDENTIAL_FIELDS = ['tenantGuid', 'clientId', 'clientSecret', 'authorityHost'];
const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Key Vault object names: 1–127 characters, letters, digits and dashes. */
const KEY_NAME_RE = /^[0-9A-Za-z-]{1,127}$/;

/** Problems with an origin-only URL field (no path beyond '/'); never echoes the value. */
function originProblems(value: unknown, field: string): string[] {
  const problems = endpointProblems(value, field);
  if (problems.length === 0 && typeof value === 'string' && new URL(value).pathname !== '/') problems.push(`${field} must not have a path`);
  return problems;
}

/** Problems with an azure KMS config; messages name the field and never hold a value. */
export function azureConfigProblems(config: KmsConfig): string[] {
  const problems: string[] = [];
  const kp = config.keyPath;
  const cr = config.credentials;
  for (const k of Object.keys(kp)) if (!KEY_PATH_FIELDS.includes(k)) problems.push(`keyPath.${k} is not a field of the azure provider`);
  for (const k of Object.keys(cr)) if (!CREDENTIAL_FIELDS.includes(k)) problems.push(`credentials.${k} is not a field of the azure provider`);
  if (kp['vaultBaseUrl'] === undefined) problems.push('keyPath.vaultBaseUrl is required');
  else problems.push(...originProblems(kp['vaultBaseUrl'], 'keyPath.vaultBaseUrl'));
  if (typeof kp['keyName'] !== 'string' || !KEY_NAME_RE.test(kp['keyName'])) problems.push('keyPath.keyName must be 1-127 letters, digits or dashes');
  if (typeof cr['tenantGuid'] !== 'string' || !GUID_RE.test(cr['tenantGuid'])) problems.push('credentials.tenantGuid must be a GUID');
  if (typeof cr['clientId'] !== 'string' || cr['clientId'].trim() === '' || cr['clientId'].length > 256) problems.push('credentials.clientId must be a non-empty string');
  if (typeof cr['clientSecret'] !== 'string' || cr['clientSecret'] === '') problems.push('credentials.clientSecret must be a non-empty string');
  const authority = originProblems(cr['authorityHost'], 'credentials.authorityHost');
  problems.push(...authority);
  if (authority.length === 0 && typeof cr['authorityHost'] === 'string' && new URL(cr['authorityHost']).protocol !== 'https:') {
    problems.push('credentials.authorityHost must be an https:// URL (Entra ID clients refuse http)');
  }
  if (config.endpoint !== undefined) problems.push('endpoint is not used by the azure provider (use keyPath.vaultBaseUrl and credentials.authorityHost)');
  return problems;
}

/** Precondition: azureConfigProblems(config) is empty (else throws without echoing values). */
export function readAzureConfig(config: KmsConfig): AzureSettings {
  if (azureConfigProblems(config).length > 0) throw new Error('invalid azure KMS config');
  const s = (v: unknown): string => v as string;
  return {
    vaultBaseUrl: new URL(s(config.keyPath['vaultBaseUrl'])).origin,
    keyName: s(config.keyPath['keyName']),
    tenantGuid: s(config.credentials['tenantGuid']),
    clientId: s(config.credentials['clientId']),
    clientSecret: s(config.credentials['clientSecret']),
    authorityHost: new URL(s(config.credentials['authorityHost'] ?? DEFAULT_AUTHORITY_HOST)).origin,
  };
}

export function isLoopbackUrl(url: string): boolean {
  return isLoopbackHost(new URL(url).hostname);
}
