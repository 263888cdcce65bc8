import winston from 'winston';

/**
 * The one logger: JSON lines, fixed messages with data in fields, and one redaction list applied
 * to every field at any depth. Nothing on the request hot path logs at info.
 */
/** Field names (compared lower-case, without '-' and '_') whose values are never written. */
export const REDACTED_KEYS: readonly string[] = Object.freeze([
  'apikey', 'apikey2', 'authorization', 'password', 'secret', 'clientsecret', 'secretaccesskey',
  'privatekey', 'kek', 'dek', 'edek', 'key', 'leasedkey', 'token', 'accesstoken', 'credentials',
  'encryptedsecret', 'signingkey', 'encryptionkey',
]);
const REDACTED = new Set(REDACTED_KEYS);
const MAX_DEPTH = 6;

export function isRedactedKey(name: string): boolean {
  return REDACTED.has(name.toLowerCase().replace(/[-_]/g, ''));
}

export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[depth]';
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isRedactedKey(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  for (const k of Object.keys(info)) {
    if (k === 'level' || k === 'message' || k === 'timestamp') continue;
    (info as Record<string, unknown>)[k] = isRedactedKey(k) ? '[redacted]' : redact(info[k]);
  }
  return info;
});

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: string;
  service: string;
  /** Where lines go; stderr by default so stdout stays free for the event stream. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return winston.createLogger({
    level: opts.level,
    defaultMeta: { service: opts.service },
    format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream: opts.stream ?? process.stderr })],
  });
}
