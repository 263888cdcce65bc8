/**
 * Reading a /api/v2/logs payload as the intake does: a JSON array of log objects (or one
 * object), at most MAX_ENTRIES entries and MAX_PAYLOAD_BYTES uncompressed; a log larger than
 * MAX_LOG_BYTES is accepted and its message truncated (documented intake behaviour).
 */
export const MAX_PAYLOAD_BYTES = 5_000_000;
export const MAX_ENTRIES = 1000;
export const MAX_LOG_BYTES = 1_000_000;

export interface StoredLog {
  ddsource?: string;
  ddtags?: string;
  hostname?: string;
  service?: string;
  message?: string;
  /** Set when the intake truncated the log (over MAX_LOG_BYTES). */
  truncated?: true;
  [attribute: string]: unknown;
}

export type PayloadResult = { ok: true; logs: StoredLog[] } | { ok: false; status: 400 | 413; detail: string };

const QUERY_ATTRIBUTES = ['ddsource', 'ddtags', 'hostname', 'service'] as const;

/** Parses an uncompressed payload; query attributes (ddtags, ...) fill in what a log lacks. */
export function readPayload(text: string, query: URLSearchParams): PayloadResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) return { ok: false, status: 413, detail: 'payload above 5MB uncompressed' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, detail: 'Malformed payload' };
  }
  const entries = Array.isArray(parsed) ? parsed : [parsed];
  if (entries.length > MAX_ENTRIES) return { ok: false, status: 413, detail: 'too many logs in the array (max 1000)' };
  const logs: StoredLog[] = [];
  for (const e of entries) {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return { ok: false, status: 400, detail: 'Malformed payload' };
    const log = { ...(e as StoredLog) };
    for (const q of QUERY_ATTRIBUTES) {
      const v = query.get(q);
      if (v !== null && log[q] === undefined) log[q] = v;
    }
    if (Buffer.byteLength(JSON.stringify(log), 'utf8') > MAX_LOG_BYTES && typeof log.message === 'string') {
      log.message = Buffer.from(log.message, 'utf8').subarray(0, MAX_LOG_BYTES - 1024).toString('utf8');
      log.truncated = true;
    }
    logs.push(log);
  }
  return { ok: true, logs };
}
