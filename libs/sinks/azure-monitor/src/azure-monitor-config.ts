import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { sinkConfigValidator } from '@tsp/sinks-core';

/** Audiences of the Logs Ingestion API per cloud (the token scope is `<audience>/.default`). */
export const MONITOR_AUDIENCES = ['https://monitor.azure.com', 'https://monitor.azure.us', 'https://monitor.azure.cn'] as const;
export type MonitorAudience = (typeof MONITOR_AUDIENCES)[number];

/** Non-secret settings of an `azure-monitor` sink. */
export interface AzureMonitorSettings {
  /** Data collection endpoint (or the DCR's own logs ingestion endpoint), https. */
  endpoint: string;
  /** The data collection rule's immutable id (dcr-<32 hex>). */
  ruleId: string;
  /** The stream declared in the DCR, e.g. Custom-TspEvents_CL. */
  streamName: string;
  /** Entra ID authority host (default https://login.microsoftonline.com, the SDK's). */
  authorityHost?: string;
  /** Token audience for sovereign clouds (default https://monitor.azure.com). */
  audience?: MonitorAudience;
  /** PEM CA certificate(s) trusted instead of the default list, for the endpoint and the authority. */
  caCertificate?: string;
}

/** Secrets of an `azure-monitor` sink: an app registration with a client secret. */
export interface AzureMonitorCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

const HTTPS_URL = '^https://[^\\s/?#@]+(/[^\\s?#]*)?$';

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['endpoint', 'ruleId', 'streamName'],
  properties: {
    endpoint: { type: 'string', pattern: HTTPS_URL, maxLength: 2048 },
    ruleId: { type: 'string', pattern: '^dcr-[0-9a-fA-F]{32}$' },
    streamName: { type: 'string', pattern: '^(Custom|Microsoft)-[A-Za-z0-9_]+$', maxLength: 256 },
    authorityHost: { type: 'string', pattern: '^https://[^\\s/?#@]+/?$', maxLength: 512 },
    audience: { type: 'string', enum: [...MONITOR_AUDIENCES] },
    caCertificate: { type: 'string', pattern: '-----BEGIN CERTIFICATE-----', maxLength: 65536 },
  },
};

const credentialsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tenantId', 'clientId', 'clientSecret'],
  properties: {
    tenantId: { type: 'string', pattern: '^[A-Za-z0-9.-]{1,256}$' },
    clientId: { type: 'string', pattern: '^[A-Za-z0-9-]{1,128}$' },
    clientSecret: { type: 'string', minLength: 1, maxLength: 1024 },
  },
};

const schemaCheck = sinkConfigValidator(settingsSchema, credentialsSchema);

/**
 * Problems with an `azure-monitor` sink config; each names the field, never its value.
 * Beyond the schema: the endpoint must parse as a URL.
 */
export function azureMonitorConfigProblems(config: LoggingSinkConfig): string[] {
  const problems = schemaCheck(config);
  const endpoint = config.settings?.['endpoint'];
  if (problems.length === 0 && typeof endpoint === 'string' && !URL.canParse(endpoint)) {
    problems.push(`logging.sinks[${config.id}].settings.endpoint must be an https URL`);
  }
  return problems;
}
