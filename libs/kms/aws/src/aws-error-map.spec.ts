import { ErrorCode } from '@tsp/tsp-protocol';
import { AWS_KMS_ERROR_CODES, awsErrorCode, mapAwsKmsError } from './aws-error-map';

/** An error shaped like the SDK's service exceptions. */
function sdkError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

describe('aws KMS error table', () => {
  it.each([
    ['UnrecognizedClientException', 206],
    ['InvalidSignatureException', 206],
    ['ExpiredTokenException', 206],
    ['NotFoundException', 207],
    ['DisabledException', 207],
    ['AccessDeniedException', 207],
    ['KMSInternalException', 208],
    ['DependencyTimeoutException', 208],
    ['ThrottlingException', 209],
    ['KMSInvalidStateException', 210],
    ['LimitExceededException', 210],
  ])('%s maps to %i', (name, code) => {
    expect(awsErrorCode(sdkError(name, 'm'), 'wrap')).toBe(code);
    expect(awsErrorCode(sdkError(name, 'm'), 'unwrap')).toBe(code);
  });

  it('every code in the table is one of 205-210', () => {
    for (const code of Object.values(AWS_KMS_ERROR_CODES)) expect([205, 206, 207, 208, 209, 210]).toContain(code);
  });

  it('InvalidCiphertextException is 205 on unwrap and 204 on wrap', () => {
    expect(awsErrorCode(sdkError('InvalidCiphertextException', ''), 'unwrap')).toBe(ErrorCode.KmsUnwrapFailed);
    expect(awsErrorCode(sdkError('InvalidCiphertextException', ''), 'wrap')).toBe(ErrorCode.KmsWrapFailed);
  });

  it.each([
    ['a socket error code', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })],
    ['a DNS failure', Object.assign(new Error('getaddrinfo ENOTFOUND kms.example'), { code: 'ENOTFOUND' })],
    ['the SDK timeout', Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' })],
    ['an abort at the deadline', Object.assign(new Error('Request aborted'), { name: 'AbortError' })],
    ['the SDK wrapper of a foreign-realm error', new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9')],
    ['an unknown HTTP 503', sdkError('Unknown', 'UnknownError', 503)],
  ])('%s is 208', (_n, e) => {
    expect(awsErrorCode(e, 'wrap')).toBe(ErrorCode.KmsUnreachable);
  });

  it('unknown names fall back on the HTTP status, then on 204/205', () => {
    expect(awsErrorCode(sdkError('SomethingNew', 'x', 429), 'wrap')).toBe(209);
    expect(awsErrorCode(sdkError('SomethingNew', 'x', 401), 'wrap')).toBe(206);
    expect(awsErrorCode(sdkError('SomethingNew', 'x', 403), 'wrap')).toBe(207);
    expect(awsErrorCode(sdkError('SomethingNew', 'x', 400), 'wrap')).toBe(204);
    expect(awsErrorCode(sdkError('SomethingNew', 'x', 400), 'unwrap')).toBe(205);
    expect(awsErrorCode('a string', 'unwrap')).toBe(205);
    expect(awsErrorCode(undefined, 'wrap')).toBe(204);
  });
});

describe('aws KMS error messages', () => {
  it('keep the AWS name and message', () => {
    const e = mapAwsKmsError(sdkError('NotFoundException', "Key 'arn:aws:kms:eu-central-1:111122223333:key/k' does not exist"), 'wrap', ['s3cr3t']);
    expect(e.code).toBe(207);
    expect(e.message).toBe("AWS KMS wrap failed: NotFoundException: Key 'arn:aws:kms:eu-central-1:111122223333:key/k' does not exist");
  });

  it('remove every secret, anywhere in the message, before capping its length', () => {
    const token = 'FwoGZXIvYXdzEXAMPLETOKEN'.repeat(3);
    const canonical = `The Canonical String for this request should have been\n'POST\n/\n\nx-amz-security-token:${token}\n'`;
    const e = mapAwsKmsError(sdkError('InvalidSignatureException', `The request signature we calculated does not match. s3cr3t ${canonical}`), 'unwrap', ['s3cr3t', token]);
    expect(e.code).toBe(206);
    expect(e.message).not.toContain('s3cr3t');
    expect(e.message).not.toContain(token);
    expect(e.message).toContain('[redacted]');
    expect(e.message).not.toContain('\n');
    expect(e.message.length).toBeLessThanOrEqual(360);
  });

  it('a deadline says so, a network error names its errno', () => {
    expect(mapAwsKmsError(Object.assign(new Error('Request aborted'), { name: 'AbortError' }), 'wrap', []).message).toBe('AWS KMS wrap failed: no answer before the deadline');
    expect(mapAwsKmsError(new Error('AWS SDK error wrapper for TimeoutError: socket hang up'), 'wrap', []).message).toBe('AWS KMS wrap failed: TimeoutError (ECONNRESET): socket hang up');
  });
});

describe('aws KMS errors with an HTTP answer', () => {
  it('are not taken for network failures because of words in their message', () => {
    expect(awsErrorCode(sdkError('SomethingNew', 'upstream said ECONNRESET', 400), 'unwrap')).toBe(205);
  });
});
