import { assertNoProblems, Setting, settingsReader } from '@tsp/app-support';

/**
 * Every setting of the proxy, with its default. Values come from the environment, over the
 * service-account env file; main.ts is the only place that reads either. Unknown TSP_*
 * variables are rejected, so a typo never silently falls back to a default.
 */
export interface ProxyConfig {
  serviceConfigId: string;
  apiKeys: readonly string[];
  encryptionKey: string;
  encryptionPublicKey: string;
  signingKey: string;
  signingPublicKey: string;
  brokerPublicKey: string;
  configUrl: string;
  host: string;
  port: number;
  healthPort: number;
  configRefreshSeconds: number;
  configFetchTimeoutSeconds: number;
  configLongPollSeconds: number;
  kmsTimeoutMs: number;
  batchKmsConcurrency: number;
  leasedKeyCacheSize: number;
  leasedKeyCacheTtlSeconds: number;
  maxBodyBytes: number;
  maxBatchSize: number;
  eventQueueSize: number;
  eventOutput: 'stdout' | 'none';
  logdriverUrl: string;
  logdriverTimeoutMs: number;
  auditMode: 'best-effort' | 'strict';
  auditStrictTimeoutMs: number;
  logLevel: string;
  shutdownTimeoutMs: number;
  /** API worker processes; 0: one per CPU this container may use (main.ts resolves it). */
  workers: number;
}

/** The table the README documents (keep them in step). */
export const SETTINGS: readonly Setting<keyof ProxyConfig>[] = [
  { key: 'serviceConfigId', env: 'TSP_SERVICE_CONFIG_ID', type: 'string', doc: 'Service account id this proxy fetches configs for' },
  { key: 'encryptionKey', env: 'TSP_SA_ENCRYPTION_KEY', type: 'string', secret: true, doc: 'Service account X25519 private key (base64 PKCS#8) that opens sealed tenant configs' },
  { key: 'signingKey', env: 'TSP_SA_SIGNING_KEY', type: 'string', secret: true, doc: 'Service account Ed25519 private key (base64 PKCS#8) that signs requests to the broker' },
  { key: 'encryptionPublicKey', env: 'TSP_SA_ENCRYPTION_PUBLIC_KEY', type: 'string', default: '', doc: 'Public half of TSP_SA_ENCRYPTION_KEY (informational; checked to match when set)' },
  { key: 'signingPublicKey', env: 'TSP_SA_SIGNING_PUBLIC_KEY', type: 'string', default: '', doc: 'Public half of TSP_SA_SIGNING_KEY (informational; checked to match when set)' },
  { key: 'brokerPublicKey', env: 'TSP_BROKER_PUBLIC_KEY', type: 'string', doc: 'Broker Ed25519 public key (base64 SPKI) that config documents must verify with' },
  { key: 'configUrl', env: 'TSP_CONFIG_URL', type: 'string', doc: 'Config document source: file://, http:// or https://' },
  { key: 'host', env: 'TSP_HOST', type: 'string', default: '127.0.0.1', doc: 'Address the API and health servers bind (0.0.0.0 in containers)' },
  { key: 'port', env: 'TSP_PORT', type: 'integer', default: 7777, min: 0, max: 65535, doc: 'API port' },
  { key: 'healthPort', env: 'TSP_HEALTH_PORT', type: 'integer', default: 9000, min: 0, max: 65535, doc: 'Health and metrics port' },
  { key: 'configRefreshSeconds', env: 'TSP_CONFIG_REFRESH_INTERVAL', type: 'integer', default: 600, min: 1, max: 86400, doc: 'Seconds between config document fetches' },
  { key: 'configLongPollSeconds', env: 'TSP_CONFIG_LONG_POLL', type: 'integer', default: 25, min: 0, max: 60, doc: 'With an http(s) config source: seconds one long-poll waits for a change (a change reaches the proxy within about a second; 0: only the periodic refresh)' },
  { key: 'configFetchTimeoutSeconds', env: 'TSP_CONFIG_FETCH_TIMEOUT', type: 'integer', default: 10, min: 1, max: 600, doc: 'Deadline of one config fetch, seconds' },
  { key: 'kmsTimeoutMs', env: 'TSP_KMS_TIMEOUT_MS', type: 'integer', default: 5000, min: 10, max: 120000, doc: 'Deadline of one KMS call, ms' },
  { key: 'batchKmsConcurrency', env: 'TSP_BATCH_KMS_CONCURRENCY', type: 'integer', default: 16, min: 1, max: 1000, doc: 'Most KMS calls one batch request makes at once' },
  { key: 'leasedKeyCacheSize', env: 'TSP_LEASED_KEY_CACHE_SIZE', type: 'integer', default: 10000, min: 1, max: 10000000, doc: 'Most unwrapped leased keys kept in memory' },
  { key: 'leasedKeyCacheTtlSeconds', env: 'TSP_LEASED_KEY_CACHE_TTL', type: 'integer', default: 3600, min: 1, max: 2592000, doc: 'Seconds an unwrapped leased key (or tenant secret) is used before the KMS is asked again' },
  { key: 'maxBodyBytes', env: 'TSP_MAX_BODY_BYTES', type: 'integer', default: 1048576, min: 1024, max: 104857600, doc: 'Largest request body accepted (413 above)' },
  { key: 'maxBatchSize', env: 'TSP_MAX_BATCH_SIZE', type: 'integer', default: 1000, min: 1, max: 100000, doc: 'Most documents in one batch request' },
  { key: 'eventQueueSize', env: 'TSP_EVENT_QUEUE_SIZE', type: 'integer', default: 100000, min: 100, max: 10000000, doc: 'Capacity of the in-process security event queue' },
  { key: 'eventOutput', env: 'TSP_EVENT_OUTPUT', type: 'string', default: 'stdout', enum: ['stdout', 'none'], doc: "Where events go until a logdriver channel exists: 'stdout' (JSON lines) or 'none' (benchmarks only)" },
  { key: 'logdriverUrl', env: 'LOGDRIVER_URL', type: 'string', default: '', doc: 'Logdriver base URL (e.g. http://127.0.0.1:9001); when set, events go there instead of TSP_EVENT_OUTPUT' },
  { key: 'logdriverTimeoutMs', env: 'TSP_EVENT_CHANNEL_TIMEOUT_MS', type: 'integer', default: 5000, min: 100, max: 120000, doc: 'Deadline of one batch sent to the logdriver, ms' },
  { key: 'auditMode', env: 'TSP_AUDIT_MODE', type: 'string', default: 'best-effort', enum: ['best-effort', 'strict'], doc: "'best-effort': the key path never waits on logging; 'strict': a request answers only after the logdriver acknowledged its event (requires LOGDRIVER_URL)" },
  { key: 'auditStrictTimeoutMs', env: 'TSP_AUDIT_STRICT_TIMEOUT_MS', type: 'integer', default: 2000, min: 10, max: 60000, doc: 'Strict audit mode: longest a request waits for its event to be acknowledged, ms (then it fails with 301)' },
  { key: 'logLevel', env: 'TSP_LOG_LEVEL', type: 'string', default: 'info', enum: ['error', 'warn', 'info', 'debug'], doc: 'Log level (logs go to stderr)' },
  { key: 'shutdownTimeoutMs', env: 'TSP_SHUTDOWN_TIMEOUT_MS', type: 'integer', default: 15000, min: 100, max: 600000, doc: 'Longest graceful shutdown before in-flight requests are cut' },
  { key: 'workers', env: 'TSP_WORKERS', type: 'integer', default: 0, min: 0, max: 64, doc: 'API worker processes sharing the API port (0: one per CPU the container may use, from the CPU affinity and the cgroup CPU quota; 1: a single process, no cluster)' },
];

const API_KEY_MIN_BYTES = 12;

const readSettings = settingsReader(SETTINGS, {
  extraProperties: { API_KEY: { type: 'string', minLength: 1 }, API_KEY_2: { type: 'string' } },
  extraRequired: ['API_KEY'],
});

/**
 * Validates and freezes the settings. Throws one Error listing every problem, each naming the
 * variable (never its value).
 */
export function parseProxyConfig(vars: Readonly<Record<string, string | undefined>>): ProxyConfig {
  const relevant: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) continue;
    // TSP_LOGDRIVER_* belong to the logdriver, which may share this environment.
    if (k.startsWith('TSP_') && k !== 'TSP_SERVICE_ACCOUNT_FILE' && !k.startsWith('TSP_LOGDRIVER_')) relevant[k] = v;
    if (k === 'API_KEY' || k === 'API_KEY_2' || k === 'LOGDRIVER_URL') relevant[k] = v;
  }
  const { values: out, problems } = readSettings(relevant);
  const apiKeys: string[] = [];
  for (const name of ['API_KEY', 'API_KEY_2']) {
    const k = relevant[name];
    if (k === undefined || k === '') continue;
    apiKeys.push(k);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(k) || Buffer.from(k, 'base64').length < API_KEY_MIN_BYTES) {
      problems.push(`${name} must be base64 of at least ${API_KEY_MIN_BYTES} bytes (16+ characters), as the Rust client requires`);
    }
  }
  const config: Record<string, unknown> = { ...out, apiKeys: Object.freeze(apiKeys) };
  const logdriver = relevant['LOGDRIVER_URL'];
  if (logdriver !== undefined && logdriver !== '' && !/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(logdriver)) {
    problems.push('LOGDRIVER_URL must be an http:// or https:// URL');
  }
  if (out['auditMode'] === 'strict' && (logdriver === undefined || logdriver === '')) {
    problems.push('TSP_AUDIT_MODE=strict requires LOGDRIVER_URL: only the logdriver acknowledges events durably');
  }
  assertNoProblems(problems);
  return Object.freeze(config) as unknown as ProxyConfig;
}
