import { KeyObject, randomBytes } from 'node:crypto';
import axios, { AxiosInstance } from 'axios';
import type { TenantSecret } from '@tsp/config-crypto';
import { KeyService, RuntimeKmsConfig, RuntimeTenant, SecretCreator, SingleFlight } from '@tsp/key-service';
import { encodeEncryptedDeks, ErrorCode, SecretType, TspError } from '@tsp/tsp-protocol';
import { urlForLogs } from './config-source';
import { tspSaAuthorization } from './sa-signature';

/** Path of the broker's tenant-secret route, next to the config document's. */
export const TENANT_SECRETS_PATH = '/api/v1/tenant-secrets';

const SECRET_LENGTH = 32;
const MAX_BROKER_MESSAGE = 300;

export interface HttpSecretCreatorOptions {
  /** The broker's `POST /api/v1/tenant-secrets` URL (see tenantSecretsUrl). */
  url: URL;
  serviceAccountId: string;
  /** The service account's Ed25519 key: signs each request and its body. */
  signingKey: KeyObject;
  /** Wraps the new secret with the tenant's primary config (a direct KMS call, never leased). */
  keys: Pick<KeyService, 'primary' | 'kmsWrap'>;
  /** Deadline of one broker request, ms. */
  timeoutMs: number;
  /**
   * How long a secret this proxy got from the broker is served from memory while the config
   * documents do not list it yet, ms (default 10 minutes; the long-poll brings it within a second).
   */
  rememberMs?: number;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
}

/**
 * The broker URL of tenant-secret creation for a config document URL: the same base, e.g.
 * `https://broker/api/v1/config-document` → `https://broker/api/v1/tenant-secrets` (no query).
 */
export function tenantSecretsUrl(configUrl: URL): URL {
  const url = new URL('tenant-secrets', configUrl);
  url.search = '';
  url.hash = '';
  return url;
}

/**
 * Creates tenant secrets through the broker (a proxy's derive of a path without a Current
 * secret): 32 random bytes, wrapped by the tenant's primary KMS config and then wiped, sent in a
 * signed `POST /api/v1/tenant-secrets`. The broker keeps at most one Current secret per (tenant,
 * path, type): when another proxy was first, its secret comes back and is the one used.
 *
 * Concurrent creations of one (tenant, path, type) in this process share one request. A secret
 * the broker answered is served from memory until a config document lists it (then the registry
 * has it), or `rememberMs` passes. Every failure is a TspError 401 (SecretCreationFailed) whose
 * message says what failed, never a secret.
 */
export class HttpSecretCreator implements SecretCreator {
  readonly cannotCreateReason = undefined;
  private readonly http: AxiosInstance;
  private readonly flights = new SingleFlight<string, TenantSecret>();
  /** key → the broker's secret and until when it is served; insertion order = expiry order. */
  private readonly answered = new Map<string, { secret: TenantSecret; until: number }>();
  private readonly now: () => number;
  private readonly rememberMs: number;

  constructor(private readonly opts: HttpSecretCreatorOptions) {
    this.now = opts.now ?? Date.now;
    this.rememberMs = opts.rememberMs ?? 600_000;
    this.http = axios.create({ validateStatus: () => true, responseType: 'text', transformResponse: (d: unknown) => d, maxRedirects: 0 });
  }

  /** Secrets answered by the broker that no document has listed yet (for tests and metrics). */
  get remembered(): number {
    return this.answered.size;
  }

  create(t: RuntimeTenant, secretPath: string, secretType: SecretType): Promise<TenantSecret> {
    const key = `${t.tenantId}\0${secretType}\0${secretPath}`;
    const now = this.now();
    this.forgetExpired(now);
    const known = this.answered.get(key);
    if (known !== undefined) {
      // Once the registry lists the secret (in whatever status) the document is the truth again.
      if (!t.secrets.some((s) => s.id === known.secret.id)) return Promise.resolve(known.secret);
      this.answered.delete(key);
    }
    return this.flights.run(key, async () => {
      const secret = await this.createAtBroker(t, secretPath, secretType);
      this.answered.delete(key);
      this.answered.set(key, { secret, until: this.now() + this.rememberMs });
      return secret;
    }).promise;
  }

  private forgetExpired(now: number): void {
    for (const [k, v] of this.answered) {
      if (v.until > now) break;
      this.answered.delete(k);
    }
  }

  private async createAtBroker(t: RuntimeTenant, secretPath: string, secretType: SecretType): Promise<TenantSecret> {
    const what = `Could not create a ${secretType} secret for path '${secretPath}' of tenant '${t.tenantId}'`;
    const encryptedSecret = await this.wrapNewSecret(t, what);
    const body = Buffer.from(JSON.stringify({ tenantId: t.tenantId, secretPath, secretType, encryptedSecret }), 'utf8');
    const url = this.opts.url;
    const authorization = tspSaAuthorization(this.opts.serviceAccountId, this.opts.signingKey, 'POST', url.pathname + url.search, body);
    let status: number;
    let text: string;
    try {
      const res = await this.http.post<string>(url.href, body, {
        headers: { authorization, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      status = res.status;
      text = String(res.data);
    } catch (e) {
      throw failed(`${what}: the broker at ${urlForLogs(url)} could not be reached (${networkReason(e)})`);
    }
    if (status !== 200 && status !== 201) throw failed(`${what}: the broker answered HTTP ${status}${brokerMessage(text)}`);
    const secret = secretOf(text, secretPath, secretType);
    if (secret === undefined) throw failed(`${what}: the broker's answer is not the Current tenant secret asked for`);
    return secret;
  }

  /** 32 random bytes wrapped by the primary config as a base64 EncryptedDeks; the plaintext is wiped. */
  private async wrapNewSecret(t: RuntimeTenant, what: string): Promise<string> {
    let primary: RuntimeKmsConfig;
    try {
      primary = this.opts.keys.primary(t);
    } catch (e) {
      throw failed(`${what}: ${(e as Error).message}`);
    }
    const secret = randomBytes(SECRET_LENGTH);
    try {
      const data = await this.opts.keys.kmsWrap(primary, secret);
      return Buffer.from(encodeEncryptedDeks([{ encryptedDekData: data, kmsConfigId: primary.id }])).toString('base64');
    } catch (e) {
      throw failed(`${what}: wrapping it with KMS config ${primary.id} failed: ${e instanceof Error ? e.message : 'unexpected failure'}`);
    } finally {
      secret.fill(0);
    }
  }
}

function failed(message: string): TspError {
  return new TspError(ErrorCode.SecretCreationFailed, message);
}

/** The broker's `{code, message}` (its messages name fields, never values), shortened. */
function brokerMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof body.message !== 'string') return '';
    const code = typeof body.code === 'string' ? `${body.code}: ` : '';
    return ` (${code}${body.message.slice(0, MAX_BROKER_MESSAGE)})`;
  } catch {
    return '';
  }
}

function networkReason(e: unknown): string {
  const err = e as { code?: unknown; name?: unknown };
  if (typeof err.code === 'string') return err.code === 'ERR_CANCELED' ? 'timed out' : err.code;
  return typeof err.name === 'string' ? err.name : 'network error';
}

/** The answer as a TenantSecret when it is a Current secret of the path and type asked for. */
function secretOf(text: string, secretPath: string, secretType: SecretType): TenantSecret | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const { id, encryptedSecret } = body;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 4294967295) return undefined;
  if (typeof encryptedSecret !== 'string' || encryptedSecret === '') return undefined;
  if (body['secretPath'] !== secretPath || body['secretType'] !== secretType || body['status'] !== 'current') return undefined;
  return Object.freeze({ id, secretPath, secretType, status: 'current', encryptedSecret });
}
