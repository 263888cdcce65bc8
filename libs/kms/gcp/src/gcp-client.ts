import { AsyncLocalStorage } from 'node:async_hooks';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import { JWT } from 'google-auth-library';
import { GOOGLE_TOKEN_URI, GcpSettings } from './gcp-config';

/**
 * Builds the one SDK client of a provider. Everything that could reach past the configured
 * endpoints is pinned down here:
 * - the credential is an explicit `authClient` (a service-account JWT client), so neither the
 *   KMS client nor google-auth-library looks for Application Default Credentials or probes the
 *   metadata server (processes should still run with METADATA_SERVER_DETECTION=none);
 * - the JWT client always uses the OAuth token endpoint (`token_uri`, JWT with aud = token_uri,
 *   as Google's own libraries do), never self-signed JWT access tokens;
 * - retries are off everywhere (gax: Encrypt/Decrypt as non-idempotent; gaxios: retry false,
 *   which also covers gtoken's token request), so BaseKmsProvider's single retry on 208 is the
 *   only one;
 * - every HTTP request has a timeout, and KMS requests are also aborted by the call's signal.
 */
export const KMS_SCOPE = 'https://www.googleapis.com/auth/cloudkms';
const SERVICE = 'google.cloud.kms.v1.KeyManagementService';

/** The caller's deadline, carried to the HTTP layer of the KMS request it starts. */
const callSignal = new AsyncLocalStorage<AbortSignal>();

export function runWithSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  return callSignal.run(signal, fn);
}

export function buildAuthClient(s: GcpSettings, timeoutMs: number): JWT {
  const jwt = new JWT({
    email: s.clientEmail,
    key: s.privateKey,
    scopes: [KMS_SCOPE],
    // gtoken signs aud = Google's token URL unless told; the audience is the token_uri.
    additionalClaims: { aud: s.tokenUri },
    // Node's fetch: gaxios would otherwise import node-fetch v3 (ESM) on first use.
    transporterOptions: { timeout: timeoutMs, retry: false, fetchImplementation: fetch },
  });
  jwt.transporter.interceptors.request.add({
    resolved: async (opts) => {
      const isToken = String(opts.url) === GOOGLE_TOKEN_URI;
      if (isToken) opts.url = new URL(s.tokenUri);
      opts.retry = false;
      delete opts.retryConfig;
      const signal = callSignal.getStore();
      // A token request may be shared by concurrent calls: it keeps only its timeout.
      if (!isToken && signal !== undefined) opts.signal = opts.signal ? AbortSignal.any([opts.signal, signal]) : signal;
      return opts;
    },
  });
  // The KMS client sets useJWTAccessWithScope = true (self-signed JWTs, no token endpoint).
  Object.defineProperty(jwt, 'useJWTAccessWithScope', { get: () => false, set: () => undefined, configurable: true });
  return jwt;
}

function noRetries(timeoutMs: number): object {
  const method = { timeout_millis: timeoutMs, retry_codes_name: 'non_idempotent', retry_params_name: 'default' };
  return { interfaces: { [SERVICE]: { methods: { Encrypt: method, Decrypt: method } } } };
}

export function buildKmsClient(s: GcpSettings, authClient: JWT, timeoutMs: number): KeyManagementServiceClient {
  return new KeyManagementServiceClient({
    fallback: true,
    authClient,
    clientConfig: noRetries(timeoutMs),
    ...(s.endpoint === undefined ? {} : { apiEndpoint: s.endpoint.host, port: s.endpoint.port, protocol: s.endpoint.protocol }),
  });
}
