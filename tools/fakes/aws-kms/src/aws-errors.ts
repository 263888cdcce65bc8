import { AwsJsonError, isErrorNameOf } from './aws-json-answer';

/**
 * The AWS KMS errors the fake answers with: JSON 1.1 error bodies `{"__type": name, "message": ...}`
 * with the HTTP status AWS uses for each (client errors 400, service errors 500).
 * https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html and the per-action lists.
 */
export const AWS_KMS_ERRORS = {
  // Authentication (common errors)
  MissingAuthenticationTokenException: 400,
  IncompleteSignatureException: 400,
  UnrecognizedClientException: 400,
  InvalidSignatureException: 400,
  ExpiredTokenException: 400,
  // Request and key errors (Encrypt / Decrypt / GenerateDataKey)
  AccessDeniedException: 400,
  NotFoundException: 400,
  DisabledException: 400,
  KMSInvalidStateException: 400,
  InvalidKeyUsageException: 400,
  InvalidCiphertextException: 400,
  IncorrectKeyException: 400,
  InvalidGrantTokenException: 400,
  ValidationException: 400,
  SerializationException: 400,
  UnknownOperationException: 400,
  ThrottlingException: 400,
  LimitExceededException: 400,
  // Service side
  KMSInternalException: 500,
  DependencyTimeoutException: 500,
  KeyUnavailableException: 500,
} as const;

export type AwsKmsErrorName = keyof typeof AWS_KMS_ERRORS;

export function isAwsKmsErrorName(s: unknown): s is AwsKmsErrorName {
  return isErrorNameOf(AWS_KMS_ERRORS, s);
}

/** An error answer: status (AWS's for the name unless given), and the body AWS sends. */
export class AwsKmsError extends AwsJsonError<AwsKmsErrorName> {
  constructor(name: AwsKmsErrorName, message: string, status: number = AWS_KMS_ERRORS[name]) {
    super(name, message, status);
  }

  override body(): string {
    // AWS omits the message of some errors (InvalidCiphertextException).
    return this.message === '' ? JSON.stringify({ __type: this.errorName }) : super.body();
  }
}

/** A realistic message for an injected error that has none. */
export function defaultMessage(name: AwsKmsErrorName, op: string, keyArn: string | undefined, accountId: string): string {
  const arn = keyArn ?? `arn:aws:kms:*:${accountId}:key/*`;
  switch (name) {
    case 'AccessDeniedException':
      return `User: arn:aws:iam::${accountId}:user/tsp is not authorized to perform: kms:${op} on resource: ${arn} because no identity-based policy allows the kms:${op} action`;
    case 'NotFoundException':
      return `Key '${arn}' does not exist`;
    case 'DisabledException':
      return `${arn} is disabled.`;
    case 'KMSInvalidStateException':
      return `${arn} is pending deletion.`;
    case 'ThrottlingException':
      return 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.';
    case 'UnrecognizedClientException':
      return 'The security token included in the request is invalid.';
    case 'InvalidSignatureException':
      return 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
    case 'ExpiredTokenException':
      return 'The security token included in the request is expired';
    case 'KMSInternalException':
      return 'An internal error occurred.';
    case 'LimitExceededException':
      return 'Account limit exceeded.';
    default:
      return `${name}`;
  }
}
