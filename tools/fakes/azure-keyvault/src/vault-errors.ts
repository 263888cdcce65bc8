import { randomUUID } from 'node:crypto';

/** A reply of the fake: status, JSON body and extra headers. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A Key Vault error body: {"error":{"code","message","innererror"?}}, as the service sends it. */
export function vaultError(status: number, code: string, message: string, inner?: string, headers?: Record<string, string>): Reply {
  return {
    status,
    body: { error: { code, message, ...(inner !== undefined ? { innererror: { code: inner } } : {}) } },
    ...(headers !== undefined ? { headers } : {}),
  };
}

/** The 401 every unauthenticated vault request gets, with the challenge the SDK parses. */
export function challenge(authorityHost: string, tenantGuid: string, resource: string, message: string): Reply {
  return vaultError(401, 'Unauthorized', message, undefined, {
    'www-authenticate': `Bearer authorization="${authorityHost}/${tenantGuid}", resource="${resource}"`,
  });
}

export const keyNotFound = (name: string): Reply =>
  vaultError(404, 'KeyNotFound', `A key with (name/id) ${name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`);

export const keyDisabled = (op: string): Reply => vaultError(403, 'Forbidden', `Operation ${op} is not allowed on a disabled key.`, 'KeyDisabled');

export const accessDenied = (op: string, appid: string): Reply =>
  vaultError(
    403,
    'Forbidden',
    `The user, group or application 'appid=${appid}' does not have keys ${op} permission on key vault 'fake-vault;location=loopback'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
    'AccessDenied',
  );

export const throttled = (retryAfterS: number): Reply =>
  vaultError(
    429,
    'Throttled',
    `Request was not allowed because application exceeded the throttling limit. Follow up requests reset after ${retryAfterS} seconds.`,
    undefined,
    { 'retry-after': String(retryAfterS) },
  );

export const unavailable = (): Reply => vaultError(503, 'ServiceUnavailable', 'The service is temporarily unavailable. Please retry later.');

export const badParameter = (message: string): Reply => vaultError(400, 'BadParameter', message);

export function requestIdHeaders(): Record<string, string> {
  return { 'x-ms-request-id': randomUUID(), 'x-ms-keyvault-service-version': '1.9.1234.1', 'x-ms-keyvault-network-info': 'conn_type=Ipv4;addr=127.0.0.1;act_addr_fam=InterNetwork;' };
}
