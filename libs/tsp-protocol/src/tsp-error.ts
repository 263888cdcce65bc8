import { ErrorBody, ErrorCodeValue, HTTP_STATUS_BY_CODE } from './error-codes';

/**
 * An error that is meant for the client: its code and message are sent as they are.
 * Messages must never contain key material, credentials or tokens.
 */
export class TspError extends Error {
  readonly code: ErrorCodeValue;
  /** Overrides the status of the code where HTTP semantics demand it (413, 415, 404 route). */
  readonly statusOverride: number | undefined;

  constructor(code: ErrorCodeValue, message: string, statusOverride?: number) {
    super(message);
    this.name = 'TspError';
    this.code = code;
    this.statusOverride = statusOverride;
  }

  get httpStatus(): number {
    return this.statusOverride ?? HTTP_STATUS_BY_CODE[this.code];
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

export function isTspError(e: unknown): e is TspError {
  return e instanceof TspError;
}
