import { ErrorCode, ErrorCodeValue, TspError } from '@tsp/tsp-protocol';

/**
 * THE table from AWS KMS / AWS common error names (the SDK's `error.name`, taken from the
 * JSON 1.1 `__type`) to our codes. 205 means "the operation failed" and becomes 204 on wrap.
 *
 * 210 (account problem): the key or the account is in a state only the tenant's AWS account
 * admin can change, and the config itself is right: the key is pending deletion or pending
 * import (KMSInvalidStateException), a quota of the account is exhausted, or the account is
 * not subscribed / opted in. A disabled key (DisabledException) is 207 like a missing key: the
 * config points at a key that cannot be used.
 */
export const AWS_KMS_ERROR_CODES: Readonly<Record<string, ErrorCodeValue>> = Object.freeze({
  // 206 wrong credentials: unknown access key, wrong secret, expired or invalid session token
  UnrecognizedClientException: ErrorCode.KmsAuthorizationFailed,
  InvalidSignatureException: ErrorCode.KmsAuthorizationFailed,
  IncompleteSignatureException: ErrorCode.KmsAuthorizationFailed,
  MissingAuthenticationTokenException: ErrorCode.KmsAuthorizationFailed,
  ExpiredTokenException: ErrorCode.KmsAuthorizationFailed,
  InvalidClientTokenId: ErrorCode.KmsAuthorizationFailed,
  SignatureDoesNotMatch: ErrorCode.KmsAuthorizationFailed,
  // 207 missing key or permission, key not usable for this
  NotFoundException: ErrorCode.KmsConfigurationInvalid,
  DisabledException: ErrorCode.KmsConfigurationInvalid,
  AccessDeniedException: ErrorCode.KmsConfigurationInvalid,
  InvalidKeyUsageException: ErrorCode.KmsConfigurationInvalid,
  InvalidArnException: ErrorCode.KmsConfigurationInvalid,
  InvalidGrantTokenException: ErrorCode.KmsConfigurationInvalid,
  UnsupportedOperationException: ErrorCode.KmsConfigurationInvalid,
  ValidationException: ErrorCode.KmsConfigurationInvalid,
  // 205 the ciphertext does not decrypt with this key and encryption context (tenant, config)
  InvalidCiphertextException: ErrorCode.KmsUnwrapFailed,
  IncorrectKeyException: ErrorCode.KmsUnwrapFailed,
  // 208 KMS unreachable or failing inside (AWS: "the request can be retried"): retried once
  KMSInternalException: ErrorCode.KmsUnreachable,
  DependencyTimeoutException: ErrorCode.KmsUnreachable,
  KeyUnavailableException: ErrorCode.KmsUnreachable,
  InternalFailure: ErrorCode.KmsUnreachable,
  ServiceUnavailable: ErrorCode.KmsUnreachable,
  ServiceUnavailableException: ErrorCode.KmsUnreachable,
  // 209 throttling (KMS answers HTTP 400 with __type ThrottlingException)
  ThrottlingException: ErrorCode.KmsThrottled,
  Throttling: ErrorCode.KmsThrottled,
  TooManyRequestsException: ErrorCode.KmsThrottled,
  RequestLimitExceeded: ErrorCode.KmsThrottled,
  // 210 account problems
  KMSInvalidStateException: ErrorCode.KmsAccountIssue,
  LimitExceededException: ErrorCode.KmsAccountIssue,
  OptInRequired: ErrorCode.KmsAccountIssue,
  SubscriptionRequiredException: ErrorCode.KmsAccountIssue,
});

/** Transport failures (node socket / DNS error codes): 208. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);
const MAX_MESSAGE = 300;

function field(e: unknown, name: string): unknown {
  return typeof e === 'object' && e !== null ? (e as Record<string, unknown>)[name] : undefined;
}

interface ErrorFacts {
  name: string | undefined;
  message: string | undefined;
  /** A node socket/DNS error code (ECONNRESET, ...). */
  errno: string | undefined;
  status: number | undefined;
}

const WRAPPER = 'AWS SDK error wrapper for ';

/**
 * Name, message, errno and HTTP status of an SDK error. The SDK's retry middleware replaces an
 * error that is not `instanceof Error` in its realm (node socket errors seen from a jest
 * sandbox) by `new Error("AWS SDK error wrapper for <name>: <message>")`: read that form too.
 */
function factsOf(e: unknown): ErrorFacts {
  let name = field(e, 'name');
  let message = field(e, 'message');
  let errno = field(e, 'code');
  if (typeof message === 'string' && message.startsWith(WRAPPER)) {
    const inner = /^(\w+): ([\s\S]*)$/.exec(message.slice(WRAPPER.length));
    name = inner?.[1];
    message = inner?.[2] ?? message.slice(WRAPPER.length);
    errno = undefined;
  }
  const status = field(field(e, '$metadata'), 'httpStatusCode');
  // No HTTP answer: a transport error, whose code may only be left in its message.
  if (typeof errno !== 'string' && typeof message === 'string' && typeof status !== 'number') {
    errno = [...NETWORK_CODES].find((c) => message.includes(c)) ?? (message.includes('socket hang up') ? 'ECONNRESET' : undefined);
  }
  return {
    name: typeof name === 'string' ? name : undefined,
    message: typeof message === 'string' ? message : undefined,
    errno: typeof errno === 'string' ? errno : undefined,
    status: typeof status === 'number' ? status : undefined,
  };
}

/** The code for an SDK error, by the table, then transport, then HTTP status. */
export function awsErrorCode(e: unknown, op: 'wrap' | 'unwrap'): ErrorCodeValue {
  const failed = op === 'wrap' ? ErrorCode.KmsWrapFailed : ErrorCode.KmsUnwrapFailed;
  const { name, errno, status } = factsOf(e);
  if (name === 'AbortError' || name === 'TimeoutError') return ErrorCode.KmsUnreachable;
  if (name !== undefined && Object.prototype.hasOwnProperty.call(AWS_KMS_ERROR_CODES, name)) {
    const code = AWS_KMS_ERROR_CODES[name] as ErrorCodeValue;
    return code === ErrorCode.KmsUnwrapFailed ? failed : code;
  }
  if (errno !== undefined && NETWORK_CODES.has(errno)) return ErrorCode.KmsUnreachable;
  if (status === 429) return ErrorCode.KmsThrottled;
  if (status === 401) return ErrorCode.KmsAuthorizationFailed;
  if (status === 403) return ErrorCode.KmsConfigurationInvalid;
  if (status !== undefined && status >= 500) return ErrorCode.KmsUnreachable;
  return failed;
}

/**
 * Maps an SDK error to a TspError keeping AWS's name and message, with every occurrence of the
 * secrets removed (AWS's InvalidSignatureException message quotes the canonical request, which
 * holds the session token) and the length capped.
 */
export function mapAwsKmsError(e: unknown, op: 'wrap' | 'unwrap', secrets: readonly string[]): TspError {
  const code = awsErrorCode(e, op);
  const { name, message, errno } = factsOf(e);
  let text: string;
  if (name === 'AbortError') text = 'no answer before the deadline';
  else {
    const label = name !== undefined && name !== 'Error' ? name : 'error';
    text = `${label}${errno !== undefined ? ` (${errno})` : ''}: ${message !== undefined && message !== '' ? message : 'no message'}`;
  }
  for (const s of secrets) if (s.length > 0) text = text.split(s).join('[redacted]');
  text = text.replace(/\s+/g, ' ');
  if (text.length > MAX_MESSAGE) text = `${text.slice(0, MAX_MESSAGE)}...`;
  return new TspError(code, `AWS KMS ${op} failed: ${text}`);
}
