import { ErrorCode, HTTP_STATUS_BY_CODE } from './error-codes';
import { isTspError, TspError } from './tsp-error';

describe('TspError', () => {
  it('toBody is exactly {code, message}', () => {
    const e = new TspError(ErrorCode.KmsConfigurationDisabled, 'KMS config 3 is disabled');
    expect(e.toBody()).toStrictEqual({ code: 202, message: 'KMS config 3 is disabled' });
    expect(JSON.stringify(e.toBody())).toBe('{"code":202,"message":"KMS config 3 is disabled"}');
  });

  it('the HTTP status comes from the registry unless overridden', () => {
    const e = new TspError(ErrorCode.InvalidRequestBody, 'bad');
    expect(e.httpStatus).toBe(HTTP_STATUS_BY_CODE[102]);
    expect(new TspError(ErrorCode.InvalidRequestBody, 'too large', 413).httpStatus).toBe(413);
    expect(new TspError(ErrorCode.UnauthorizedRequest, 'no').httpStatus).toBe(401);
  });

  it('is an Error with the TspError name and is recognised by isTspError', () => {
    const e = new TspError(ErrorCode.UnknownError, 'x');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('TspError');
    expect(e.message).toBe('x');
    expect(isTspError(e)).toBe(true);
    expect(isTspError(new Error('x'))).toBe(false);
    expect(isTspError({ code: 100, message: 'x' })).toBe(false);
  });

  it('an error body never parses as a wrap success body', () => {
    const body = new TspError(ErrorCode.UnknownError, 'x').toBody() as unknown as Record<string, unknown>;
    expect(body['dek']).toBeUndefined();
    expect(body['edek']).toBeUndefined();
  });
});
