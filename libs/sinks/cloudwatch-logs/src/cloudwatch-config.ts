import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { sinkConfigValidator } from '@tsp/sinks-core';

/** Non-secret settings of a `cloudwatch-logs` sink (docs/sinks/cloudwatch-logs.md). */
export interface CloudWatchLogsSettings {
  /** AWS region of the log group, e.g. eu-west-1. */
  region: string;
  logGroupName: string;
  logStreamName: string;
  /** Create the stream (CreateLogStream) when PutLogEvents says it does not exist. Default false. */
  createLogStream?: boolean;
  /** Endpoint override (VPC endpoint, FIPS, a local fake). Default: the SDK's regional endpoint. */
  endpoint?: string;
  /** Per-request timeout, ms (default 30,000). */
  timeoutMs?: number;
}

/** Secret part: static IAM credentials (a session token with temporary ones). */
export interface CloudWatchLogsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const DEFAULT_CLOUDWATCH_TIMEOUT_MS = 30_000;

const validateSchemas = sinkConfigValidator(
  {
    type: 'object',
    additionalProperties: false,
    required: ['region', 'logGroupName', 'logStreamName'],
    properties: {
      region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$', maxLength: 64 },
      // The service's own patterns and lengths.
      logGroupName: { type: 'string', pattern: '^[.\\-_/#A-Za-z0-9]+$', minLength: 1, maxLength: 512 },
      logStreamName: { type: 'string', pattern: '^[^:*]*$', minLength: 1, maxLength: 512 },
      createLogStream: { type: 'boolean' },
      endpoint: { type: 'string', minLength: 1, maxLength: 2048 },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 300_000 },
    },
  },
  {
    type: 'object',
    additionalProperties: false,
    required: ['accessKeyId', 'secretAccessKey'],
    properties: {
      accessKeyId: { type: 'string', pattern: '^[A-Z0-9]+$', minLength: 16, maxLength: 128 },
      secretAccessKey: { type: 'string', minLength: 1, maxLength: 256 },
      sessionToken: { type: 'string', minLength: 1 },
    },
  },
);

/** Problems of a `cloudwatch-logs` sink config, each naming the field, never its value. */
export function cloudWatchLogsConfigProblems(config: LoggingSinkConfig): string[] {
  const problems = validateSchemas(config);
  if (problems.length > 0) return problems;
  const endpoint = (config.settings as unknown as CloudWatchLogsSettings).endpoint;
  if (endpoint !== undefined) {
    const root = `logging.sinks[${config.id}].settings.endpoint`;
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      problems.push(`${root} is not a valid URL`);
    }
    if (url !== undefined && url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`${root} must be an http(s) URL`);
    if (url !== undefined && (url.username !== '' || url.password !== '')) problems.push(`${root} must not embed credentials`);
  }
  return problems;
}
