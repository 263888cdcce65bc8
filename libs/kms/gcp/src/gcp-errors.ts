import { ErrorCode, ErrorCodeValue, TspError } from '@tsp/tsp-protocol';

/**
 * The one table from Google errors to TSP codes. Over REST the SDK rejects with a GaxiosError:
 * a KMS error carries Google's body {"error":{"code","message","status","details":[ErrorInfo]}},
 * a token-endpoint refusal carries the OAuth body {"error":"invalid_grant","error_description"},
 * a network failure carries no response. (gRPC-style errors with a numeric `code` are read too.)
 *
 *   status / case                                   code
 *   token endpoint refuses the JWT (invalid_grant…)  206 wrong credentials
 *   UNAUTHENTICATED (401)                            206
 *   PERMISSION_DENIED (403), IAM reason              207 key permission
 *   PERMISSION_DENIED with reason BILLING_DISABLED,
 *     SERVICE_DISABLED, CONSUMER_SUSPENDED,
 *     CONSUMER_INVALID, USER_PROJECT_DENIED,
 *     RESOURCE_PROJECT_INVALID                       210 account/project problem: the key and the
 *                                                       grant may be fine, the project cannot be used
 *   NOT_FOUND (404)                                  207 missing key
 *   FAILED_PRECONDITION (400), e.g. version DISABLED 207 disabled/destroyed key
 *   RESOURCE_EXHAUSTED (429), token endpoint 429     209 throttled
 *   UNAVAILABLE (503), DEADLINE_EXCEEDED (504),
 *     token endpoint 5xx, no response (reset, refused,
 *     timeout, abort)                                208 unreachable (BaseKmsProvider retries once)
 *   INVALID_ARGUMENT on decrypt (bad ciphertext/AAD) 205
 *   anything else                                    204 wrap / 205 unwrap
 * The message keeps Google's text; token-like strings are removed and it is cut to 300 chars.
 */
const ACCOUNT_REASONS = ['BILLING_DISABLED', 'SERVICE_DISABLED', 'CONSUMER_SUSPENDED', 'CONSUMER_INVALID', 'USER_PROJECT_DENIED', 'RESOURCE_PROJECT_INVALID'];
const NETWORK_CODES = /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN|UND_ERR_)/;
/** gRPC status numbers, as a GoogleError may carry them. */
const GRPC_STATUS: Record<number, string> = {
  1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION', 13: 'INTERNAL', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED',
};
const HTTP_STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED' };

/** What the error says, whatever its shape. */
export interface GcpFailure {
  /** Google's RPC status name, or 'OAUTH' for a token-endpoint refusal, or 'NETWORK'. */
  status: string;
  httpStatus: number | undefined;
  reason: string | undefined;
  message: string;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec | undefined => (typeof v === 'object' && v !== null ? (v as Rec) : undefined);

function parseJson(v: unknown): Rec | undefined {
  if (typeof v !== 'string') return rec(v);
  try {
    return rec(JSON.parse(v));
  } catch {
    return undefined;
  }
}

function isNetwork(e: unknown): boolean {
  for (let c = rec(e), depth = 0; c !== undefined && depth < 6; c = rec(c['cause']), depth++) {
    if (c['name'] === 'AbortError' || c['name'] === 'TimeoutError' || c['name'] === 'SocketError') return true;
    if (typeof c['code'] === 'string' && NETWORK_CODES.test(c['code'])) return true;
    if (c['message'] === 'fetch failed' || c['message'] === 'socket hang up') return true;
  }
  return false;
}

/** Removes bearer tokens, JWTs and PEM blocks should a message ever echo one. */
export function scrub(message: string): string {
  return message
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g, '[pem]')
    .replace(/\bey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.?[A-Za-z0-9_-]*/g, '[jwt]')
    .replace(/\bya29\.[A-Za-z0-9._-]+/g, '[token]')
    .replace(/(Bearer\s+)\S+/gi, '$1[token]')
    .slice(0, 300);
}

export function describeGcpError(e: unknown): GcpFailure {
  const r = rec(e) ?? {};
  const response = rec(r['response']);
  const httpStatus = typeof response?.['status'] === 'number' ? response['status'] : typeof r['status'] === 'number' ? r['status'] : undefined;
  const body = parseJson(response?.['data']) ?? parseJson(r['message']);
  const gErr = rec(body?.['error']);
  if (gErr !== undefined) {
    const details = Array.isArray(gErr['details']) ? gErr['details'] : [];
    const info = details.map(rec).find((d) => typeof d?.['reason'] === 'string');
    const status = typeof gErr['status'] === 'string' ? gErr['status'] : (HTTP_STATUS[httpStatus ?? 0] ?? 'UNKNOWN');
    return { status, httpStatus, reason: info?.['reason'] as string | undefined, message: String(gErr['message'] ?? status) };
  }
  if (typeof body?.['error'] === 'string') {
    const desc = typeof body['error_description'] === 'string' ? `: ${body['error_description']}` : '';
    return { status: 'OAUTH', httpStatus, reason: body['error'], message: `token endpoint refused the credentials (${body['error']}${desc})` };
  }
  const message = typeof r['message'] === 'string' ? r['message'] : String(e);
  if (typeof r['code'] === 'number' && GRPC_STATUS[r['code']] !== undefined && httpStatus === undefined) {
    return { status: GRPC_STATUS[r['code']], httpStatus, reason: typeof r['reason'] === 'string' ? r['reason'] : undefined, message };
  }
  if (httpStatus !== undefined) return { status: HTTP_STATUS[httpStatus] ?? (httpStatus >= 500 ? 'UNAVAILABLE' : 'UNKNOWN'), httpStatus, reason: undefined, message };
  if (isNetwork(e)) return { status: 'NETWORK', httpStatus, reason: undefined, message: networkMessage(e) };
  return { status: 'UNKNOWN', httpStatus, reason: undefined, message };
}

function networkMessage(e: unknown): string {
  const parts: string[] = [];
  for (let c = rec(e), depth = 0; c !== undefined && depth < 6; c = rec(c['cause']), depth++) {
    if (typeof c['message'] === 'string' && c['message'] !== 'Unexpected Gaxios Error') parts.push(c['message']);
  }
  return parts.length > 0 ? parts.join(': ') : 'network failure';
}

function codeFor(f: GcpFailure, op: 'wrap' | 'unwrap'): ErrorCodeValue {
  const failed = op === 'wrap' ? ErrorCode.KmsWrapFailed : ErrorCode.KmsUnwrapFailed;
  switch (f.status) {
    case 'OAUTH':
      if (f.httpStatus === 429) return ErrorCode.KmsThrottled;
      return f.httpStatus !== undefined && f.httpStatus >= 500 ? ErrorCode.KmsUnreachable : ErrorCode.KmsAuthorizationFailed;
    case 'UNAUTHENTICATED':
      return ErrorCode.KmsAuthorizationFailed;
    case 'PERMISSION_DENIED':
      return f.reason !== undefined && ACCOUNT_REASONS.includes(f.reason) ? ErrorCode.KmsAccountIssue : ErrorCode.KmsConfigurationInvalid;
    case 'NOT_FOUND':
    case 'FAILED_PRECONDITION':
      return ErrorCode.KmsConfigurationInvalid;
    case 'RESOURCE_EXHAUSTED':
      return ErrorCode.KmsThrottled;
    case 'UNAVAILABLE':
    case 'DEADLINE_EXCEEDED':
    case 'CANCELLED':
    case 'NETWORK':
      return ErrorCode.KmsUnreachable;
    default:
      return failed;
  }
}

export function mapGcpError(e: unknown, op: 'wrap' | 'unwrap'): TspError {
  const f = describeGcpError(e);
  const what = op === 'wrap' ? 'encrypt' : 'decrypt';
  return new TspError(codeFor(f, op), scrub(`gcp KMS ${what} failed (${f.status}${f.reason ? `/${f.reason}` : ''}): ${f.message}`));
}
