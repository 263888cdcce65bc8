import { classifyHttpStatus, DeliveryOutcome, ItemFailure } from '@tsp/sinks-core';

const SERVICE = 'splunk-hec';

/** The fields of a HEC JSON answer the sink reads. */
export interface HecReply {
  text: string | undefined;
  code: number | undefined;
  invalidEventNumber: number | undefined;
}

export function parseHecReply(body: string): HecReply {
  try {
    const v = JSON.parse(body) as Record<string, unknown>;
    if (typeof v !== 'object' || v === null) throw new Error('not an object');
    const n = v['invalid-event-number'];
    return {
      text: typeof v['text'] === 'string' ? v['text'].slice(0, 120) : undefined,
      code: typeof v['code'] === 'number' ? v['code'] : undefined,
      invalidEventNumber: typeof n === 'number' && Number.isInteger(n) ? n : undefined,
    };
  } catch {
    return { text: undefined, code: undefined, invalidEventNumber: undefined };
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

/**
 * Classifies HEC's answer to a batch of `size` events.
 * HEC processes a batch in order and stops at the first event it cannot take; the answer names
 * it (invalid-event-number N): events 0..N-1 were indexed, N and the ones after were not. So:
 * - 2xx: delivered (received by HEC; see the doc on what 200 means without indexer ack);
 * - 400 with N: partial: N rejected (bad for good), N+1.. retry; a batch of one is a reject;
 *   code 7 (Incorrect index: the token may not write to the configured index) concerns every
 *   event alike and is fixable by an admin: N.. retry, and N = 0 is a retry marked auth;
 * - 5xx with N > 0: partial, N.. retry (HEC stopped part way, e.g. busy);
 * - otherwise the usual status classification (401/403 retry auth, 429/5xx retry honouring
 *   Retry-After, 413 and other 4xx reject).
 */
export function classifyHecAnswer(status: number, retryAfter: string | undefined, body: string, size: number): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const r = parseHecReply(body);
  const detail = r.text !== undefined ? `${r.text}${r.code !== undefined ? ` (code ${r.code})` : ''}` : undefined;
  const reason = `${SERVICE} answered ${status}${detail !== undefined ? `: ${detail}` : ''}`;
  const n = r.invalidEventNumber;
  const named = n !== undefined && n >= 0 && n < size;
  if (status === 400 && named) {
    if (r.code === 7) {
      if (n === 0) return { kind: 'retry', reason, auth: true };
      return { kind: 'partial', failed: range(n, size).map((index) => ({ index, retry: true, reason })) };
    }
    if (size === 1) return { kind: 'reject', reason };
    const stopped = `${SERVICE} stopped at event ${n} (not processed)`;
    const failed: ItemFailure[] = [{ index: n, retry: false, reason }, ...range(n + 1, size).map((index) => ({ index, retry: true, reason: stopped }))];
    return { kind: 'partial', failed };
  }
  if (status >= 500 && named && n > 0) {
    return { kind: 'partial', failed: range(n, size).map((index) => ({ index, retry: true, reason })) };
  }
  return classifyHttpStatus(SERVICE, status, retryAfter, detail);
}
