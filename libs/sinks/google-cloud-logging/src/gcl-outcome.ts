import { DeliveryOutcome, ItemFailure, MAX_RETRY_AFTER_MS, scrubSecrets, transportFailure } from '@tsp/sinks-core';
import { EntryStatus, LOG_ENTRY_ERRORS } from './gcl-client';

/**
 * How the answer to one entries:write becomes an outcome (docs/sinks/google-cloud-logging.md).
 * Over REST the SDK rejects with a GoogleError whose numeric `code` is the gRPC status of the
 * HTTP answer; a token-endpoint refusal arrives as the auth library's GaxiosError (OAuth body
 * {"error","error_description"}); a network failure carries no answer at all.
 *
 *   per-entry errors (WriteLogEntriesPartialErrors)  partial: UNAVAILABLE, RESOURCE_EXHAUSTED,
 *                                                    INTERNAL, DEADLINE_EXCEEDED, ABORTED, UNKNOWN,
 *                                                    UNAUTHENTICATED, PERMISSION_DENIED retry that
 *                                                    item; any other status rejects it
 *   UNAUTHENTICATED (401), PERMISSION_DENIED (403),
 *     token endpoint refusal (4xx)                   retry, auth
 *   RESOURCE_EXHAUSTED (429)                         retry after google.rpc.RetryInfo.retryDelay
 *   UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN,
 *     ABORTED, CANCELLED, token endpoint 5xx/429,
 *     network failure, unreadable answer             retry
 *   INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION,
 *     OUT_OF_RANGE, UNIMPLEMENTED, ALREADY_EXISTS     reject
 * Reasons are fixed text + the status name + Google's message cut to 200 characters, with every
 * credential string, bearer token, JWT and PEM block removed.
 */
export const SERVICE = 'Cloud Logging';
const STATUS_NAMES: Record<number, string> = {
  0: 'OK', 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED', 11: 'OUT_OF_RANGE', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE',
  15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};
const AUTH_CODES = [7, 16];
const RETRY_CODES = [1, 2, 4, 8, 10, 13, 14, 15];
const ITEM_RETRY_CODES = [2, 4, 7, 8, 10, 13, 14, 16];
const NETWORK_CODES = /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|UND_ERR_)/;

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined => (typeof v === 'object' && v !== null ? (v as Rec) : undefined);

/** Removes credentials, bearer tokens, JWTs and PEM blocks, and cuts the text to 200 characters. */
export function scrubReason(text: string, secrets: readonly string[]): string {
  return scrubSecrets(text, secrets)
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g, '[pem]')
    .replace(/\bey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.?[A-Za-z0-9_-]*/g, '[jwt]')
    .replace(/\bya29\.[A-Za-z0-9._-]+/g, '[token]')
    .replace(/(Bearer\s+)\S+/gi, '$1[token]')
    .slice(0, 200);
}

/** google.rpc.RetryInfo.retryDelay of a decoded error, in ms (clamped), or undefined. */
export function retryDelayMs(err: unknown): number | undefined {
  const details = rec(err)?.['statusDetails'];
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    const delay = rec(rec(d)?.['retryDelay']);
    if (delay === undefined) continue;
    const seconds = Number(String(delay['seconds'] ?? 0));
    const nanos = Number(delay['nanos'] ?? 0);
    if (!Number.isFinite(seconds) || !Number.isFinite(nanos)) continue;
    return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(seconds * 1000 + nanos / 1e6)));
  }
  return undefined;
}

function isNetwork(e: unknown): boolean {
  for (let c = rec(e), depth = 0; c !== undefined && depth < 6; c = rec(c['cause']), depth++) {
    if (c['name'] === 'AbortError' || c['name'] === 'TimeoutError' || c['type'] === 'system' || c['type'] === 'request-timeout') return true;
    if (typeof c['code'] === 'string' && NETWORK_CODES.test(c['code'])) return true;
    if (c['message'] === 'fetch failed' || c['message'] === 'socket hang up') return true;
  }
  return false;
}

/** The network error's code (ECONNREFUSED…) for transportFailure, looking through causes. */
function networkCause(e: unknown): unknown {
  for (let c = rec(e), depth = 0; c !== undefined && depth < 6; c = rec(c['cause']), depth++) {
    if (typeof c['code'] === 'string' && NETWORK_CODES.test(c['code'])) return c;
  }
  return e;
}

/** The outcome of one failed entries:write (whole request or per entry), before index mapping. */
export type WriteFailure =
  | { kind: 'whole'; outcome: DeliveryOutcome }
  | { kind: 'entries'; errors: Record<string, EntryStatus>; status: string };

/** Classifies what the SDK call rejected with. */
export function classifyWriteError(err: unknown, secrets: readonly string[]): WriteFailure {
  const e = rec(err) ?? {};
  const entryErrors = rec(e[LOG_ENTRY_ERRORS]) as Record<string, EntryStatus> | undefined;
  const code = typeof e['code'] === 'number' ? e['code'] : undefined;
  if (entryErrors !== undefined && Object.keys(entryErrors).length > 0) return { kind: 'entries', errors: entryErrors, status: STATUS_NAMES[code ?? 2] ?? 'UNKNOWN' };

  // A token endpoint answer (OAuth error body), as the auth library rejects with it.
  const response = rec(e['response']);
  const data = rec(response?.['data']);
  if (response !== undefined && typeof response['status'] === 'number') {
    const status = response['status'];
    const oauth = typeof data?.['error'] === 'string' ? data['error'] : 'no OAuth error';
    const reason = scrubReason(`${SERVICE} token endpoint answered ${status} (${oauth})`, secrets);
    if (status === 429 || status >= 500) return { kind: 'whole', outcome: { kind: 'retry', reason } };
    return { kind: 'whole', outcome: { kind: 'retry', reason, auth: true } };
  }
  if (isNetwork(err)) return { kind: 'whole', outcome: transportFailure(SERVICE, networkCause(err)) };
  if (code === undefined || STATUS_NAMES[code] === undefined) {
    return { kind: 'whole', outcome: { kind: 'retry', reason: `${SERVICE} gave an unreadable answer` } };
  }
  const name = STATUS_NAMES[code];
  const errorReason = typeof e['reason'] === 'string' ? `/${e['reason']}` : '';
  const message = typeof e['message'] === 'string' ? e['message'] : '';
  const reason = scrubReason(`${SERVICE} answered ${name}${errorReason}: ${message}`, secrets);
  if (AUTH_CODES.includes(code)) return { kind: 'whole', outcome: { kind: 'retry', reason, auth: true } };
  if (RETRY_CODES.includes(code)) {
    const after = code === 8 ? retryDelayMs(err) : undefined;
    return { kind: 'whole', outcome: after === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs: after } };
  }
  return { kind: 'whole', outcome: { kind: 'reject', reason } };
}

/** Per-entry statuses (index into the request) as batch item failures (index into the batch). */
export function entryFailures(errors: Record<string, EntryStatus>, sent: readonly number[], secrets: readonly string[]): ItemFailure[] {
  const out: ItemFailure[] = [];
  for (const [k, st] of Object.entries(errors)) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= sent.length) continue;
    const name = STATUS_NAMES[st.code] ?? 'UNKNOWN';
    out.push({ index: sent[i], retry: ITEM_RETRY_CODES.includes(st.code), reason: scrubReason(`${SERVICE} refused the entry (${name}): ${st.message}`, secrets) });
  }
  return out;
}
