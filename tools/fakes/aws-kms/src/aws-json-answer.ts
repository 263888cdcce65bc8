import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { writeJsonText } from '@tsp/fake-support';

/** The media type of AWS JSON 1.1 protocol bodies (KMS, CloudWatch Logs...). */
export const AWS_JSON_1_1 = 'application/x-amz-json-1.1';

/**
 * Writes a complete answer as AWS JSON 1.1 services do: the body, its Content-Type (AWS JSON 1.1
 * unless given, e.g. a fake's control API answers application/json) and a fresh x-amzn-RequestId.
 */
export function sendAwsJson(res: ServerResponse, status: number, body: string, contentType = AWS_JSON_1_1): void {
  writeJsonText(res, status, body, { 'x-amzn-requestid': randomUUID() }, contentType);
}

/**
 * An AWS JSON 1.1 error answer: the HTTP status and the body `{"__type": name, "message": ...}`.
 * Each service fake names its errors (and their statuses) in a table and subclasses this.
 */
export class AwsJsonError<N extends string> extends Error {
  constructor(
    readonly errorName: N,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  body(): string {
    return JSON.stringify({ __type: this.errorName, message: this.message });
  }
}

/** Whether `s` is one of the error names of `table` (name → HTTP status). */
export function isErrorNameOf<T extends Record<string, number>>(table: T, s: unknown): s is keyof T {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(table, s);
}
