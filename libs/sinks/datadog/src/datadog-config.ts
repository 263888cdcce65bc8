import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { sinkConfigValidator } from '@tsp/sinks-core';

/** `settings` of a datadog sink (non-secret). */
export interface DatadogSettings {
  /** Logs intake of the tenant's Datadog site, e.g. https://http-intake.logs.datadoghq.eu; `<url>/api/v2/logs` is posted to. */
  url: string;
  /** `service` of every log (default tenant-security-proxy). */
  service?: string;
  /** `ddsource` of every log (default tenant-security-proxy). */
  source?: string;
  /** `ddtags` of every log, each `key:value` (at most 10 of 50 characters; joined with commas). */
  tags?: string[];
  /** `hostname` of every log (omitted when unset). */
  hostname?: string;
  /** gzip the payload (Content-Encoding: gzip), as Datadog recommends (default true). */
  compress?: boolean;
  /** PEM CA certificate(s) trusted for an https url in addition to the system roots (private CA). */
  caCertificate?: string;
  /** Per-request timeout, ms (default 30000). */
  timeoutMs?: number;
}

/** `credentials` of a datadog sink. */
export interface DatadogCredentials {
  /** Datadog API key, sent as DD-API-KEY. */
  apiKey: string;
}

export const DEFAULT_SERVICE = 'tenant-security-proxy';
export const DEFAULT_SOURCE = 'tenant-security-proxy';

// ASCII and bounded, so a log entry's own attributes stay under 900 bytes (see the sink's limits).
const SHORT = { type: 'string', pattern: '^[A-Za-z0-9_.:/@+-]{1,100}$' };

const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$' },
    service: SHORT,
    source: SHORT,
    hostname: SHORT,
    // Datadog tags: letters, digits, _ - : . / (key:value).
    tags: { type: 'array', maxItems: 10, items: { type: 'string', pattern: '^[A-Za-z0-9_./:+-]{1,50}$' } },
    compress: { type: 'boolean' },
    caCertificate: { type: 'string', pattern: '-----BEGIN CERTIFICATE-----' },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600000 },
  },
};

const CREDENTIALS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['apiKey'],
  properties: { apiKey: { type: 'string', minLength: 1, pattern: '^[\\x21-\\x7e]+$' } },
};

const schemaCheck = sinkConfigValidator(SETTINGS_SCHEMA, CREDENTIALS_SCHEMA);

/** Problems of a datadog sink config, each naming the field, never a value. */
export function validateDatadogConfig(config: LoggingSinkConfig): string[] {
  return schemaCheck(config);
}
