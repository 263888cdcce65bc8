import { AwsJsonError, isErrorNameOf } from '@tsp/fake-aws-kms';

/**
 * CloudWatch Logs errors as the service answers them over JSON 1.1: a body
 * `{"__type": name, "message": ...}` with the HTTP status AWS uses (client errors 400, service
 * errors 500). https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/CommonErrors.html
 * and the PutLogEvents / CreateLogStream error lists.
 */
export const CWL_ERRORS = {
  // Authentication (common errors)
  MissingAuthenticationTokenException: 400,
  IncompleteSignatureException: 400,
  UnrecognizedClientException: 400,
  InvalidSignatureException: 400,
  ExpiredTokenException: 400,
  AccessDeniedException: 400,
  // Request errors
  InvalidParameterException: 400,
  ResourceNotFoundException: 400,
  ResourceAlreadyExistsException: 400,
  DataAlreadyAcceptedException: 400,
  InvalidSequenceTokenException: 400,
  LimitExceededException: 400,
  ThrottlingException: 400,
  SerializationException: 400,
  UnknownOperationException: 400,
  // Service side
  ServiceUnavailableException: 500,
  InternalFailure: 500,
} as const;

export type CwlErrorName = keyof typeof CWL_ERRORS;

export function isCwlErrorName(s: unknown): s is CwlErrorName {
  return isErrorNameOf(CWL_ERRORS, s);
}

/** An error answer: status (AWS's for the name unless given) and the body AWS sends. */
export class CwlError extends AwsJsonError<CwlErrorName> {
  constructor(name: CwlErrorName, message: string, status: number = CWL_ERRORS[name]) {
    super(name, message, status);
  }
}

/** The message AWS sends with an injected error that has none. */
export function defaultCwlMessage(name: CwlErrorName, operation: string): string {
  switch (name) {
    case 'ThrottlingException':
      return 'Rate exceeded';
    case 'ServiceUnavailableException':
      return 'The service cannot complete the request.';
    case 'AccessDeniedException':
      return `User: arn:aws:iam::111122223333:user/tsp is not authorized to perform: logs:${operation} because no identity-based policy allows the logs:${operation} action`;
    case 'ExpiredTokenException':
      return 'The security token included in the request is expired';
    case 'UnrecognizedClientException':
      return 'The security token included in the request is invalid.';
    case 'InvalidParameterException':
      return 'Log event message is not valid for the log group.';
    case 'LimitExceededException':
      return 'Resource limit exceeded.';
    case 'InternalFailure':
      return 'The request processing has failed because of an unknown error, exception or failure.';
    default:
      return name;
  }
}
