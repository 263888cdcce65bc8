/**
 * Google API error bodies as Cloud KMS sends them over REST:
 * `{"error":{"code":<http>,"message":"...","status":"<RPC STATUS>","details":[...]}}`.
 * Messages imitate the real service's wording (taken from its public error documentation).
 */
export interface GoogleErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

export interface GoogleErrorReply {
  httpStatus: number;
  body: GoogleErrorBody;
}

function errorInfo(reason: string, metadata: Record<string, string>): unknown {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata };
}

function reply(httpStatus: number, status: string, message: string, details?: unknown[]): GoogleErrorReply {
  return { httpStatus, body: { error: { code: httpStatus, message, status, ...(details ? { details } : {}) } } };
}

/** Faults that answer with an error body (the others, drop and corruption, act on the wire). */
export type ErrorFault = 'unauthenticated' | 'permission-denied' | 'not-found' | 'disabled' | 'throttle' | 'billing-disabled' | 'service-disabled' | 'unavailable';

/** The reply a fault produces for a call on `key` (a CryptoKey resource name). */
export function faultReply(fault: ErrorFault, key: string, permission: string): GoogleErrorReply {
  const project = key.split('/')[1] ?? 'unknown';
  switch (fault) {
    case 'unauthenticated':
      return unauthenticated();
    case 'permission-denied':
      return reply(403, 'PERMISSION_DENIED', `Permission '${permission}' denied on resource '${key}' (or it may not exist).`, [
        errorInfo('IAM_PERMISSION_DENIED', { permission, resource: key }),
      ]);
    case 'not-found':
      return notFound(key);
    case 'disabled':
      return reply(400, 'FAILED_PRECONDITION', `The request cannot be fulfilled. Resource ${key}/cryptoKeyVersions/1 has value DISABLED in field crypto_key_version.state.`);
    case 'throttle':
      return reply(
        429,
        'RESOURCE_EXHAUSTED',
        `Quota exceeded for quota metric 'Cryptographic requests' and limit 'Cryptographic requests per minute per region' of service 'cloudkms.googleapis.com' for consumer 'project_number:${project}'.`,
        [errorInfo('RATE_LIMIT_EXCEEDED', { service: 'cloudkms.googleapis.com', consumer: `projects/${project}` })],
      );
    case 'billing-disabled':
      return reply(403, 'PERMISSION_DENIED', `This API method requires billing to be enabled. Please enable billing on project #${project} by visiting https://console.developers.google.com/billing/enable?project=${project} then retry.`, [
        errorInfo('BILLING_DISABLED', { consumer: `projects/${project}`, service: 'cloudkms.googleapis.com' }),
      ]);
    case 'service-disabled':
      return reply(403, 'PERMISSION_DENIED', `Cloud Key Management Service (KMS) API has not been used in project ${project} before or it is disabled.`, [
        errorInfo('SERVICE_DISABLED', { consumer: `projects/${project}`, service: 'cloudkms.googleapis.com' }),
      ]);
    case 'unavailable':
      return reply(503, 'UNAVAILABLE', 'The service is currently unavailable.');
  }
}

export function unauthenticated(): GoogleErrorReply {
  return reply(
    401,
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    [errorInfo('ACCESS_TOKEN_TYPE_UNSUPPORTED', { service: 'cloudkms.googleapis.com' })],
  );
}

export function notFound(key: string): GoogleErrorReply {
  return reply(404, 'NOT_FOUND', `${key} not found.`);
}

export function invalidArgument(message: string): GoogleErrorReply {
  return reply(400, 'INVALID_ARGUMENT', message);
}

export function keyDisabled(versionName: string): GoogleErrorReply {
  return reply(400, 'FAILED_PRECONDITION', `The request cannot be fulfilled. Resource ${versionName} has value DISABLED in field crypto_key_version.state.`);
}
