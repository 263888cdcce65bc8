import { sinkConfigValidator } from '@tsp/sinks-core';

/** settings of a `splunk-hec` sink (non-secret). */
export interface SplunkHecSettings {
  /** Base URL of the HEC endpoint, e.g. https://splunk.example.com:8088 (no credentials in it). */
  url: string;
  /** Index the events go to; the token's default index when omitted. */
  index?: string;
  /** Splunk `source` (default 'tsp-logdriver'). */
  source?: string;
  /** Splunk `sourcetype` (default 'tsp:security-event'). */
  sourcetype?: string;
  /** Splunk `host` (default: this machine's host name). */
  host?: string;
  /** PEM CA certificate to trust for an https url signed by a private CA. */
  caCertificate?: string;
  /** gzip the request body (Content-Encoding: gzip); default false. */
  compress?: boolean;
  /** Per-request timeout in ms (default 30000). */
  timeoutMs?: number;
}

/** credentials of a `splunk-hec` sink. */
export interface SplunkHecCredentials {
  /** The HEC token (sent as `Authorization: Splunk <token>`). */
  token: string;
}

export const SPLUNK_HEC_DEFAULTS = { source: 'tsp-logdriver', sourcetype: 'tsp:security-event', timeoutMs: 30_000 } as const;

const nonEmpty = { type: 'string', minLength: 1, maxLength: 1024 };

export const validateSplunkHecConfig = sinkConfigValidator(
  {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      // http(s), a host, no user-info (a secret must not sit in settings), an optional base path.
      url: { type: 'string', maxLength: 2048, pattern: '^https?://[^/@\\s?#]+(/[^\\s?#]*)?$' },
      index: nonEmpty,
      source: nonEmpty,
      sourcetype: nonEmpty,
      host: nonEmpty,
      caCertificate: { type: 'string', pattern: '-----BEGIN CERTIFICATE-----' },
      compress: { type: 'boolean' },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 300_000 },
    },
  },
  {
    type: 'object',
    additionalProperties: false,
    required: ['token'],
    properties: { token: { type: 'string', minLength: 1, maxLength: 1024 } },
  },
);

/** The event endpoint of a base url (a url that already names it is used as it is). */
export function hecEventEndpoint(url: string): string {
  const base = url.replace(/\/+$/, '');
  if (/\/services\/collector(\/event(\/1\.0)?)?$/.test(base)) return base;
  return `${base}/services/collector/event`;
}
