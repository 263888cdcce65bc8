import { createPrivateKey } from 'node:crypto';
import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { endpointProblems } from '@tsp/kms-core';
import { credentialsOf, settingsOf, sinkConfigValidator } from '@tsp/sinks-core';

/**
 * The `google-cloud-logging` sink config (docs/sinks/google-cloud-logging.md).
 *
 * settings:
 *   projectId  (required) the project whose log receives the entries
 *   logId      log id, default `tenant-security-events` (logName = projects/P/logs/<url-encoded logId>)
 *   resource   monitored resource {type, labels?}, default {type: 'global'}
 *   severity   severity of every entry, default NOTICE
 *   endpoint   the Cloud Logging API origin, default https://logging.googleapis.com (a Private
 *              Service Connect origin, or http://127.0.0.1:PORT for the loopback fake)
 *   timeoutMs  per-request timeout (token and write), default 30000
 * credentials: the service account's JSON key file as Google issues it: client_email and
 *   private_key (PEM RSA) required; token_uri optional (default Google's); the informational
 *   fields of the key file are accepted and not used.
 */
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
export const DEFAULT_LOG_ID = 'tenant-security-events';
export const DEFAULT_TIMEOUT_MS = 30_000;
export const SEVERITIES = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface GclSettingsInput {
  projectId: string;
  logId?: string;
  resource?: { type: string; labels?: Record<string, string> };
  severity?: Severity;
  endpoint?: string;
  timeoutMs?: number;
}

export interface GclCredentialsInput {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

const INFORMATIONAL = ['type', 'project_id', 'client_id', 'auth_uri', 'auth_provider_x509_cert_url', 'client_x509_cert_url', 'universe_domain'];

const schemaCheck = sinkConfigValidator(
  {
    type: 'object',
    additionalProperties: false,
    required: ['projectId'],
    properties: {
      // Project ids (6–30 chars, optionally domain-scoped) or project numbers.
      projectId: { type: 'string', pattern: '^(?:(?:[a-z0-9-]+\\.)+[a-z]{2,}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[0-9]{1,20}$' },
      // Cloud Logging: letters, digits, _ - . / only, under 512 characters.
      logId: { type: 'string', pattern: '^[A-Za-z0-9_./-]{1,511}$' },
      resource: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: { type: 'string', pattern: '^[a-z][a-z0-9_.]{0,127}$' },
          labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 1024 } },
        },
      },
      severity: { enum: [...SEVERITIES] },
      endpoint: { type: 'string' },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 300_000 },
    },
  },
  {
    type: 'object',
    additionalProperties: false,
    required: ['client_email', 'private_key'],
    properties: {
      client_email: { type: 'string', pattern: '^[^\\s@]{1,128}@[A-Za-z0-9.-]{1,253}$' },
      private_key: { type: 'string', minLength: 1 },
      private_key_id: { type: 'string' },
      token_uri: { type: 'string' },
      ...Object.fromEntries(INFORMATIONAL.map((k) => [k, { type: 'string' }])),
    },
  },
);

function isRsaPrivateKey(v: unknown): boolean {
  if (typeof v !== 'string' || !/^-----BEGIN (RSA )?PRIVATE KEY-----/.test(v.trim())) return false;
  try {
    return createPrivateKey(v).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}

/** Problems of a tenant's config, each naming the field (never a value); [] when valid. */
export function gclConfigProblems(config: LoggingSinkConfig): string[] {
  const problems = schemaCheck(config);
  const root = `logging.sinks[${config.id}]`;
  const s = (config.settings ?? {}) as Record<string, unknown>;
  const c = (config.credentials ?? {}) as Record<string, unknown>;
  if (typeof s['endpoint'] === 'string') {
    problems.push(...endpointProblems(s['endpoint'], `${root}.settings.endpoint`));
    try {
      const p = new URL(s['endpoint']).pathname;
      if (p !== '/' && p !== '') problems.push(`${root}.settings.endpoint must be an origin (scheme, host and port) without a path`);
    } catch {
      // already reported by endpointProblems
    }
  }
  if (typeof c['token_uri'] === 'string') problems.push(...endpointProblems(c['token_uri'], `${root}.credentials.token_uri`));
  if (typeof c['private_key'] === 'string' && c['private_key'] !== '' && !isRsaPrivateKey(c['private_key'])) {
    problems.push(`${root}.credentials.private_key must be a PEM RSA private key`);
  }
  if (c['type'] !== undefined && c['type'] !== 'service_account') problems.push(`${root}.credentials.type must be 'service_account'`);
  if (c['universe_domain'] !== undefined && c['universe_domain'] !== 'googleapis.com') problems.push(`${root}.credentials.universe_domain must be 'googleapis.com'`);
  return problems;
}

export interface GclEndpoint {
  protocol: 'http' | 'https';
  host: string;
  port: number;
}

/** A validated config, ready for the SDK. */
export interface GclSettings {
  projectId: string;
  /** projects/P/logs/<url-encoded logId> */
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  severity: Severity;
  /** undefined: the SDK's built-in endpoint (logging.googleapis.com:443). */
  endpoint: GclEndpoint | undefined;
  timeoutMs: number;
  clientEmail: string;
  privateKey: string;
  privateKeyId: string | undefined;
  tokenUri: string;
}

/** Precondition: gclConfigProblems(config) is empty. */
export function gclSettings(config: LoggingSinkConfig): GclSettings {
  const s = settingsOf<GclSettingsInput>(config);
  const c = credentialsOf<GclCredentialsInput>(config);
  let endpoint: GclEndpoint | undefined;
  if (s.endpoint !== undefined) {
    const u = new URL(s.endpoint);
    const protocol = u.protocol === 'http:' ? 'http' : 'https';
    endpoint = { protocol, host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? (protocol === 'http' ? 80 : 443) : Number(u.port) };
  }
  return {
    projectId: s.projectId,
    logName: `projects/${s.projectId}/logs/${encodeURIComponent(s.logId ?? DEFAULT_LOG_ID)}`,
    resource: { type: s.resource?.type ?? 'global', labels: { ...(s.resource?.labels ?? {}) } },
    severity: s.severity ?? 'NOTICE',
    endpoint,
    timeoutMs: s.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    clientEmail: c.client_email,
    privateKey: c.private_key,
    privateKeyId: c.private_key_id,
    tokenUri: c.token_uri ?? GOOGLE_TOKEN_URI,
  };
}
