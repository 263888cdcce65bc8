import type { DeliveryOutcome } from './sink';

/** Longest wait a Retry-After may ask for; more is clamped (a bad header must not park a tenant for days). */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/**
 * Retry-After (RFC 9110): delta-seconds or an HTTP date. Returns ms from `now`, clamped to
 * 0..MAX_RETRY_AFTER_MS, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined | null, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === null || v.trim() === '') return undefined;
  const t = v.trim();
  let ms: number;
  if (/^\d+$/.test(t)) ms = Number(t) * 1000;
  else {
    const at = Date.parse(t);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/**
 * The usual classification of an HTTP answer to a whole batch (sinks with item-level results
 * look at the body first): 2xx delivered; 401/403 retry (auth); 408, 425, 429 and 5xx retry,
 * honouring Retry-After; any other 4xx reject. `reason` is `<service> answered <status>` plus
 * a short, secret-free detail the sink extracted from the body.
 */
export function classifyHttpStatus(
  service: string,
  status: number,
  retryAfter: string | string[] | undefined | null,
  detail?: string,
): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const reason = `${service} answered ${status}${detail !== undefined && detail !== '' ? `: ${detail.slice(0, 200)}` : ''}`;
  if (status === 401 || status === 403) return { kind: 'retry', reason, auth: true };
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const after = parseRetryAfter(retryAfter);
    return after === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs: after };
  }
  return { kind: 'reject', reason };
}

/** A transport failure (connection refused or reset, timeout, abort): always retry. */
export function transportFailure(service: string, err: unknown): DeliveryOutcome {
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  const what = typeof code === 'string' ? code : typeof name === 'string' ? name : 'error';
  return { kind: 'retry', reason: `${service} unreachable (${what})` };
}
