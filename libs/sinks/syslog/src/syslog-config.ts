import type { LoggingSinkConfig } from '@tsp/config-crypto';
import { sinkConfigValidator } from '@tsp/sinks-core';

/** RFC 5424 section 6.2.1 facility names, by code. */
export const SYSLOG_FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
] as const;
export type SyslogFacility = (typeof SYSLOG_FACILITIES)[number];

/** Security/authorization messages, kept private on most hosts (RFC 5424 facility 10). */
export const DEFAULT_FACILITY: SyslogFacility = 'authpriv';
export const DEFAULT_APP_NAME = 'tenant-security';
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
export const DEFAULT_HANDSHAKE_SETTLE_MS = 250;
/**
 * SD-ID of our structured data element. 32473 is the private enterprise number IANA reserves
 * for documentation (RFC 5612); a deployment with its own number sets `settings.sdId`.
 */
export const DEFAULT_SD_ID = 'tsp@32473';

/** Non-secret settings of a `syslog` sink. */
export interface SyslogSettings {
  /** 'tls' (default, RFC 5425) or 'tcp' (RFC 6587), both with octet-counting framing. */
  transport?: 'tcp' | 'tls';
  host: string;
  port: number;
  facility?: SyslogFacility;
  appName?: string;
  /** HOSTNAME of the header; default os.hostname() (sanitised to printable ASCII). */
  hostname?: string;
  sdId?: string;
  /** Largest RFC 5424 message (header + MSG, without the framing) sent; larger events are rejected. */
  maxMessageBytes?: number;
  /** PEM CA certificate(s) to trust instead of the system CAs (tls). */
  caCertificate?: string;
  /** Name the server certificate must match and SNI (tls); default `host`. */
  serverName?: string;
  /** How long a new TLS connection is watched for a refusal after the handshake (tls). */
  handshakeSettleMs?: number;
  /** Start MSG with a UTF-8 BOM (RFC 5424 MSG-UTF8); default false, see docs/sinks/syslog.md. */
  utf8Bom?: boolean;
}

/** Secrets of a `syslog` sink: an optional TLS client certificate (both or neither). */
export interface SyslogCredentials {
  clientCertificate?: string;
  clientKey?: string;
}

const PEM_CERT = '-----BEGIN CERTIFICATE-----';

const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'port'],
  properties: {
    transport: { enum: ['tcp', 'tls'] },
    host: { type: 'string', minLength: 1, maxLength: 253, pattern: '^[^\\s/]+$' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    facility: { enum: SYSLOG_FACILITIES },
    appName: { type: 'string', pattern: '^[!-~]{1,48}$' },
    hostname: { type: 'string', pattern: '^[!-~]{1,255}$' },
    sdId: { type: 'string', pattern: '^[!#-<>-\\\\^-~]{1,32}$' },
    maxMessageBytes: { type: 'integer', minimum: 480, maximum: 1024 * 1024 },
    caCertificate: { type: 'string', pattern: PEM_CERT },
    serverName: { type: 'string', minLength: 1, maxLength: 253 },
    handshakeSettleMs: { type: 'integer', minimum: 0, maximum: 5000 },
    utf8Bom: { type: 'boolean' },
  },
};

const credentialsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    clientCertificate: { type: 'string', pattern: PEM_CERT },
    clientKey: { type: 'string', pattern: '-----BEGIN [A-Z ]*PRIVATE KEY-----' },
  },
};

const schemaCheck = sinkConfigValidator(settingsSchema, credentialsSchema);

const TLS_ONLY_SETTINGS = ['caCertificate', 'serverName', 'handshakeSettleMs'] as const;

/**
 * Problems of a `syslog` sink config, each naming the field (never a value): the schemas above,
 * then the rules across fields (a client certificate needs its key and vice versa; TLS settings
 * and credentials only with transport 'tls').
 */
export function validateSyslogConfig(config: LoggingSinkConfig): string[] {
  const problems = schemaCheck(config);
  if (problems.length > 0) return problems;
  const root = `logging.sinks[${config.id}]`;
  const settings = (config.settings ?? {}) as unknown as SyslogSettings;
  const credentials = (config.credentials ?? {}) as SyslogCredentials;
  if ((credentials.clientCertificate === undefined) !== (credentials.clientKey === undefined)) {
    const absent = credentials.clientCertificate === undefined ? 'clientCertificate' : 'clientKey';
    problems.push(`${root}.credentials.${absent} is required with ${absent === 'clientKey' ? 'clientCertificate' : 'clientKey'}`);
  }
  if ((settings.transport ?? 'tls') === 'tcp') {
    for (const f of TLS_ONLY_SETTINGS) if (settings[f] !== undefined) problems.push(`${root}.settings.${f} is only valid with transport 'tls'`);
    if (credentials.clientCertificate !== undefined) problems.push(`${root}.credentials.clientCertificate is only valid with transport 'tls'`);
  }
  return problems;
}
