import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * The Entra ID (Azure AD) part of the fake: the v2.0 OpenID configuration that MSAL reads for a
 * custom authority, and the token endpoint `/<tenant>/oauth2/v2.0/token` for the
 * client_credentials grant with a client secret. Access tokens are JWT-shaped (HS256 with a key
 * only the fake knows) so the vault side can verify audience, tenant, client and expiry.
 */
export const VAULT_RESOURCE = 'https://vault.azure.net';
export const VAULT_SCOPE = `${VAULT_RESOURCE}/.default`;
const TOKEN_LIFETIME_S = 3599;

export interface AppRegistration {
  tenantGuid: string;
  clientId: string;
  clientSecret: string;
}

export interface TokenClaims {
  aud: string;
  tid: string;
  appid: string;
  iat: number;
  nbf: number;
  exp: number;
}

export interface EntraReply {
  status: number;
  body: Record<string, unknown>;
}

function b64url(v: Buffer | string): string {
  return Buffer.from(v).toString('base64url');
}

/** An Entra-style OAuth error body (AADSTS code inside the description, as the service sends). */
export function entraError(status: number, error: string, aadsts: number, text: string): EntraReply {
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${text} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [aadsts],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class EntraAuthority {
  private readonly signingKey = randomBytes(32);
  /** Token requests seen, and how many were granted. */
  requests = 0;
  granted = 0;

  constructor(readonly app: AppRegistration) {}

  openIdConfiguration(authority: string, tenant: string): EntraReply {
    if (tenant !== this.app.tenantGuid) return entraError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
    const base = `${authority}/${tenant}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${authority}/${tenant}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
      },
    };
  }

  /** Handles one client_credentials token request (form fields already parsed). */
  token(tenant: string, form: URLSearchParams): EntraReply {
    this.requests++;
    if (tenant !== this.app.tenantGuid) return entraError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
    if (form.get('grant_type') !== 'client_credentials') {
      return entraError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    }
    const clientId = form.get('client_id') ?? '';
    if (clientId !== this.app.clientId) {
      return entraError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory.`);
    }
    const secret = form.get('client_secret');
    if (secret === null || !sameSecret(secret, this.app.clientSecret)) {
      return entraError(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    }
    if (form.get('scope') !== VAULT_SCOPE) {
      return entraError(400, 'invalid_scope', 70011, "The provided value for the input parameter 'scope' is not valid.");
    }
    this.granted++;
    const now = Math.floor(Date.now() / 1000);
    const claims: TokenClaims = { aud: VAULT_RESOURCE, tid: tenant, appid: clientId, iat: now, nbf: now, exp: now + TOKEN_LIFETIME_S };
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_S, ext_expires_in: TOKEN_LIFETIME_S, access_token: this.sign(claims) },
    };
  }

  private sign(claims: TokenClaims): string {
    const head = `${b64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }))}.${b64url(JSON.stringify(claims))}`;
    return `${head}.${b64url(createHmac('sha256', this.signingKey).update(head).digest())}`;
  }

  /** The claims of a token this authority issued and that is still valid for the vault; else undefined. */
  verify(token: string): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const mac = createHmac('sha256', this.signingKey).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2], 'base64url');
    if (got.length !== mac.length || !timingSafeEqual(got, mac)) return undefined;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as TokenClaims;
    const now = Math.floor(Date.now() / 1000);
    if (claims.aud !== VAULT_RESOURCE || claims.tid !== this.app.tenantGuid || claims.exp <= now) return undefined;
    return claims;
  }
}
