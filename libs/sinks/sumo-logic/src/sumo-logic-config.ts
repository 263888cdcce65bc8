import { sinkConfigValidator } from '@tsp/sinks-core';

/** settings of a `sumo-logic` sink (non-secret). */
export interface SumoLogicSettings {
  /** X-Sumo-Category: overrides the source category. */
  category?: string;
  /** X-Sumo-Name: overrides the source name. */
  name?: string;
  /** X-Sumo-Host: overrides the source host. */
  host?: string;
  /** gzip the body (Content-Encoding: gzip); default true, as Sumo recommends. */
  compress?: boolean;
  /** PEM CA certificate to trust for an https URL signed by a private CA. */
  caCertificate?: string;
  /** Per-request timeout in ms (default 30000). */
  timeoutMs?: number;
}

/** credentials of a `sumo-logic` sink: the HTTP source URL is itself the secret. */
export interface SumoLogicCredentials {
  /** https://endpoint…sumologic.com/receiver/v1/http/<token> */
  url: string;
}

export const SUMO_LOGIC_DEFAULTS = { compress: true, timeoutMs: 30_000 } as const;

// A metadata header value: printable, no CR/LF (header injection), bounded.
const headerValue = { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[^\\r\\n\\x00]+$' };

export const validateSumoLogicConfig = sinkConfigValidator(
  {
    type: 'object',
    additionalProperties: false,
    properties: {
      category: headerValue,
      name: headerValue,
      host: headerValue,
      compress: { type: 'boolean' },
      caCertificate: { type: 'string', pattern: '-----BEGIN CERTIFICATE-----' },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 300_000 },
    },
  },
  {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: { url: { type: 'string', maxLength: 4096, pattern: '^https?://[^/\\s?#]+/[^\\s]+$' } },
  },
);

/**
 * Every form of the secret held in a source URL: the URL, its path and its last path segment
 * (the token), so none of them can slip into an outcome.
 */
export function sumoUrlSecrets(url: string): string[] {
  const out = [url];
  try {
    const u = new URL(url);
    out.push(u.pathname);
    const last = u.pathname.split('/').filter((s) => s !== '').pop();
    if (last !== undefined) out.push(last, decodeURIComponent(last));
  } catch {
    // validated configs always parse; nothing more to add
  }
  return out;
}
