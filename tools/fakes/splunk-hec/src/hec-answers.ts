/**
 * The answers Splunk HTTP Event Collector gives, as its documentation lists them (status, text,
 * code). Every JSON answer of HEC has this shape; batch errors add `invalid-event-number`, the
 * zero-based index of the event where processing stopped, and acknowledged requests add `ackId`.
 */
export interface HecAnswer {
  status: number;
  body: Record<string, unknown> | string;
  headers?: Record<string, string>;
}

function answer(status: number, text: string, code: number, extra: Record<string, unknown> = {}): HecAnswer {
  return { status, body: { text, code, ...extra } };
}

export const hecAnswers = {
  success: (ackId?: number): HecAnswer => answer(200, 'Success', 0, ackId === undefined ? {} : { ackId }),
  tokenDisabled: (): HecAnswer => answer(403, 'Token disabled', 1),
  tokenRequired: (): HecAnswer => ({ ...answer(401, 'Token is required', 2), headers: { 'WWW-Authenticate': 'Splunk' } }),
  invalidAuthorization: (): HecAnswer => ({ ...answer(401, 'Invalid authorization', 3), headers: { 'WWW-Authenticate': 'Splunk' } }),
  invalidToken: (): HecAnswer => answer(403, 'Invalid token', 4),
  noData: (): HecAnswer => answer(400, 'No data', 5),
  invalidDataFormat: (n: number): HecAnswer => answer(400, 'Invalid data format', 6, { 'invalid-event-number': n }),
  incorrectIndex: (n: number): HecAnswer => answer(400, 'Incorrect index', 7, { 'invalid-event-number': n }),
  internalError: (): HecAnswer => answer(500, 'Internal server error', 8),
  /** 503 Server is busy; with `n`, the events before n were indexed; with retryAfter, a Retry-After header. */
  serverBusy: (n?: number, retryAfter?: string): HecAnswer => ({
    ...answer(503, 'Server is busy', 9, n === undefined ? {} : { 'invalid-event-number': n }),
    ...(retryAfter === undefined ? {} : { headers: { 'Retry-After': retryAfter } }),
  }),
  channelMissing: (): HecAnswer => answer(400, 'Data channel is missing', 10),
  invalidChannel: (): HecAnswer => answer(400, 'Invalid data channel', 11),
  eventRequired: (n: number): HecAnswer => answer(400, 'Event field is required', 12, { 'invalid-event-number': n }),
  eventBlank: (n: number): HecAnswer => answer(400, 'Event field cannot be blank', 13, { 'invalid-event-number': n }),
  ackDisabled: (): HecAnswer => answer(400, 'ACK is disabled', 14),
  healthy: (): HecAnswer => answer(200, 'HEC is healthy', 17),
  notFound: (): HecAnswer => answer(404, 'The requested URL was not found on this server.', 404),
  /** splunkd's HTTP layer refuses a body over max_content_length before HEC sees it (plain text). */
  tooLarge: (length: number, max: number): HecAnswer => ({ status: 413, body: `Content-Length of ${length} too large (maximum is ${max})` }),
} as const;
