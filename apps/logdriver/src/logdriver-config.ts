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
  eventsDir: string;
  retentionSeconds: number;
  maxBodyBytes: number;
  logLevel: string;
  shutdownTimeoutMs: number;
}

export const SETTINGS: readonly Setting<keyof LogdriverConfig>[] = [
  { key: 'host', env: 'TSP_LOGDRIVER_HOST', type: 'string', default: '127.0.0.1', doc: 'Address the intake, health and metrics server binds' },
  { key: 'port', env: 'TSP_LOGDRIVER_PORT', type: 'integer', default: 9001, min: 0, max: 65535, doc: 'Port of the intake (POST /v1/events), /health, /live, /ready and /metrics' },
  { key: 'spoolDir', env: 'TSP_LOGDRIVER_SPOOL_DIR', type: 'string', doc: 'Directory of the disk spool (spool.db, SQLite in WAL mode)' },
  { key: 'eventsDir', env: 'TSP_LOGDRIVER_EVENTS_DIR', type: 'string', doc: 'Directory of the file sink: one <tenant>.ndjson per tenant' },
  { key: 'retentionSeconds', env: 'TSP_LOGDRIVER_RETENTION_SECONDS', type: 'integer', default: 3600, min: 1, max: 31536000, doc: 'Seconds a delivered event stays in the spool (duplicate detection) before deletion' },
  { key: 'maxBodyBytes', env: 'TSP_LOGDRIVER_MAX_BODY_BYTES', type: 'integer', default: 8388608, min: 1024, max: 268435456, doc: 'Largest intake request body (413 above)' },
  { key: 'logLevel', env: 'TSP_LOGDRIVER_LOG_LEVEL', type: 'string', default: 'info', enum: ['error', 'warn', 'info', 'debug'], doc: 'Log level (logs go to stderr)' },
  { key: 'shutdownTimeoutMs', env: 'TSP_LOGDRIVER_SHUTDOWN_TIMEOUT_MS', type: 'integer', default: 15000, min: 100, max: 600000, doc: 'Longest graceful shutdown before the process exits with 1' },
];

const PREFIX = 'TSP_LOGDRIVER_';

const readSettings = settingsReader(SETTINGS, { requiredNonEmpty: true });

/** Validates and freezes the settings; throws one Error naming every bad variable (not its value). */
export function parseLogdriverConfig(vars: Readonly<Record<string, string | undefined>>): LogdriverConfig {
  const relevant: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    if (v !== undefined && k.startsWith(PREFIX)) relevant[k] = v;
  }
  const { values, problems } = readSettings(relevant);
  assertNoProblems(problems);
  return Object.freeze(values) as unknown as LogdriverConfig;
}
