import type { EntraAuthority } from './entra-token';
import { VAULT_RESOURCE } from './entra-token';
import type { FakeOperation } from './faults';
import { isWrapAlgorithm, KeyStore, KeyVersion, publicJwk, unwrapWith, wrapWith } from './key-store';
import { badParameter, challenge, keyDisabled, keyNotFound, Reply } from './vault-errors';

/**
 * The Key Vault keys REST surface of the fake:
 *   GET  /keys/{name}[/{version}]                     KeyBundle with the PUBLIC key (n, e)
 *   POST /keys/{name}/{version}/wrapkey | /unwrapkey  {alg, value: base64url} → {kid, value}
 * An empty version (`/keys/name//wrapkey` as the SDK sends for an unversioned key id, or
 * `/keys/name/wrapkey`) means the newest version; `kid` in the reply names the version used.
 * Every request needs `api-version` and a Bearer token issued by the fake's Entra endpoint;
 * without one it gets the 401 challenge.
 */
export interface VaultRequest {
  method: string;
  segments: string[];
  query: URLSearchParams;
  authorization: string | undefined;
  body: unknown;
}

/** The operation and key a vault request targets, or undefined when the path is not a key operation. */
export function classify(method: string, segments: string[]): { op: FakeOperation; name: string; version: string } | undefined {
  if (segments[0] !== 'keys' || segments.length < 2 || segments[1] === '') return undefined;
  const name = segments[1];
  const last = segments[segments.length - 1];
  if (method === 'POST' && (last === 'wrapkey' || last === 'unwrapkey')) {
    if (segments.length === 3) return { op: last, name, version: '' };
    if (segments.length === 4) return { op: last, name, version: segments[2] };
    return undefined;
  }
  if (method === 'GET' && segments.length <= 3) return { op: 'get', name, version: segments[2] ?? '' };
  return undefined;
}

export class VaultApi {
  constructor(
    private readonly keys: KeyStore,
    private readonly entra: EntraAuthority,
    private readonly baseUrl: () => string,
    private readonly authorityHost: () => string,
  ) {}

  /** Authenticates the request; returns the client id (appid) or the 401 reply. */
  authenticate(req: VaultRequest): { appid: string } | Reply {
    const auth = req.authorization;
    const tenant = this.entra.app.tenantGuid;
    if (auth === undefined || !/^Bearer\s+\S+$/i.test(auth)) {
      return challenge(this.authorityHost(), tenant, VAULT_RESOURCE, 'AKV10000: Request is missing a Bearer or PoP token.');
    }
    const claims = this.entra.verify(auth.replace(/^Bearer\s+/i, ''));
    if (claims === undefined) return challenge(this.authorityHost(), tenant, VAULT_RESOURCE, 'AKV10032: Invalid issuer, audience or expired token.');
    return { appid: claims.appid };
  }

  kid(name: string, v: KeyVersion): string {
    return `${this.baseUrl()}/keys/${name}/${v.version}`;
  }

  /** Runs an authenticated key operation. */
  handle(op: FakeOperation, name: string, version: string, req: VaultRequest): Reply {
    const key = this.keys.get(name);
    const v = this.keys.find(name, version);
    if (key === undefined || v === undefined) return keyNotFound(version === '' ? name : `${name}/${version}`);
    if (op === 'get') {
      const created = v.created;
      return {
        status: 200,
        body: {
          key: publicJwk(v, this.kid(name, v)),
          attributes: { enabled: key.enabled, created, updated: created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
        },
      };
    }
    if (!key.enabled) return keyDisabled(op === 'wrapkey' ? 'wrapKey' : 'unwrapKey');
    const body = req.body;
    if (typeof body !== 'object' || body === null) return badParameter('The request body is missing or is not JSON.');
    const { alg, value } = body as Record<string, unknown>;
    if (!isWrapAlgorithm(alg)) return badParameter(`Invalid algorithm: ${String(alg)}. This fake supports RSA-OAEP-256 and RSA-OAEP.`);
    if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value)) return badParameter('Property value must be base64url.');
    const data = Buffer.from(value, 'base64url');
    if (op === 'wrapkey') {
      try {
        return { status: 200, body: { kid: this.kid(name, v), value: wrapWith(v, alg, data).toString('base64url') } };
      } catch {
        return badParameter('The value is too long for the key and algorithm.');
      }
    }
    try {
      return { status: 200, body: { kid: this.kid(name, v), value: unwrapWith(v, alg, data).toString('base64url') } };
    } catch {
      return badParameter('Unwrap failed: the value could not be decrypted with this key version.');
    }
  }
}
