import { AuthenticationError, AuthenticationRequiredError, CredentialUnavailableError } from '@azure/identity';
import { ErrorCode, ErrorCodeValue, TspError } from '@tsp/tsp-protocol';

/**
 * The one table from Azure SDK errors to TSP codes (204–210). Key Vault errors arrive as
 * RestError {statusCode, code: error.code, details.error.innerError.code}; Entra ID token errors
 * as AuthenticationError {statusCode, errorResponse: {error, errorDescription, errorCodes}};
 * transport failures as RestError without statusCode (code ECONNRESET, REQUEST_SEND_ERROR...);
 * the deadline as AbortError.
 *
 * | source / condition                                         | code |
 * |------------------------------------------------------------|------|
 * | deadline (AbortError), socket errors, no HTTP response     | 208  |
 * | Key Vault / Entra 5xx (ServiceUnavailable, 500, 502, 504)  | 208  |
 * | Entra network_error, temporarily_unavailable, 5xx          | 208  |
 * | Entra AADSTS7000112 (application disabled by the tenant)   | 210  |
 * | Entra 429 or AADSTS50196 (request loop throttling)         | 209  |
 * | Entra other errors: invalid_client (wrong secret, 7000215),| 206  |
 * |   unknown app (700016), unknown tenant (90002); vault 401  |      |
 * | Key Vault 403 (AccessDenied, ForbiddenByRbac, KeyDisabled) | 207  |
 * | Key Vault 404 (KeyNotFound, VaultNotFound)                 | 207  |
 * | Key Vault or Entra 429 (Throttled)                         | 209  |
 * | anything else (400 BadParameter: bad ciphertext, ...)      | 204 wrap / 205 unwrap |
 *
 * Why AADSTS7000112 is the account problem: the credentials are right (a wrong secret is
 * AADSTS7000215 → 206), but the tenant's administrator disabled the application/service
 * principal; only an account-level action on the tenant's side fixes it, like a suspended AWS
 * account. The message keeps the provider's text; secrets and bearer tokens are scrubbed.
 */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'REQUEST_SEND_ERROR',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const ACCOUNT_AADSTS = new Set([7000112]);
const MAX_MESSAGE = 400;

function field(e: unknown, name: string): unknown {
  return typeof e === 'object' && e !== null ? (e as Record<string, unknown>)[name] : undefined;
}

/** The Key Vault inner error code (e.g. KeyDisabled, AccessDenied), when the SDK parsed one. */
function innerCode(e: unknown): string | undefined {
  const inner = field(field(field(e, 'details'), 'error'), 'innerError');
  const code = field(inner, 'code');
  return typeof code === 'string' ? code : undefined;
}

/**
 * What an Entra ID (token) failure says. @azure/identity gives AuthenticationError with the
 * parsed body for some flows, but for ClientSecretCredential MSAL's ServerError arrives as
 * AuthenticationRequiredError / CredentialUnavailableError carrying only MSAL's message
 * "<oauth error>: Error(s): <codes> - ... Description: AADSTS<code>: ...", so that is parsed.
 */
interface EntraFailure {
  status: number | undefined;
  oauth: string;
  aadsts: number[];
}

function entraFailure(e: unknown): EntraFailure | undefined {
  if (e instanceof AuthenticationError) {
    const text = `${e.errorResponse.errorDescription ?? ''} ${e.message}`;
    return { status: e.statusCode, oauth: e.errorResponse.error, aadsts: [...(e.errorResponse.errorCodes ?? []), ...aadstsIn(text)] };
  }
  if (e instanceof AuthenticationRequiredError || e instanceof CredentialUnavailableError) {
    return { status: undefined, oauth: /^([a-z_]+):/.exec(e.message)?.[1] ?? 'credential_error', aadsts: aadstsIn(e.message) };
  }
  return undefined;
}

function aadstsIn(text: string): number[] {
  const listed = /Error\(s\): ([\d, ]+)/.exec(text)?.[1].split(/[, ]+/).filter((x) => x !== '').map(Number) ?? [];
  return [...listed, ...[...text.matchAll(/AADSTS(\d+)/g)].map((m) => Number(m[1]))];
}

/** Entra codes and oauth errors that mean "try again later" rather than "wrong credentials". */
const ENTRA_THROTTLED = new Set([50196]);
const ENTRA_TRANSIENT = new Set(['network_error', 'temporarily_unavailable', 'endpoints_resolution_error', 'server_error']);

/** Removes secrets, bearer tokens and JWTs from a provider message and bounds its length. */
export function scrub(message: string, secrets: readonly string[]): string {
  let m = message;
  for (const s of secrets) if (s !== '') m = m.split(s).join('[redacted]');
  m = m.replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]').replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[token]');
  m = m.replace(/\s+/g, ' ').trim();
  return m.length > MAX_MESSAGE ? `${m.slice(0, MAX_MESSAGE)}...` : m;
}

function codeFor(e: unknown, op: 'wrap' | 'unwrap'): { code: ErrorCodeValue; what: string } {
  const fallback = op === 'wrap' ? ErrorCode.KmsWrapFailed : ErrorCode.KmsUnwrapFailed;
  if (field(e, 'name') === 'AbortError') return { code: ErrorCode.KmsUnreachable, what: 'deadline exceeded' };
  const entra = entraFailure(e);
  if (entra !== undefined) {
    const what = `Entra ID ${entra.status ?? ''} ${entra.oauth}`.replace(/\s+/g, ' ');
    if (entra.aadsts.some((c) => ACCOUNT_AADSTS.has(c))) return { code: ErrorCode.KmsAccountIssue, what };
    if (entra.status === 429 || entra.aadsts.some((c) => ENTRA_THROTTLED.has(c))) return { code: ErrorCode.KmsThrottled, what };
    if ((entra.status ?? 0) >= 500 || ENTRA_TRANSIENT.has(entra.oauth)) return { code: ErrorCode.KmsUnreachable, what };
    return { code: ErrorCode.KmsAuthorizationFailed, what };
  }
  const status = field(e, 'statusCode');
  const code = field(e, 'code');
  if (typeof status !== 'number') {
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return { code: ErrorCode.KmsUnreachable, what: code };
    return { code: fallback, what: 'error' };
  }
  const label = [status, typeof code === 'string' ? code : undefined, innerCode(e)].filter((x) => x !== undefined).join(' ');
  if (status === 401) return { code: ErrorCode.KmsAuthorizationFailed, what: label };
  if (status === 403 || status === 404) return { code: ErrorCode.KmsConfigurationInvalid, what: label };
  if (status === 429) return { code: ErrorCode.KmsThrottled, what: label };
  if (status >= 500) return { code: ErrorCode.KmsUnreachable, what: label };
  return { code: fallback, what: label };
}

/** Maps an error of one Azure call (wrap or unwrap) to a TspError; secrets never appear. */
export function mapAzureError(e: unknown, op: 'wrap' | 'unwrap', secrets: readonly string[]): TspError {
  const { code, what } = codeFor(e, op);
  const raw = e instanceof Error ? e.message : String(e);
  return new TspError(code, `Azure Key Vault ${op === 'wrap' ? 'wrapKey' : 'unwrapKey'} failed (${what}): ${scrub(raw, secrets)}`);
}
