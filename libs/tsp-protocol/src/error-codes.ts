/**
 * The one registry of TSP error codes (tsp-api.md "Error codes"). A code is never reused for
 * another meaning. `httpStatus` is the status this server sends with each code; clients read
 * the code from the body, so the status is chosen for operators (proxies, dashboards, retries).
 */
export const ErrorCode = {
  UnknownError: 100,
  UnauthorizedRequest: 101,
  InvalidRequestBody: 102,
  NoPrimaryKmsConfiguration: 200,
  UnknownTenantOrNoActiveKmsConfigurations: 201,
  KmsConfigurationDisabled: 202,
  InvalidProvidedEdek: 203,
  KmsWrapFailed: 204,
  KmsUnwrapFailed: 205,
  KmsAuthorizationFailed: 206,
  KmsConfigurationInvalid: 207,
  KmsUnreachable: 208,
  KmsThrottled: 209,
  KmsAccountIssue: 210,
  SecurityEventRejected: 301,
  SecretCreationFailed: 401,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

/** HTTP status sent with each code. Documented in the README ("HTTP status per error code"). */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCodeValue, number>> = Object.freeze({
  100: 500,
  101: 401,
  102: 400,
  200: 422,
  201: 404,
  202: 403,
  203: 400,
  204: 502,
  205: 422,
  206: 502,
  207: 502,
  208: 503,
  209: 429,
  210: 502,
  301: 400,
  401: 500,
});

const NAME_BY_CODE = new Map<number, ErrorCodeName>(
  (Object.entries(ErrorCode) as [ErrorCodeName, ErrorCodeValue][]).map(([name, code]) => [code, name]),
);

export function errorCodeName(code: ErrorCodeValue): ErrorCodeName {
  return NAME_BY_CODE.get(code) as ErrorCodeName;
}

/** The error body every client understands: `{"code": <int>, "message": "<string>"}`. */
export interface ErrorBody {
  code: ErrorCodeValue;
  message: string;
}
