import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { sinkConfigValidator } from '@tsp/sinks-core';

/** `settings` of an elasticsearch sink (non-secret). */
export interface ElasticsearchSettings {
  /** Base URL of the cluster (or of a path prefix in front of it): `<url>/_bulk` is posted to. */
  url: string;
  /** Index, alias or data stream the events are written to (`create`, so data streams work). */
  index: string;
  /** Ingest pipeline to run on every event (`?pipeline=`). */
  pipeline?: string;
  /** PEM CA certificate(s) trusted for an https url in addition to the system roots (private CA). */
  caCertificate?: string;
  /** Per-request timeout, ms (default 30000). */
  timeoutMs?: number;
}

/** `credentials` of an elasticsearch sink: an API key, or a user and password. */
export interface ElasticsearchCredentials {
  /** The encoded API key (base64 of id:api_key, the `encoded` field Elasticsearch returns). */
  apiKey?: string;
  username?: string;
  password?: string;
}

const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'index'],
  properties: {
    url: { type: 'string', pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$' },
    // Elasticsearch index names: lowercase, no \ / * ? " < > | space , # :, not starting with - _ +.
    index: { type: 'string', pattern: '^[^-_+A-Z\\\\/*?"<>| ,#:][^A-Z\\\\/*?"<>| ,#:]{0,254}$' },
    pipeline: { type: 'string', minLength: 1, maxLength: 512 },
    caCertificate: { type: 'string', pattern: '-----BEGIN CERTIFICATE-----' },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 600000 },
  },
};

const CREDENTIALS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    apiKey: { type: 'string', minLength: 1 },
    username: { type: 'string', minLength: 1 },
    password: { type: 'string', minLength: 1 },
  },
};

const schemaCheck = sinkConfigValidator(SETTINGS_SCHEMA, CREDENTIALS_SCHEMA);

/**
 * Problems of an elasticsearch sink config, each naming the field: the schemas above, and
 * exactly one way to authenticate (apiKey, or username with password).
 */
export function validateElasticsearchConfig(config: LoggingSinkConfig): string[] {
  const problems = schemaCheck(config);
  const c = (config.credentials ?? {}) as ElasticsearchCredentials;
  const root = `logging.sinks[${config.id}].credentials`;
  const basic = c.username !== undefined || c.password !== undefined;
  if (c.apiKey !== undefined && basic) problems.push(`${root} must hold either apiKey or username and password, not both`);
  else if (c.apiKey === undefined && !basic) problems.push(`${root} must hold apiKey, or username and password`);
  else if (basic && c.username === undefined) problems.push(`${root}.username is required with password`);
  else if (basic && c.password === undefined) problems.push(`${root}.password is required with username`);
  return problems;
}

/** The Authorization header value of validated credentials. */
export function authorizationHeader(c: ElasticsearchCredentials): string {
  if (c.apiKey !== undefined) return `ApiKey ${c.apiKey}`;
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`, 'utf8').toString('base64')}`;
}
