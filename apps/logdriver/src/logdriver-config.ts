import Ajv from 'ajv';
import { describeAjvError } from '@tsp/tsp-protocol';

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

interface Setting {
  key: keyof LogdriverConfig;
  env: string;
  type: 'string' | 'integer';
  default?: string | number;
  min?: number;
  max?: number;
  enum?: string[];
  doc: string;
}

export const SETTINGS: readonly Setting[] = [
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

function buildSchema(): object {
  const properties: Record<string, object> = {};
  const required: string[] = [];
  for (const s of SETTINGS) {
    properties[s.env] = s.enum !== undefined ? { type: 'string', enum: s.enum } : { type: 'string', minLength: s.default === undefined ? 1 : 0 };
    if (s.default === undefined) required.push(s.env);
  }
  return { type: 'object', required, properties, additionalProperties: false };
}

const validate = new Ajv({ allErrors: true }).compile(buildSchema());

/** Validates and freezes the settings; throws one Error naming every bad variable (not its value). */
export function parseLogdriverConfig(vars: Readonly<Record<string, string | undefined>>): LogdriverConfig {
  const relevant: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    if (v !== undefined && k.startsWith(PREFIX)) relevant[k] = v;
  }
  const problems: string[] = [];
  if (!validate(relevant)) {
    for (const e of validate.errors ?? []) {
      if (e.keyword === 'additionalProperties') problems.push(`${String(e.params.additionalProperty)} is not a known setting`);
      else problems.push(describeAjvError(e, 'environment'));
    }
  }
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const raw = relevant[s.env];
    if (raw === undefined) {
      out[s.key] = s.default;
    } else if (s.type === 'integer') {
      const n = Number(raw.trim());
      if (!/^\d+$/.test(raw.trim()) || n < (s.min ?? 0) || n > (s.max ?? Number.MAX_SAFE_INTEGER)) {
        problems.push(`${s.env} must be an integer from ${s.min ?? 0} to ${s.max ?? Number.MAX_SAFE_INTEGER}`);
      }
      out[s.key] = n;
    } else {
      out[s.key] = raw;
    }
  }
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze(out) as unknown as LogdriverConfig;
}
