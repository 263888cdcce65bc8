/**
 * Google API error bodies as Cloud Logging sends them over REST:
 * `{"error":{"code":<http>,"message":"...","status":"<RPC STATUS>","details":[Any...]}}`,
 * details in proto3 JSON (`@type` + fields). Messages imitate the real service's wording.
 */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

export interface GoogleErrorReply {
  httpStatus: number;
  body: GoogleErrorBody;
  headers?: Record<string, string>;
}

/** gRPC status numbers and their HTTP mapping (google.rpc.Code). */
export const RPC: Record<string, { code: number; http: number }> = {
  INVALID_ARGUMENT: { code: 3, http: 400 },
  PERMISSION_DENIED: { code: 7, http: 403 },
  RESOURCE_EXHAUSTED: { code: 8, http: 429 },
  INTERNAL: { code: 13, http: 500 },
  UNAVAILABLE: { code: 14, http: 503 },
  UNAUTHENTICATED: { code: 16, http: 401 },
  NOT_FOUND: { code: 5, http: 404 },
};

export const SERVICE_NAME = 'logging.googleapis.com';
export const PARTIAL_ERRORS_TYPE = 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors';

export function errorInfo(reason: string, metadata: Record<string, string>): unknown {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata };
}

export function reply(status: keyof typeof RPC, message: string, details?: unknown[], headers?: Record<string, string>): GoogleErrorReply {
  const httpStatus = RPC[status].http;
  return { httpStatus, body: { error: { code: httpStatus, message, status, ...(details ? { details } : {}) } }, ...(headers ? { headers } : {}) };
}

export function unauthenticated(): GoogleErrorReply {
  return reply(
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    [errorInfo('ACCESS_TOKEN_TYPE_UNSUPPORTED', { service: SERVICE_NAME, method: 'google.logging.v2.LoggingServiceV2.WriteLogEntries' })],
    { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
  );
}

export function permissionDenied(logName: string): GoogleErrorReply {
  return reply('PERMISSION_DENIED', `Permission 'logging.logEntries.create' denied on resource (or it may not exist).`, [
    errorInfo('IAM_PERMISSION_DENIED', { permission: 'logging.logEntries.create', resource: logName }),
  ]);
}

export function throttled(project: string, retryAfterSeconds: number): GoogleErrorReply {
  return reply(
    'RESOURCE_EXHAUSTED',
    `Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service '${SERVICE_NAME}' for consumer 'project_number:${project}'.`,
    [
      errorInfo('RATE_LIMIT_EXCEEDED', { service: SERVICE_NAME, consumer: `projects/${project}`, quota_metric: 'logging.googleapis.com/write_requests' }),
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterSeconds}s` },
    ],
    { 'retry-after': String(retryAfterSeconds) },
  );
}

export function unavailable(): GoogleErrorReply {
  return reply('UNAVAILABLE', 'The service is currently unavailable.');
}

export function internal(): GoogleErrorReply {
  return reply('INTERNAL', 'Internal error encountered.');
}

export function invalidArgument(message: string): GoogleErrorReply {
  return reply('INVALID_ARGUMENT', message, [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ description: message }] }]);
}

/** One entry's google.rpc.Status inside WriteLogEntriesPartialErrors. */
export interface EntryError {
  status: keyof typeof RPC;
  message: string;
}

/**
 * The answer to an entries:write in which some entries failed: the status of one of the failed
 * entries (the first), with WriteLogEntriesPartialErrors.logEntryErrors keyed by the entries'
 * zero-based index in the request.
 */
export function partialErrors(errors: ReadonlyMap<number, EntryError>): GoogleErrorReply {
  const first = [...errors.entries()].sort((a, b) => a[0] - b[0])[0][1];
  const logEntryErrors: Record<string, { code: number; message: string }> = {};
  for (const [i, e] of errors) logEntryErrors[String(i)] = { code: RPC[e.status].code, message: e.message };
  return reply(first.status, first.message, [{ '@type': PARTIAL_ERRORS_TYPE, logEntryErrors }]);
}
