import { DeliveryOutcome, scrubSecrets } from '@tsp/sinks-core';

const SERVICE = 'cloudwatch-logs';
const MAX_DETAIL = 200;

/** Credential failures: retried with `auth` (the tenant may fix its keys or policy). */
const AUTH = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'AccessDeniedException',
  'AccessDenied',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
]);

/**
 * Worth retrying: throttling and service failures, and a missing group or stream (a
 * configuration the tenant can fix while events wait in the spool). InvalidSequenceToken is
 * obsolete (tokens are ignored since 2023) and harmless to resend.
 */
const RETRY = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ResourceNotFoundException',
  'OperationAbortedException',
  'LimitExceededException',
  'InvalidSequenceTokenException',
]);

/** Refused for good: the request itself is wrong for the service. */
const REJECT = new Set(['InvalidParameterException', 'ValidationException', 'SerializationException', 'UnknownOperationException', 'UnrecognizedOperationException']);

export interface SdkErrorFacts {
  name: string | undefined;
  message: string;
  /** A node socket / DNS code when there was no HTTP answer. */
  code: string | undefined;
  status: number | undefined;
}

const WRAPPER = 'AWS SDK error wrapper for ';

function field(e: unknown, name: string): unknown {
  return typeof e === 'object' && e !== null ? (e as Record<string, unknown>)[name] : undefined;
}

/**
 * Name, message, code and HTTP status of an SDK error. The SDK's retry middleware wraps an error
 * that is not `instanceof Error` in its realm (node socket errors seen from a jest sandbox) as
 * `Error("AWS SDK error wrapper for <name>: <message>")`: that form is read too.
 */
export function sdkErrorFacts(e: unknown): SdkErrorFacts {
  let name = field(e, 'name');
  let message = field(e, 'message');
  let code = field(e, 'code');
  if (typeof message === 'string' && message.startsWith(WRAPPER)) {
    const inner = /^(\w+): ([\s\S]*)$/.exec(message.slice(WRAPPER.length));
    name = inner?.[1];
    message = inner?.[2] ?? message.slice(WRAPPER.length);
  }
  const status = field(field(e, '$metadata'), 'httpStatusCode');
  if (typeof code !== 'string' && typeof message === 'string' && typeof status !== 'number') {
    code = /\b(E[A-Z_]{3,})\b/.exec(message)?.[1];
  }
  return {
    name: typeof name === 'string' ? name : undefined,
    message: typeof message === 'string' ? message : '',
    code: typeof code === 'string' ? code : undefined,
    status: typeof status === 'number' ? status : undefined,
  };
}

/**
 * The outcome of a PutLogEvents (or CreateLogStream) call that threw: by AWS error name first,
 * then transport failure, then HTTP status. Reasons hold the name and AWS's message with every
 * secret removed (InvalidSignatureException quotes the canonical request, session token included).
 */
export function classifyCloudWatchError(e: unknown, secrets: readonly string[]): DeliveryOutcome {
  const f = sdkErrorFacts(e);
  if (f.name === 'AbortError' || f.name === 'TimeoutError') return { kind: 'retry', reason: `${SERVICE}: no answer before the deadline` };
  const detail = scrubSecrets(f.message, secrets).replace(/\s+/g, ' ').trim().slice(0, MAX_DETAIL);
  const reason = `${SERVICE} answered ${f.name ?? f.status ?? 'error'}${detail !== '' ? `: ${detail}` : ''}`;
  if (f.name !== undefined && AUTH.has(f.name)) return { kind: 'retry', reason, auth: true };
  if (f.name !== undefined && RETRY.has(f.name)) return { kind: 'retry', reason };
  if (f.name !== undefined && REJECT.has(f.name)) return { kind: 'reject', reason };
  if (f.status === undefined) return { kind: 'retry', reason: `${SERVICE} unreachable (${f.code ?? f.name ?? 'error'})` };
  if (f.status === 401 || f.status === 403) return { kind: 'retry', reason, auth: true };
  if (f.status === 408 || f.status === 429 || f.status >= 500) return { kind: 'retry', reason };
  return { kind: 'reject', reason };
}
