import { ErrorCode, ErrorCodeValue, errorCodeName, HTTP_STATUS_BY_CODE } from './error-codes';

const entries = Object.entries(ErrorCode) as [keyof typeof ErrorCode, ErrorCodeValue][];

describe('error code registry', () => {
  it('holds exactly the codes of tsp-api.md', () => {
    expect(entries.map(([, c]) => c).sort((a, b) => a - b)).toEqual([
      100, 101, 102, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 301, 401,
    ]);
    expect(ErrorCode.UnauthorizedRequest).toBe(101);
    expect(ErrorCode.InvalidRequestBody).toBe(102);
    expect(ErrorCode.InvalidProvidedEdek).toBe(203);
    expect(ErrorCode.KmsUnwrapFailed).toBe(205);
    expect(ErrorCode.SecretCreationFailed).toBe(401);
  });

  it('never uses a code for two names', () => {
    const codes = entries.map(([, c]) => c);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('every code has an HTTP status that is an error status', () => {
    for (const [, code] of entries) {
      const status = HTTP_STATUS_BY_CODE[code];
      expect(Number.isInteger(status)).toBe(true);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
    expect(Object.keys(HTTP_STATUS_BY_CODE).map(Number).sort((a, b) => a - b)).toEqual(
      entries.map(([, c]) => c).sort((a, b) => a - b),
    );
  });

  it('an unauthorized request is HTTP 401', () => {
    expect(HTTP_STATUS_BY_CODE[ErrorCode.UnauthorizedRequest]).toBe(401);
  });

  it('errorCodeName maps each code back to its name', () => {
    for (const [name, code] of entries) expect(errorCodeName(code)).toBe(name);
  });

  it('the registry is not writable', () => {
    expect(Object.isFrozen(HTTP_STATUS_BY_CODE)).toBe(true);
  });
});
