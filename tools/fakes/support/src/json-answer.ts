import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** The media type of a JSON answer unless a fake's service uses another (e.g. with a charset). */
export const JSON_CONTENT_TYPE = 'application/json';

/**
 * Writes a complete answer whose body is already JSON text: Content-Type, Content-Length, then
 * the extra headers (which may override either). Precondition: nothing was written to `res` yet.
 */
export function writeJsonText(res: ServerResponse, status: number, text: string, headers: OutgoingHttpHeaders = {}, contentType = JSON_CONTENT_TYPE): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes `value` as a complete JSON answer (see writeJsonText). */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: OutgoingHttpHeaders = {}, contentType = JSON_CONTENT_TYPE): void {
  writeJsonText(res, status, JSON.stringify(value), headers, contentType);
}
