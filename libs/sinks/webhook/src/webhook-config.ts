import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { sinkConfigValidator } from '@tsp/sinks-core';

/** Non-secret settings of a `webhook` sink (docs/sinks/webhook.md). */
export interface WebhookSettings {
  /** Where batches are POSTed: https, or http only with allowInsecureHttp. No user:password@. */
  url: string;
  /** Allows an http:// url (a receiver on the same host or a trusted network). Default false. */
  allowInsecureHttp?: boolean;
  /** PEM CA certificate(s) trusted for this url besides the system roots (private CA, tests). */
  caCertificate?: string;
  /** Extra static request headers (non-secret). */
  headers?: Record<string, string>;
  /** Per-request timeout, ms (default 30,000). */
  timeoutMs?: number;
}

/** Secret part of a `webhook` sink's config. */
export interface WebhookCredentials {
  /** HMAC-SHA256 key of X-TSP-Signature (at least 16 characters). */
  secret: string;
  /** Extra secret request headers (e.g. Authorization: Bearer ...). */
  headers?: Record<string, string>;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 30_000;

/** Header names the sink sets itself; configured headers may not replace them. */
export const RESERVED_WEBHOOK_HEADERS: readonly string[] = [
  'content-type',
  'content-length',
  'host',
  'connection',
  'transfer-encoding',
  'x-tsp-delivery-id',
  'x-tsp-signature',
];

const TOKEN = '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$';
const headerMap = {
  type: 'object',
  propertyNames: { pattern: TOKEN, maxLength: 256 },
  additionalProperties: { type: 'string', pattern: '^[\\t\\x20-\\x7e\\x80-\\xff]*$', maxLength: 8192 },
};

const validateSchemas = sinkConfigValidator(
  {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      url: { type: 'string', minLength: 1, maxLength: 2048 },
      allowInsecureHttp: { type: 'boolean' },
      caCertificate: { type: 'string', minLength: 1 },
      headers: headerMap,
      timeoutMs: { type: 'integer', minimum: 100, maximum: 300_000 },
    },
  },
  {
    type: 'object',
    additionalProperties: false,
    required: ['secret'],
    properties: {
      secret: { type: 'string', minLength: 16, maxLength: 1024 },
      headers: headerMap,
    },
  },
);

/**
 * Problems of a `webhook` sink config, each naming the field (never its value): the schemas,
 * then the url (parsable, https unless allowInsecureHttp, no embedded user:password, no
 * fragment), the CA certificate (PEM) and configured headers that would replace the sink's own.
 */
export function webhookConfigProblems(config: LoggingSinkConfig): string[] {
  const problems = validateSchemas(config);
  if (problems.length > 0) return problems;
  const root = `logging.sinks[${config.id}]`;
  const settings = config.settings as unknown as WebhookSettings;
  const credentials = config.credentials as unknown as WebhookCredentials;
  let url: URL | undefined;
  try {
    url = new URL(settings.url);
  } catch {
    problems.push(`${root}.settings.url is not a valid URL`);
  }
  if (url !== undefined) {
    if (url.protocol === 'http:') {
      if (settings.allowInsecureHttp !== true) problems.push(`${root}.settings.url must be https (or set settings.allowInsecureHttp)`);
    } else if (url.protocol !== 'https:') problems.push(`${root}.settings.url must be https`);
    if (url.username !== '' || url.password !== '') problems.push(`${root}.settings.url must not embed credentials (use credentials.headers)`);
    if (url.hash !== '') problems.push(`${root}.settings.url must not have a fragment`);
  }
  if (settings.caCertificate !== undefined && !settings.caCertificate.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push(`${root}.settings.caCertificate must be a PEM certificate`);
  }
  const seen = new Set<string>();
  for (const [where, map] of [['settings', settings.headers], ['credentials', credentials.headers]] as const) {
    for (const name of Object.keys(map ?? {})) {
      const lower = name.toLowerCase();
      if (RESERVED_WEBHOOK_HEADERS.includes(lower)) problems.push(`${root}.${where}.headers.${name} is set by the sink and cannot be configured`);
      else if (seen.has(lower)) problems.push(`${root}.${where}.headers.${name} is configured twice`);
      seen.add(lower);
    }
  }
  return problems;
}
