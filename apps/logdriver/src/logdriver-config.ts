import { assertNoProblems, Setting, settingsReader } from '@tsp/app-support';

/**
 * Every setting of the logdriver, with its default. main.ts is the only place that reads the
 * environment. Unknown TSP_LOGDRIVER_* variables are rejected, so a typo never silently falls
 * back to a default; other TSP_* variables are left alone, because the logdriver is deployed
 * next to the proxy and may see the proxy's settings in a shared environment.
 */
export interface LogdriverConfig {
  host: string;
  port: number;
  spoolDir: string;
  /** '' when not set (then no file sinks). */
  eventsDir: string;
  defaultSink: string;
  batchMaxEvents: number;
  batchMaxBytes: number;
  batchMaxAgeMs: number;
  rateLimit: number;
  rateBurst: number;
  retryBaseMs: number;
  retryMaxMs: number;
  sendTimeoutMs: number;
  tenantQuotaBytes: number;
  retentionSeconds: number;
  maxBodyBytes: number;
  logLevel: string;
  shutdownTimeoutMs: number;
  /** Where tenant logging configs come from; undefined: every tenant uses the default sink. */
  configSource: ConfigSourceSettings | undefined;
}

/** The proxy's config-source variables, shared with the logdriver (same service account). */
export interface ConfigSourceSettings {
  configUrl: string;
  serviceConfigId: string;
  brokerPublicKey: string;
  encryptionKey: string;
  signingKey: string;
  configRefreshSeconds: number;
  configFetchTimeoutSeconds: number;
  configLongPollSeconds: number;
}

export const SETTINGS: readonly Setting<keyof LogdriverConfig>[] = [
  { key: 'host', env: 'TSP_LOGDRIVER_HOST', type: 'string', default: '127.0.0.1', doc: 'Address the intake, health and metrics server binds' },
  { key: 'port', env: 'TSP_LOGDRIVER_PORT', type: 'integer', default: 9001, min: 0, max: 65535, doc: 'Port of the intake (POST /v1/events), /health, /live, /ready and /metrics' },
  { key: 'spoolDir', env: 'TSP_LOGDRIVER_SPOOL_DIR', type: 'string', doc: 'Directory of the disk spool (spool.db, SQLite in WAL mode)' },
  { key: 'eventsDir', env: 'TSP_LOGDRIVER_EVENTS_DIR', type: 'string', default: '', doc: 'Directory of file sinks: one <tenant>.ndjson per tenant (unset: file sinks are refused)' },
  { key: 'defaultSink', env: 'TSP_LOGDRIVER_DEFAULT_SINK', type: 'string', default: 'stdout', enum: ['stdout', 'file'], doc: "Sink of tenants without a logging config: 'stdout' (as the original) or 'file' (needs TSP_LOGDRIVER_EVENTS_DIR)" },
  { key: 'batchMaxEvents', env: 'TSP_LOGDRIVER_BATCH_MAX_EVENTS', type: 'integer', default: 1000, min: 1, max: 100000, doc: 'Most events per delivery to one sink (a tenant config or the sink type may lower it)' },
  { key: 'batchMaxBytes', env: 'TSP_LOGDRIVER_BATCH_MAX_BYTES', type: 'integer', default: 4194304, min: 1024, max: 104857600, doc: 'Most bytes of events per delivery to one sink' },
  { key: 'batchMaxAgeMs', env: 'TSP_LOGDRIVER_BATCH_MAX_AGE_MS', type: 'integer', default: 2000, min: 0, max: 600000, doc: 'A partial batch is sent once its oldest event waited this long, ms' },
  { key: 'rateLimit', env: 'TSP_LOGDRIVER_RATE_LIMIT', type: 'integer', default: 500, min: 1, max: 10000000, doc: 'Events per second delivered to each sink of a tenant, sustained (a tenant config may set its own)' },
  { key: 'rateBurst', env: 'TSP_LOGDRIVER_RATE_BURST', type: 'integer', default: 1000, min: 1, max: 100000000, doc: 'Events a sink of a tenant may receive at once above the sustained rate' },
  { key: 'retryBaseMs', env: 'TSP_LOGDRIVER_RETRY_BASE_MS', type: 'integer', default: 500, min: 1, max: 600000, doc: 'First retry backoff ceiling, ms (doubles per failure, full jitter)' },
  { key: 'retryMaxMs', env: 'TSP_LOGDRIVER_RETRY_MAX_MS', type: 'integer', default: 300000, min: 1, max: 86400000, doc: 'Cap of the retry backoff, ms (a Retry-After may ask for more, up to 10 minutes)' },
  { key: 'sendTimeoutMs', env: 'TSP_LOGDRIVER_SEND_TIMEOUT_MS', type: 'integer', default: 30000, min: 100, max: 600000, doc: 'Deadline of one delivery to a sink, ms (then it is retried)' },
  { key: 'tenantQuotaBytes', env: 'TSP_LOGDRIVER_TENANT_QUOTA_BYTES', type: 'integer', default: 1073741824, min: 1024, max: 1099511627776, doc: 'Most bytes of undelivered events one tenant may hold in the spool; above it new events of that tenant are refused and counted as dropped' },
  { key: 'retentionSeconds', env: 'TSP_LOGDRIVER_RETENTION_SECONDS', type: 'integer', default: 3600, min: 1, max: 31536000, doc: 'Seconds an event is kept in the spool from its commit (and until every sink of its tenant passed it), for duplicate detection' },
  { key: 'maxBodyBytes', env: 'TSP_LOGDRIVER_MAX_BODY_BYTES', type: 'integer', default: 8388608, min: 1024, max: 268435456, doc: 'Largest intake request body (413 above)' },
  { key: 'logLevel', env: 'TSP_LOGDRIVER_LOG_LEVEL', type: 'string', default: 'info', enum: ['error', 'warn', 'info', 'debug'], doc: 'Log level (logs go to stderr)' },
  { key: 'shutdownTimeoutMs', env: 'TSP_LOGDRIVER_SHUTDOWN_TIMEOUT_MS', type: 'integer', default: 15000, min: 100, max: 600000, doc: 'Longest graceful shutdown before the process exits with 1' },
];

/**
 * Read from the shared environment (the proxy's service-account variables): the logdriver opens
 * the same config document to learn the tenants' logging configs. All or none of the first five.
 */
export const CONFIG_SOURCE_SETTINGS: readonly Setting<keyof ConfigSourceSettings>[] = [
  { key: 'configUrl', env: 'TSP_CONFIG_URL', type: 'string', default: '', doc: 'Config document source (file://, http://, https://); unset: every tenant uses the default sink' },
  { key: 'serviceConfigId', env: 'TSP_SERVICE_CONFIG_ID', type: 'string', default: '', doc: 'Service account id (as the proxy)' },
  { key: 'brokerPublicKey', env: 'TSP_BROKER_PUBLIC_KEY', type: 'string', default: '', doc: 'Broker Ed25519 public key (as the proxy)' },
  { key: 'encryptionKey', env: 'TSP_SA_ENCRYPTION_KEY', type: 'string', default: '', secret: true, doc: 'Service account X25519 private key (as the proxy)' },
  { key: 'signingKey', env: 'TSP_SA_SIGNING_KEY', type: 'string', default: '', secret: true, doc: 'Service account Ed25519 private key (as the proxy)' },
  { key: 'configRefreshSeconds', env: 'TSP_CONFIG_REFRESH_INTERVAL', type: 'integer', default: 600, min: 1, max: 86400, doc: 'Seconds between config document fetches' },
  { key: 'configFetchTimeoutSeconds', env: 'TSP_CONFIG_FETCH_TIMEOUT', type: 'integer', default: 10, min: 1, max: 600, doc: 'Deadline of one config fetch, seconds' },
  { key: 'configLongPollSeconds', env: 'TSP_CONFIG_LONG_POLL', type: 'integer', default: 25, min: 0, max: 60, doc: 'With an http(s) source: seconds one long-poll waits for a change (0: periodic refresh only)' },
];

const PREFIX = 'TSP_LOGDRIVER_';

const readSettings = settingsReader(SETTINGS, { requiredNonEmpty: true });
const readSourceSettings = settingsReader(CONFIG_SOURCE_SETTINGS);

/** Validates and freezes the settings; throws one Error naming every bad variable (not its value). */
export function parseLogdriverConfig(vars: Readonly<Record<string, string | undefined>>): LogdriverConfig {
  const relevant: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    if (v !== undefined && k.startsWith(PREFIX)) relevant[k] = v;
  }
  const { values, problems } = readSettings(relevant);
  const shared: Record<string, string> = {};
  for (const s of CONFIG_SOURCE_SETTINGS) {
    const v = vars[s.env];
    if (v !== undefined) shared[s.env] = v;
  }
  const source = readSourceSettings(shared);
  problems.push(...source.problems);
  const src = source.values as unknown as ConfigSourceSettings;
  let configSource: ConfigSourceSettings | undefined;
  if (src.configUrl !== '') {
    const missing = CONFIG_SOURCE_SETTINGS.slice(1, 5).filter((s) => src[s.key] === '').map((s) => s.env);
    if (missing.length > 0) problems.push(`TSP_CONFIG_URL is set, so ${missing.join(', ')} must be set too`);
    configSource = Object.freeze(src);
  }
  if (values['defaultSink'] === 'file' && values['eventsDir'] === '') {
    problems.push("TSP_LOGDRIVER_DEFAULT_SINK is 'file', so TSP_LOGDRIVER_EVENTS_DIR must be set");
  }
  assertNoProblems(problems);
  return Object.freeze({ ...values, configSource }) as unknown as LogdriverConfig;
}
