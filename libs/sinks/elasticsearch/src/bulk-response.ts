import { classifyHttpStatus, DeliveryOutcome, ItemFailure, parseRetryAfter } from '@tsp/sinks-core';

const SERVICE = 'elasticsearch';

/** An error `type` from a body, kept only when it looks like one (never free text from a document). */
function errorType(v: unknown): string | undefined {
  const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  return typeof t === 'string' && /^[A-Za-z0-9_.]{1,100}$/.test(t) ? t : undefined;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Detail of a whole-request error: the error type, or a short fixed-form message for string errors (406). */
function requestErrorDetail(body: string): string | undefined {
  const parsed = parseJson(body) as { error?: unknown } | undefined;
  const e = parsed?.error;
  if (typeof e === 'string') return e.slice(0, 120);
  return errorType(e);
}

function retryableItem(status: number): boolean {
  return status === 401 || status === 403 || status === 408 || status === 429 || status >= 500;
}

/**
 * Classifies the answer to a _bulk request of `size` items. Not 2xx: as any HTTP answer (401/403
 * auth retry, 408/429/5xx retry with Retry-After, other 4xx reject; the detail is the error type).
 * 2xx: every item 200/201, or 409 version_conflict_engine_exception (the document, same _id, is
 * already stored: a redelivery), counts as delivered; items with 401/403/408/429/5xx are worth
 * retrying; other item errors (document_parsing_exception, ...) are rejected. Some items failed:
 * partial naming them; all failed and all retryable: retry (auth when all were 401/403); all
 * failed and all rejected: reject. A 2xx answer that cannot be read item by item is a retry
 * (the create actions make the resend harmless).
 */
export function classifyBulkResponse(status: number, retryAfter: string | string[] | undefined, body: string, size: number): DeliveryOutcome {
  if (status < 200 || status >= 300) return classifyHttpStatus(SERVICE, status, retryAfter, requestErrorDetail(body));
  const parsed = parseJson(body) as { errors?: unknown; items?: unknown } | undefined;
  if (parsed === undefined || typeof parsed !== 'object' || parsed === null || typeof parsed.errors !== 'boolean') {
    return { kind: 'retry', reason: `${SERVICE} answered ${status} with an unreadable bulk response` };
  }
  if (!parsed.errors) return { kind: 'delivered' };
  if (!Array.isArray(parsed.items) || parsed.items.length !== size) {
    return { kind: 'retry', reason: `${SERVICE} answered ${status} with errors but without one result per item` };
  }
  const failed: ItemFailure[] = [];
  let auth = 0;
  for (let index = 0; index < size; index++) {
    const entry: unknown = parsed.items[index];
    const result = typeof entry === 'object' && entry !== null ? (Object.values(entry)[0] as { status?: unknown; error?: unknown } | undefined) : undefined;
    const itemStatus = typeof result?.status === 'number' ? result.status : 0;
    const type = errorType(result?.error) ?? 'unknown_error';
    if (itemStatus === 200 || itemStatus === 201) continue;
    if (itemStatus === 409 && type === 'version_conflict_engine_exception') continue;
    const retry = itemStatus === 0 || retryableItem(itemStatus);
    if (itemStatus === 401 || itemStatus === 403) auth++;
    failed.push({ index, retry, reason: `${SERVICE} item answered ${itemStatus}: ${type}` });
  }
  if (failed.length === 0) return { kind: 'delivered' };
  if (failed.length < size) return { kind: 'partial', failed };
  const first = failed[0].reason;
  if (failed.every((f) => f.retry)) {
    const after = parseRetryAfter(retryAfter);
    return {
      kind: 'retry',
      reason: `${SERVICE} failed every item (${first})`,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
      ...(auth === size ? { auth: true } : {}),
    };
  }
  if (failed.every((f) => !f.retry)) return { kind: 'reject', reason: `${SERVICE} rejected every item (${first})` };
  return { kind: 'partial', failed };
}
