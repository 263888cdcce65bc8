import { ErrorCode } from '@tsp/tsp-protocol';
import { describeGcpError, mapGcpError, scrub } from './gcp-errors';

/** Error shapes the SDK may hand over besides those the fake produces end to end. */
describe('gcp error table', () => {
  const gaxios = (status: number, data: unknown): object => ({ message: 'Request failed', status, response: { status, data } });

  it('reads a gRPC-style GoogleError with a numeric code', () => {
    expect(mapGcpError({ code: 8, message: 'RESOURCE_EXHAUSTED: quota' }, 'wrap').code).toBe(ErrorCode.KmsThrottled);
    expect(mapGcpError({ code: 14, message: 'UNAVAILABLE' }, 'unwrap').code).toBe(ErrorCode.KmsUnreachable);
    expect(mapGcpError({ code: 7, message: 'denied', reason: 'BILLING_DISABLED' }, 'unwrap').code).toBe(ErrorCode.KmsAccountIssue);
    expect(mapGcpError({ code: 3, message: 'Decryption failed' }, 'unwrap').code).toBe(ErrorCode.KmsUnwrapFailed);
    expect(mapGcpError({ code: 13, message: 'internal' }, 'wrap').code).toBe(ErrorCode.KmsWrapFailed);
  });

  it('falls back to the HTTP status when the body is not Google’s', () => {
    expect(mapGcpError(gaxios(429, '<html>'), 'wrap').code).toBe(209);
    expect(mapGcpError(gaxios(502, 'Bad Gateway'), 'wrap').code).toBe(208);
    expect(mapGcpError(gaxios(403, ''), 'wrap').code).toBe(207);
    expect(mapGcpError(gaxios(401, ''), 'wrap').code).toBe(206);
  });

  it('maps token-endpoint answers: refusal 206, throttling 209, outage 208', () => {
    expect(mapGcpError(gaxios(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }), 'wrap').code).toBe(206);
    expect(mapGcpError(gaxios(429, { error: 'rate_limit_exceeded' }), 'wrap').code).toBe(209);
    expect(mapGcpError(gaxios(503, { error: 'temporarily_unavailable' }), 'wrap').code).toBe(208);
  });

  it('takes the reason from ErrorInfo details', () => {
    const body = { error: { code: 403, status: 'PERMISSION_DENIED', message: 'API disabled', details: [{ '@type': 'x', reason: 'SERVICE_DISABLED' }] } };
    expect(describeGcpError(gaxios(403, JSON.stringify(body)))).toEqual({ status: 'PERMISSION_DENIED', httpStatus: 403, reason: 'SERVICE_DISABLED', message: 'API disabled' });
  });

  it('network failures without a response are 208', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(mapGcpError({ message: 'Unexpected Gaxios Error', cause: new TypeError('fetch failed', { cause }) }, 'wrap').code).toBe(208);
    expect(mapGcpError(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), 'unwrap').code).toBe(208);
    expect(mapGcpError(new Error('something odd'), 'unwrap').code).toBe(205);
  });

  it('scrubs tokens, JWTs and PEM blocks and bounds the length', () => {
    const m = scrub('Bearer ya29.abc.def eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.sig -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- ' + 'x'.repeat(400));
    expect(m).not.toMatch(/ya29|eyJ|MIIE/);
    expect(m.length).toBe(300);
  });
});
