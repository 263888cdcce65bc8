import { createPublicKey, KeyObject, randomBytes, verify } from 'node:crypto';

/**
 * The fake's OAuth 2.0 token endpoint for service accounts (RFC 7523 JWT bearer grant), as
 * Google's `token_uri` behaves: the client POSTs `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
 * and `assertion=<JWT>` form-encoded; the JWT is RS256-signed with the service account's private
 * key and claims {iss: client_email, scope, aud: token_uri, iat, exp}. The fake verifies the
 * signature with the PUBLIC key it was configured with for that iss, the audience, the lifetime
 * (at most one hour, not expired, not issued in the future) and the scope, then issues an opaque
 * `ya29.` access token that the KMS routes require as `Authorization: Bearer`.
 * Refusals use Google's OAuth error body `{"error":"invalid_grant","error_description":"..."}`.
 */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const ACCEPTED_SCOPES = ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/cloudkms'];
const MAX_LIFETIME_S = 3600;
const CLOCK_SKEW_S = 300;

export interface OAuthError {
  error: string;
  error_description: string;
}
export type TokenExchange =
  | { ok: true; body: { access_token: string; expires_in: number; token_type: 'Bearer' } }
  | { ok: false; httpStatus: number; body: OAuthError };

interface Issued {
  email: string;
  expiresAt: number;
}

function refuse(error: string, description: string, httpStatus = 400): TokenExchange {
  return { ok: false, httpStatus, body: { error, error_description: description } };
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export class TokenAuthority {
  private readonly accounts = new Map<string, KeyObject>();
  private readonly issued = new Map<string, Issued>();
  tokenRequests = 0;
  tokensIssued = 0;

  /** @param audiences accepted `aud` values: the fake's own token URL(s). */
  constructor(private readonly audiences: () => string[], private readonly tokenLifetimeS = 3600) {}

  /** Registers a service account by its PUBLIC key (PEM, SPKI or a certificate, or a private key whose public half is used). */
  addAccount(clientEmail: string, publicKey: string | KeyObject): void {
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey.type === 'public' ? publicKey : createPublicKey(publicKey);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('service account keys are RSA');
    this.accounts.set(clientEmail, key);
  }

  /** Makes every access token issued so far invalid (the KMS routes then answer UNAUTHENTICATED). */
  revokeAll(): void {
    this.issued.clear();
  }

  exchange(form: URLSearchParams, now = Date.now()): TokenExchange {
    this.tokenRequests++;
    if (form.get('grant_type') !== JWT_BEARER_GRANT) return refuse('unsupported_grant_type', 'Invalid grant_type.');
    const assertion = form.get('assertion') ?? '';
    const parts = assertion.split('.');
    if (parts.length !== 3) return refuse('invalid_request', 'Invalid JWT: the assertion is not a signed JWT.');
    const header = decodeJson(parts[0]);
    const claims = decodeJson(parts[1]);
    if (header === undefined || claims === undefined) return refuse('invalid_grant', 'Invalid JWT: the header or claims are not JSON.');
    if (header['alg'] !== 'RS256') return refuse('invalid_grant', 'Invalid JWT: only RS256 is accepted.');
    const iss = claims['iss'];
    const key = typeof iss === 'string' ? this.accounts.get(iss) : undefined;
    if (key === undefined || typeof iss !== 'string') return refuse('invalid_grant', 'Invalid grant: account not found');
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii');
    if (!verify('RSA-SHA256', signed, key, Buffer.from(parts[2], 'base64url'))) return refuse('invalid_grant', 'Invalid JWT Signature.');
    if (typeof claims['aud'] !== 'string' || !this.audiences().includes(claims['aud'])) return refuse('invalid_grant', 'Invalid JWT: Failed audience check.');
    const iat = claims['iat'];
    const exp = claims['exp'];
    const nowS = Math.floor(now / 1000);
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= nowS || iat > nowS + CLOCK_SKEW_S || exp - iat > MAX_LIFETIME_S) {
      return refuse(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    const scopes = typeof claims['scope'] === 'string' ? claims['scope'].split(' ') : [];
    if (!scopes.some((s) => ACCEPTED_SCOPES.includes(s))) return refuse('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    const token = `ya29.fake-${randomBytes(32).toString('base64url')}`;
    this.issued.set(token, { email: iss, expiresAt: now + this.tokenLifetimeS * 1000 });
    this.tokensIssued++;
    return { ok: true, body: { access_token: token, expires_in: this.tokenLifetimeS - 1, token_type: 'Bearer' } };
  }

  /** The service account an `Authorization` header authenticates, or undefined. */
  authenticate(authorization: string | undefined, now = Date.now()): string | undefined {
    const m = /^Bearer (\S+)$/.exec(authorization ?? '');
    const t = m ? this.issued.get(m[1]) : undefined;
    return t !== undefined && t.expiresAt > now ? t.email : undefined;
  }
}
