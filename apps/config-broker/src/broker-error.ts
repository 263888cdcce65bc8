import { RepositoryError } from '@tsp/broker-store';

/** The error codes of the broker API; every error leaves as `{"code", "message"}`. */
export type BrokerErrorCode =
  | 'invalid-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'unsupported-media-type'
  | 'too-many-requests'
  | 'unavailable'
  | 'internal';

const STATUS: Record<BrokerErrorCode, number> = {
  'invalid-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  'too-many-requests': 429,
  unavailable: 503,
  internal: 500,
};

/** An error meant for the API client. Messages name fields, never values or secrets. */
export class BrokerError extends Error {
  override name = 'BrokerError';
  readonly statusCode: number;

  constructor(
    readonly code: BrokerErrorCode,
    message: string,
  ) {
    super(message);
    this.statusCode = STATUS[code];
  }

  toBody(): { code: BrokerErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** RepositoryError kinds → 404 / 409 / 400 (the repository's message names the field). */
export function fromRepositoryError(e: RepositoryError): BrokerError {
  switch (e.kind) {
    case 'not-found':
      return new BrokerError('not-found', e.message);
    case 'conflict':
      return new BrokerError('conflict', e.message);
    default:
      return new BrokerError('invalid-request', e.message);
  }
}
