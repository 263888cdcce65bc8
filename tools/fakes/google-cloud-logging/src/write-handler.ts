import { EntryError, GoogleErrorReply, invalidArgument, partialErrors } from './logging-errors';

/**
 * entries:write as Cloud Logging applies it (https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/write):
 * the request's logName, resource and labels apply to every entry that has none of its own;
 * each entry needs a log name `projects/P/logs/<url-encoded LOG_ID>`, a resource with a type and
 * one payload, and may be at most 256 KB; its severity is a LogSeverity name or number
 * (`$alt=json;enum-encoding=int`). Failed entries are answered with WriteLogEntriesPartialErrors;
 * with partialSuccess the valid entries are written anyway, without it none is. An entry with
 * the insertId and timestamp of one already in the log is accepted and not stored again.
 */
export const MAX_ENTRY_BYTES = 256 * 1024;
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
export const SEVERITY: Record<string, number> = { DEFAULT: 0, DEBUG: 100, INFO: 200, NOTICE: 300, WARNING: 400, ERROR: 500, CRITICAL: 600, ALERT: 700, EMERGENCY: 800 };
const REQUEST_FIELDS = ['logName', 'resource', 'labels', 'entries', 'partialSuccess', 'dryRun'];
const ENTRY_FIELDS = [
  'logName', 'resource', 'timestamp', 'receiveTimestamp', 'severity', 'insertId', 'httpRequest', 'labels', 'operation', 'trace', 'spanId',
  'traceSampled', 'sourceLocation', 'split', 'protoPayload', 'textPayload', 'jsonPayload',
];
const LOG_NAME = /^(projects|organizations|folders|billingAccounts)\/([^/]+)\/logs\/([^/]+)$/;
const LOG_ID = /^[A-Za-z0-9_./-]{1,511}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An entry as the fake stored it. */
export interface StoredEntry {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  labels: Record<string, string>;
  severity: string;
  timestamp: string;
  receiveTimestamp: string;
  insertId: string;
  jsonPayload?: Record<string, unknown>;
  textPayload?: string;
}

export interface LogStore {
  entries: StoredEntry[];
  /** logName \0 insertId \0 timestamp of every stored entry (Cloud Logging's de-duplication key). */
  keys: Set<string>;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return {};
  if (!isRec(v) || !Object.values(v).every((x) => typeof x === 'string')) return undefined;
  return v as Record<string, string>;
}

function unknownField(name: string, at?: string): GoogleErrorReply {
  return invalidArgument(`Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`);
}

function severityName(v: unknown): string | undefined {
  if (v === undefined) return 'DEFAULT';
  if (typeof v === 'string' && v in SEVERITY) return v;
  if (typeof v === 'number') return Object.entries(SEVERITY).find(([, n]) => n === v)?.[0];
  return undefined;
}

/** The entry as it would be stored, or why it fails. */
function checkEntry(req: Rec, e: Rec, now: string): StoredEntry | EntryError {
  const logName = e['logName'] ?? req['logName'];
  if (typeof logName !== 'string') return { status: 'INVALID_ARGUMENT', message: 'Log entry is missing a log name.' };
  const m = LOG_NAME.exec(logName);
  let logId = '';
  try {
    logId = m ? decodeURIComponent(m[3]) : '';
  } catch {
    logId = '';
  }
  if (!m || !LOG_ID.test(logId)) return { status: 'INVALID_ARGUMENT', message: `Received invalid log name: the LOG_ID must be URL-encoded and use only [A-Za-z0-9_./-].` };
  const resource = e['resource'] ?? req['resource'];
  if (!isRec(resource) || typeof resource['type'] !== 'string' || resource['type'] === '') return { status: 'INVALID_ARGUMENT', message: 'Log entry is missing a monitored resource type.' };
  const resourceLabels = stringMap(resource['labels']);
  const labels = stringMap(e['labels']);
  const reqLabels = stringMap(req['labels']) ?? {};
  if (resourceLabels === undefined || labels === undefined) return { status: 'INVALID_ARGUMENT', message: 'Labels must map strings to strings.' };
  const payloads = ['jsonPayload', 'textPayload', 'protoPayload'].filter((p) => e[p] !== undefined);
  if (payloads.length > 1) return { status: 'INVALID_ARGUMENT', message: 'A log entry has at most one payload.' };
  if (e['jsonPayload'] !== undefined && !isRec(e['jsonPayload'])) return { status: 'INVALID_ARGUMENT', message: 'jsonPayload must be a JSON object.' };
  const timestamp = e['timestamp'] ?? now;
  if (typeof timestamp !== 'string' || !RFC3339.test(timestamp) || Number.isNaN(Date.parse(timestamp))) return { status: 'INVALID_ARGUMENT', message: 'Invalid timestamp: not an RFC 3339 time.' };
  const severity = severityName(e['severity']);
  if (severity === undefined) return { status: 'INVALID_ARGUMENT', message: 'Invalid value for enum type google.logging.type.LogSeverity.' };
  const size = Buffer.byteLength(JSON.stringify(e));
  if (size > MAX_ENTRY_BYTES) return { status: 'INVALID_ARGUMENT', message: `Log entry with size ${(size / 1024).toFixed(1)}K exceeds maximum size of 256.0K` };
  const insertId = typeof e['insertId'] === 'string' && e['insertId'] !== '' ? e['insertId'] : `fake-${Math.random().toString(36).slice(2)}`;
  return {
    logName,
    resource: { type: resource['type'], labels: resourceLabels },
    labels: { ...reqLabels, ...labels },
    severity,
    timestamp,
    receiveTimestamp: now,
    insertId,
    ...(isRec(e['jsonPayload']) ? { jsonPayload: e['jsonPayload'] } : {}),
    ...(typeof e['textPayload'] === 'string' ? { textPayload: e['textPayload'] } : {}),
  };
}

/** Entry-level failures the fault plan adds (by index in the request). */
export interface InjectedEntryFailures {
  rejectIndices: readonly number[];
  retryIndices: readonly number[];
}

/** Applies one entries:write to the store: null when every entry was written, else the error reply. */
export function handleWrite(body: unknown, store: LogStore, injected?: InjectedEntryFailures): GoogleErrorReply | null {
  if (!isRec(body)) return invalidArgument('Invalid JSON payload received. Expected an object.');
  for (const k of Object.keys(body)) if (!REQUEST_FIELDS.includes(k)) return unknownField(k);
  const entries = body['entries'];
  if (!Array.isArray(entries) || entries.length === 0) return invalidArgument('At least one log entry is required.');
  for (let i = 0; i < entries.length; i++) {
    if (!isRec(entries[i])) return invalidArgument(`Invalid JSON payload received. Expected an object at 'entries[${i}]'.`);
    for (const k of Object.keys(entries[i] as Rec)) if (!ENTRY_FIELDS.includes(k)) return unknownField(k, `entries[${i}]`);
  }
  if (body['labels'] !== undefined && stringMap(body['labels']) === undefined) return invalidArgument('Labels must map strings to strings.');
  const now = new Date().toISOString();
  const errors = new Map<number, EntryError>();
  const valid: Array<[number, StoredEntry]> = [];
  entries.forEach((e, i) => {
    const r = checkEntry(body, e as Rec, now);
    if ('status' in r) errors.set(i, r);
    else valid.push([i, r]);
  });
  for (const i of injected?.rejectIndices ?? []) if (i < entries.length) errors.set(i, { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' });
  for (const i of injected?.retryIndices ?? []) if (i < entries.length) errors.set(i, { status: 'UNAVAILABLE', message: 'The service is currently unavailable.' });
  const write = errors.size === 0 || body['partialSuccess'] === true;
  if (write && body['dryRun'] !== true) {
    for (const [i, entry] of valid) {
      if (errors.has(i)) continue;
      const key = `${entry.logName}\0${entry.insertId}\0${new Date(entry.timestamp).toISOString()}`;
      if (store.keys.has(key)) continue;
      store.keys.add(key);
      store.entries.push(entry);
    }
  }
  return errors.size === 0 ? null : partialErrors(errors);
}
