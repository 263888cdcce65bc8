import { v2 } from '@google-cloud/logging';
import { JWT } from 'google-auth-library';
import { GOOGLE_TOKEN_URI, GclSettings } from './gcl-config';

/**
 * Builds the SDK client of one sink. Everything that could reach past the configured endpoints
 * is pinned down here:
 * - the low-level generated client (v2.LoggingServiceV2Client) over its REST transport
 *   (`fallback: true`), never the high-level Logging/Log classes, which detect the resource by
 *   probing the metadata server;
 * - the credential is an explicit `authClient` (a service-account JWT client, OAuth token
 *   endpoint = token_uri with aud = token_uri), so nothing looks for Application Default
 *   Credentials or the metadata server (processes still run with METADATA_SERVER_DETECTION=none);
 * - retries are off (gax: no retry codes; gaxios: retry false) and bundling is off, so one
 *   send() is exactly one entries:write request and the logdriver's pipeline is the only retrier.
 *
 * @google-cloud/logging 11 runs on google-gax 4 (google-auth-library 9), whose REST transport
 * spreads `getRequestHeaders()` into a plain object; the JWT client comes from the workspace's
 * google-auth-library 10 (Headers), so a small adapter hands gax a plain object.
 */
export const LOGGING_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const SERVICE = 'google.logging.v2.LoggingServiceV2';

export function buildJwt(s: GclSettings): JWT {
  const jwt = new JWT({
    email: s.clientEmail,
    key: s.privateKey,
    ...(s.privateKeyId !== undefined ? { keyId: s.privateKeyId } : {}),
    scopes: [LOGGING_SCOPE],
    // gtoken signs aud = Google's token URL unless told; the audience is the token_uri.
    additionalClaims: { aud: s.tokenUri },
    // Node's fetch: gaxios would otherwise import node-fetch v3 (ESM) on first use.
    transporterOptions: { timeout: s.timeoutMs, retry: false, fetchImplementation: fetch },
  });
  jwt.transporter.interceptors.request.add({
    resolved: async (opts) => {
      if (String(opts.url) === GOOGLE_TOKEN_URI) opts.url = new URL(s.tokenUri);
      opts.retry = false;
      delete opts.retryConfig;
      return opts;
    },
  });
  // Never self-signed JWT access tokens: always the token endpoint.
  Object.defineProperty(jwt, 'useJWTAccessWithScope', { get: () => false, set: () => undefined, configurable: true });
  return jwt;
}

/** What gax 4's REST transport needs of an auth client. */
interface PlainHeadersAuth {
  universeDomain: string;
  getRequestHeaders(): Promise<Record<string, string>>;
}

function plainHeadersAuth(jwt: JWT): PlainHeadersAuth {
  return {
    universeDomain: 'googleapis.com',
    getRequestHeaders: async () => {
      const headers = await jwt.getRequestHeaders();
      const out: Record<string, string> = {};
      headers.forEach((value, key) => (out[key] = value));
      return out;
    },
  };
}

export type LoggingClient = InstanceType<typeof v2.LoggingServiceV2Client>;
type ClientOptions = NonNullable<ConstructorParameters<typeof v2.LoggingServiceV2Client>[0]>;

export function buildLoggingClient(s: GclSettings, jwt: JWT): LoggingClient {
  const method = { timeout_millis: s.timeoutMs, retry_codes_name: 'non_idempotent', retry_params_name: 'default' };
  // gax's GrpcClient hands `authClient` to google-auth-library's GoogleAuth (not in the typings).
  const options = {
    fallback: true,
    authClient: plainHeadersAuth(jwt),
    clientConfig: { interfaces: { [SERVICE]: { retry_codes: { non_idempotent: [] }, methods: { WriteLogEntries: method } } } },
    ...(s.endpoint === undefined ? {} : { apiEndpoint: s.endpoint.host, port: s.endpoint.port, protocol: s.endpoint.protocol }),
  };
  const client = new v2.LoggingServiceV2Client(options as ClientOptions);
  installPartialErrorDecoding(client);
  return client;
}

/** A REST error body's google.rpc.Status of one entry, as WriteLogEntriesPartialErrors holds it. */
export interface EntryStatus {
  code: number;
  message: string;
}

/** Where the decoded per-entry errors are attached to the SDK's error. */
export const LOG_ENTRY_ERRORS = 'tspLogEntryErrors';
const PARTIAL_ERRORS_TYPE = 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors';
const INSTALLED = Symbol.for('tsp.google-cloud-logging.partial-errors');

type ParseHttpError = (json: unknown) => Error;
interface GoogleErrorClass {
  parseHttpError: ParseHttpError;
  [INSTALLED]?: true;
}

function entryErrors(detail: Record<string, unknown>): Record<string, EntryStatus> {
  const out: Record<string, EntryStatus> = {};
  const map = detail['logEntryErrors'];
  if (typeof map !== 'object' || map === null) return out;
  for (const [k, v] of Object.entries(map as Record<string, unknown>)) {
    const st = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    out[k] = { code: typeof st['code'] === 'number' ? st['code'] : 2, message: typeof st['message'] === 'string' ? st['message'] : '' };
  }
  return out;
}

/**
 * gax 4's REST transport decodes an error body's `details` against the google.rpc protos only:
 * a body that carries google.logging.v2.WriteLogEntriesPartialErrors (what entries:write answers
 * with partialSuccess when some entries failed) makes the decoder throw a generic error, losing
 * both the status and which entries failed. This wraps the transport's error parser once per
 * gax module: that detail (and any other non-google.rpc detail) is taken out of the body before
 * the SDK decodes the rest, and its
 * per-entry statuses are attached to the SDK's error as `tspLogEntryErrors` (index → status).
 */
function installPartialErrorDecoding(client: LoggingClient): void {
  const gaxModule = (client as unknown as { _gaxModule?: { GoogleError?: GoogleErrorClass } })._gaxModule;
  const cls = gaxModule?.GoogleError;
  if (cls === undefined || typeof cls.parseHttpError !== 'function' || cls[INSTALLED] === true) return;
  const original: ParseHttpError = cls.parseHttpError.bind(cls);
  cls.parseHttpError = (json: unknown): Error => {
    let partial: Record<string, EntryStatus> | undefined;
    const body = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : undefined;
    const err = body !== undefined && typeof body['error'] === 'object' && body['error'] !== null ? (body['error'] as Record<string, unknown>) : undefined;
    if (err !== undefined && Array.isArray(err['details'])) {
      const kept: unknown[] = [];
      for (const d of err['details'] as unknown[]) {
        const rec = typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : undefined;
        const type = rec?.['@type'];
        if (type === PARTIAL_ERRORS_TYPE && rec !== undefined) partial = { ...(partial ?? {}), ...entryErrors(rec) };
        // The decoder knows the google.rpc details only; any other type would make it throw.
        else if (typeof type === 'string' && type.startsWith('type.googleapis.com/google.rpc.')) kept.push(d);
      }
      err['details'] = kept;
    }
    const e = original(json);
    if (partial !== undefined) Object.assign(e, { [LOG_ENTRY_ERRORS]: partial });
    return e;
  };
  cls[INSTALLED] = true;
}
