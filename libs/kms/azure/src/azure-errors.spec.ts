import { AuthenticationError, AuthenticationRequiredError } from '@azure/identity';
import { mapAzureError, scrub } from './azure-errors';

const SECRET = 'Xy8Q~super.secret-value';

/** A Key Vault error the way @azure/keyvault-keys throws it (RestError + parsed details). */
function restError(statusCode: number | undefined, code: string, message: string, inner?: string): Error {
  const e = new Error(message) as Error & Record<string, unknown>;
  e.name = 'RestError';
  e['code'] = code;
  if (statusCode !== undefined) e['statusCode'] = statusCode;
  e['details'] = { error: { code, message, ...(inner !== undefined ? { innerError: { code: inner } } : {}) } };
  return e;
}

function msal(message: string): AuthenticationRequiredError {
  return new AuthenticationRequiredError({ scopes: ['https://vault.azure.net/.default'], message });
}

describe('Azure error table', () => {
  it.each([
    ['KeyNotFound 404', restError(404, 'KeyNotFound', 'A key with (name/id) k was not found'), 'wrap', 207],
    ['Forbidden 403 AccessDenied', restError(403, 'Forbidden', 'no wrapKey permission', 'AccessDenied'), 'wrap', 207],
    ['Forbidden 403 KeyDisabled', restError(403, 'Forbidden', 'disabled key', 'KeyDisabled'), 'unwrap', 207],
    ['Unauthorized 401 (token rejected)', restError(401, 'Unauthorized', 'AKV10032: Invalid issuer'), 'wrap', 206],
    ['Throttled 429', restError(429, 'Throttled', 'exceeded the throttling limit'), 'unwrap', 209],
    ['ServiceUnavailable 503', restError(503, 'ServiceUnavailable', 'try later'), 'wrap', 208],
    ['BadParameter 400 on wrap', restError(400, 'BadParameter', 'bad'), 'wrap', 204],
    ['BadParameter 400 on unwrap', restError(400, 'BadParameter', 'bad'), 'unwrap', 205],
    ['socket reset', restError(undefined, 'ECONNRESET', 'socket hang up'), 'wrap', 208],
    ['request send error', restError(undefined, 'REQUEST_SEND_ERROR', 'socket hang up'), 'unwrap', 208],
    ['connection refused', restError(undefined, 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'), 'wrap', 208],
    ['deadline', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'unwrap', 208],
    ['Entra invalid_client (wrong secret)', msal('invalid_client: Error(s): 7000215 - Description: AADSTS7000215: Invalid client secret provided.'), 'wrap', 206],
    ['Entra unknown application', msal('unauthorized_client: Error(s): 700016 - Description: AADSTS700016: Application not found.'), 'wrap', 206],
    ['Entra tenant not found', msal("invalid_request: Error(s): 90002 - Description: AADSTS90002: Tenant 'x' not found."), 'wrap', 206],
    ['Entra application disabled', msal("unauthorized_client: Error(s): 7000112 - Description: AADSTS7000112: Application 'x' is disabled."), 'wrap', 210],
    ['Entra request-loop throttling', msal('temporarily_unavailable: Error(s): 50196 - Description: AADSTS50196: loop.'), 'wrap', 209],
    ['Entra network error', msal('network_error: See https://aka.ms/msal.js.errors#network_error for details'), 'unwrap', 208],
    ['Entra AuthenticationError 401', new AuthenticationError(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }), 'wrap', 206],
    ['Entra AuthenticationError 503', new AuthenticationError(503, { error: 'server_error', error_description: 'AADSTS90033: transient' }), 'wrap', 208],
    ['Entra AuthenticationError 429', new AuthenticationError(429, { error: 'too_many_requests', error_description: 'slow down' }), 'wrap', 209],
    ['an unknown error on wrap', new Error('something'), 'wrap', 204],
    ['an unknown error on unwrap', 'a string', 'unwrap', 205],
  ] as const)('%s → its code', (_name, e, op, code) => {
    const t = mapAzureError(e, op, [SECRET]);
    expect(t.code).toBe(code);
  });

  it('keeps the provider message and the Key Vault codes in the text', () => {
    const t = mapAzureError(restError(403, 'Forbidden', 'Operation wrapKey is not allowed on a disabled key.', 'KeyDisabled'), 'wrap', []);
    expect(t.message).toBe('Azure Key Vault wrapKey failed (403 Forbidden KeyDisabled): Operation wrapKey is not allowed on a disabled key.');
  });

  it('never carries the client secret, a bearer token or a JWT', () => {
    const jwt = 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.c2lnbmF0dXJl';
    const t = mapAzureError(restError(401, 'Unauthorized', `secret ${SECRET} header Bearer abc.def token ${jwt}`), 'wrap', [SECRET]);
    expect(t.message).not.toContain(SECRET);
    expect(t.message).not.toContain('abc.def');
    expect(t.message).not.toContain(jwt);
    expect(t.message).toContain('[redacted]');
  });

  it('bounds the message length', () => {
    expect(scrub('x'.repeat(5000), []).length).toBeLessThan(420);
  });
});
