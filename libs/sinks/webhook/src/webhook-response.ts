import { classifyHttpStatus, DeliveryOutcome, ItemFailure, scrubSecrets } from '@tsp/sinks-core';

const SERVICE = 'webhook';
const MAX_REASON = 200;

/** A short, secret-free detail from an error body: its `error`/`message` string, else its first line. */
function detailOf(body: string, secrets: readonly string[]): string {
  let text = body;
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      const s = typeof o['error'] === 'string' ? o['error'] : typeof o['message'] === 'string' ? o['message'] : undefined;
      if (s !== undefined) text = s;
    }
  } catch {
    // not JSON: the text itself
  }
  return scrubSecrets(text.split('\n')[0]?.trim() ?? '', secrets).slice(0, MAX_REASON);
}

/**
 * The item failures of a 207 body `{"failed":[{"index":n,"retry":bool,"reason":"..."}]}`, or
 * undefined when the body does not follow the contract (an index out of range or repeated, a
 * field missing or of the wrong type).
 */
export function parsePartialBody(body: string, batchSize: number, secrets: readonly string[]): ItemFailure[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  const failed = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)['failed'] : undefined;
  if (!Array.isArray(failed)) return undefined;
  const out: ItemFailure[] = [];
  const seen = new Set<number>();
  for (const f of failed as unknown[]) {
    if (typeof f !== 'object' || f === null) return undefined;
    const { index, retry, reason } = f as Record<string, unknown>;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= batchSize || seen.has(index)) return undefined;
    if (typeof retry !== 'boolean') return undefined;
    seen.add(index);
    const why = typeof reason === 'string' && reason.trim() !== '' ? scrubSecrets(reason.trim(), secrets).slice(0, MAX_REASON) : 'refused by the receiver';
    out.push({ index, retry, reason: why });
  }
  return out;
}

/**
 * Classifies a receiver's answer (docs/sinks/webhook.md): 207 with a readable body partial (or
 * delivered when it lists no item); 207 unreadable retry (the batch goes again with the same
 * delivery id); other 2xx delivered; 401/403 retry auth; 408/425/429/5xx retry with
 * Retry-After; redirects (not followed) and other 4xx reject.
 */
export function classifyWebhookAnswer(
  status: number,
  body: string,
  retryAfter: string | string[] | undefined,
  batchSize: number,
  secrets: readonly string[],
): DeliveryOutcome {
  if (status === 207) {
    const failed = parsePartialBody(body, batchSize, secrets);
    if (failed === undefined) return { kind: 'retry', reason: `${SERVICE} answered 207 with a body that does not follow the contract` };
    return failed.length === 0 ? { kind: 'delivered' } : { kind: 'partial', failed };
  }
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status >= 300 && status < 400) return { kind: 'reject', reason: `${SERVICE} answered ${status}: redirects are not followed` };
  return classifyHttpStatus(SERVICE, status, retryAfter, detailOf(body, secrets));
}
