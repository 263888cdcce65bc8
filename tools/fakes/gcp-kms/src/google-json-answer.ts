import type { ServerResponse } from 'node:http';
import { sendJson } from '@tsp/fake-support';

/** The Content-Type Google APIs (and their OAuth token endpoint) answer JSON with. */
export const GOOGLE_JSON = 'application/json; charset=UTF-8';

/** Writes `body` as a complete JSON answer the way Google's REST endpoints send it. */
export function sendGoogleJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendJson(res, status, body, headers, GOOGLE_JSON);
}
