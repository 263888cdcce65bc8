import { randomUUID } from 'node:crypto';

/** A reply of the fake: status, JSON body (undefined: no body) and extra headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Most bytes one ingestion call may carry, compressed or not (service limits: 1 MB per call). */
export const MAX_CALL_BYTES = 1_048_576;

/** The Logs Ingestion error body: {"error":{"code","message"}}. */
export function ingestionError(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return { status, body: { error: { code, message } }, ...(headers !== undefined ? { headers } : {}) };
}

/** Headers every answer of the service carries. */
export function requestHeaders(): Record<string, string> {
  return { 'x-ms-request-id': randomUUID(), date: new Date().toUTCString() };
}

export const accepted = (): Reply => ({ status: 204 });

export const missingToken = (): Reply =>
  ingestionError(401, 'InvalidAuthenticationToken', 'The authentication token is missing or is not a Bearer token.', {
    'www-authenticate': 'Bearer error="invalid_token"',
  });

export const invalidToken = (): Reply =>
  ingestionError(401, 'InvalidAuthenticationToken', 'The authentication token is invalid, expired or was issued for another audience.', {
    'www-authenticate': 'Bearer error="invalid_token"',
  });

export const forbidden = (ruleId: string): Reply =>
  ingestionError(403, 'OperationFailed', `The authentication token provided does not have access to ingest data for the data collection rule with immutable Id '${ruleId}'.`);

export const ruleNotFound = (ruleId: string): Reply =>
  ingestionError(404, 'NotFound', `Data collection rule with immutable Id '${ruleId}' not found.`);

export const streamNotFound = (ruleId: string, stream: string): Reply =>
  ingestionError(404, 'InvalidStream', `Stream '${stream}' is not declared in the data collection rule with immutable Id '${ruleId}'.`);

export const noRoute = (method: string, path: string): Reply => ingestionError(404, 'NotFound', `No route for ${method} ${path}.`);

export const badApiVersion = (v: string | null): Reply =>
  ingestionError(400, 'InvalidApiVersion', `The api-version '${v ?? ''}' is invalid. The supported versions are: 2021-11-01-preview,2023-01-01.`);

export const badEncoding = (enc: string): Reply =>
  ingestionError(400, 'InvalidContentEncoding', `Content-Encoding '${enc}' is not supported. Supported encodings: gzip.`);

export const badContentType = (): Reply => ingestionError(415, 'UnsupportedMediaType', "The request Content-Type must be 'application/json'.");

export const invalidPayload = (detail: string): Reply => ingestionError(400, 'InvalidPayload', `The request payload is invalid: ${detail}`);

export const tooLarge = (bytes: number): Reply =>
  ingestionError(413, 'ContentLengthLimitExceeded', `Maximum allowed content length: ${MAX_CALL_BYTES} bytes (1 MB). Provided content length: ${bytes} bytes.`);

export const throttled = (retryAfterSeconds: number): Reply =>
  ingestionError(429, 'TooManyRequests', `The data collection rule has exceeded its request rate limit. Retry after ${retryAfterSeconds} seconds.`, {
    'retry-after': String(retryAfterSeconds),
  });

export const unavailable = (): Reply =>
  ingestionError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please retry.', { 'retry-after': '1' });

export const internalError = (): Reply => ingestionError(500, 'InternalServerError', 'The fake failed to handle the request.');
