import { classifyHttpStatus, DeliveryOutcome, ItemFailure, scrubSecrets, transportFailure } from '@tsp/sinks-core';

export const SERVICE = 'Azure Monitor';

/** What one failed ingestion call (or the whole upload) amounts to. */
export type Verdict = Extract<DeliveryOutcome, { kind: 'retry' } | { kind: 'reject' }>;

function field(e: unknown, name: string): unknown {
  return typeof e === 'object' && e !== null ? (e as Record<string, unknown>)[name] : undefined;
}

/** Entra ID error markers that mean "try again later", not "the credentials are wrong". */
// endpoints_resolution_error: MSAL could not read the authority's OpenID configuration (the
// authority is unreachable or untrusted, or the tenant is unknown: MSAL does not tell which).
const TRANSIENT_OAUTH = new Set(['temporarily_unavailable', 'network_error', 'server_error', 'endpoints_resolution_error']);
const TRANSIENT_AADSTS = new Set([50196, 90033]);

/**
 * A token failure from @azure/identity: AuthenticationError {statusCode, errorResponse}, or
 * MSAL's error inside AuthenticationRequiredError / CredentialUnavailableError as text only
 * ("invalid_client: ... AADSTS7000215: ..."). undefined when `e` is not one.
 */
function tokenFailure(e: unknown): Verdict | undefined {
  const name = field(e, 'name');
  if (name !== 'AuthenticationError' && name !== 'AuthenticationRequiredError' && name !== 'CredentialUnavailableError') return undefined;
  const response = field(e, 'errorResponse');
  const status = field(e, 'statusCode');
  const message = String(field(e, 'message') ?? '');
  const described = `${String(field(response, 'errorDescription') ?? '')} ${message}`;
  const oauthField = field(response, 'error');
  const oauth = typeof oauthField === 'string' && oauthField !== '' ? oauthField : (/\b([a-z]+_[a-z_]+)\b/.exec(message)?.[1] ?? 'credential_error');
  const aadsts = [...described.matchAll(/AADSTS(\d+)/g)].map((m) => Number(m[1]));
  const code = aadsts.length > 0 ? ` AADSTS${aadsts[0]}` : '';
  const transient =
    (typeof status === 'number' && (status === 429 || status >= 500)) || TRANSIENT_OAUTH.has(oauth) || aadsts.some((c) => TRANSIENT_AADSTS.has(c));
  return transient
    ? { kind: 'retry', reason: `Entra ID token request failed: ${oauth}${code}` }
    : { kind: 'retry', reason: `Entra ID refused the token request: ${oauth}${code}`, auth: true };
}

/** The Retry-After of a RestError's response, if the SDK kept it. */
function retryAfterOf(e: unknown): string | undefined {
  const headers = field(field(e, 'response'), 'headers');
  const get = field(headers, 'get');
  if (typeof get !== 'function') return undefined;
  const v: unknown = (get as (n: string) => unknown).call(headers, 'retry-after');
  return typeof v === 'string' ? v : undefined;
}

/**
 * Classifies the error of one ingestion call (or of the whole upload): the service's HTTP
 * status as classifyHttpStatus does (401/403 auth, 429/5xx retry with Retry-After, other 4xx
 * reject: 400 malformed, 404 unknown rule/stream, 413 over 1 MB), Entra token refusals as
 * auth (transient Entra errors as plain retry), an abort or a transport failure as retry.
 * The reason holds the service's error code, never its message text or a credential.
 */
export function classifyUploadError(e: unknown, secrets: readonly string[]): Verdict {
  const v = classifyRaw(e);
  return { ...v, reason: scrubSecrets(v.reason, secrets) };
}

function classifyRaw(e: unknown): Verdict {
  const name = field(e, 'name');
  if (name === 'AbortError') return { kind: 'retry', reason: `${SERVICE} send aborted` };
  const token = tokenFailure(e);
  if (token !== undefined) return token;
  const status = field(e, 'statusCode');
  if (typeof status === 'number' && status > 0) {
    const code = field(e, 'code');
    const out = classifyHttpStatus(SERVICE, status, retryAfterOf(e), typeof code === 'string' ? code.slice(0, 80) : undefined);
    if (out.kind === 'retry' || out.kind === 'reject') return out;
    return { kind: 'retry', reason: `${SERVICE} answered ${status}` };
  }
  if (name === 'RestError' || typeof field(e, 'code') === 'string') {
    const out = transportFailure(SERVICE, e);
    return out.kind === 'retry' ? out : { kind: 'retry', reason: `${SERVICE} unreachable` };
  }
  return { kind: 'retry', reason: `${SERVICE} upload failed (${typeof name === 'string' ? name : 'error'})` };
}

/** The failed calls of one upload: the verdict and the batch indices each call carried. */
export interface FailedCall {
  verdict: Verdict;
  indices: readonly number[];
}

/**
 * The outcome of an upload from its failed calls. No failure: delivered. Every item failed with
 * the same kind (all retry or all reject): that outcome for the whole batch (auth when any call
 * was an auth failure, the longest Retry-After). Otherwise: partial, each failed item with the
 * retry flag of its call.
 */
export function uploadOutcome(batchSize: number, failed: readonly FailedCall[]): DeliveryOutcome {
  if (failed.length === 0) return { kind: 'delivered' };
  const failedCount = failed.reduce((n, f) => n + f.indices.length, 0);
  const kinds = new Set(failed.map((f) => f.verdict.kind));
  if (failedCount >= batchSize && kinds.size === 1) {
    const first = failed[0].verdict;
    if (first.kind === 'reject') return first;
    const retries = failed.map((f) => f.verdict).filter((v): v is Extract<Verdict, { kind: 'retry' }> => v.kind === 'retry');
    const auth = retries.find((v) => v.auth === true);
    const after = Math.max(...retries.map((v) => v.retryAfterMs ?? -1));
    const base = auth ?? first;
    return { kind: 'retry', reason: base.reason, ...(after >= 0 ? { retryAfterMs: after } : {}), ...(auth !== undefined ? { auth: true } : {}) };
  }
  const items: ItemFailure[] = [];
  for (const f of failed) for (const index of f.indices) items.push({ index, retry: f.verdict.kind === 'retry', reason: f.verdict.reason });
  items.sort((a, b) => a.index - b.index);
  return { kind: 'partial', failed: items };
}
