import { ClientSecretCredential } from '@azure/identity';
import { CryptographyClient, KeyClient, KeyClientOptions, WrapKeyOptions } from '@azure/keyvault-keys';
import { decodeAzureKeyVersionAndData, encodeAzureKeyVersionAndData, ErrorCode, TspError } from '@tsp/tsp-protocol';
import type { KmsConfig } from '@tsp/config-crypto';
import { BaseKmsProvider, KmsCallContext, KmsProviderFactory } from '@tsp/kms-core';
import { AzureSettings, azureConfigProblems, isLoopbackUrl, KNOWN_AUTHORITY_HOSTS, readAzureConfig } from './azure-config';
import { mapAzureError } from './azure-errors';
import { bindToTenant, unbindFromTenant } from './tenant-binding';
import { untilDeadline } from './deadline';

/**
 * The `azure` provider: RSA-OAEP-256 wrapKey/unwrapKey on a Key Vault (or Managed HSM) RSA key,
 * authenticated as an app registration with a client secret (ClientSecretCredential).
 *
 * Provider bytes = AzureKeyVersionAndData { encryptedDekData, keyVersion }: wrap always uses the
 * key's CURRENT version (a key id without version) and records the version Key Vault used (the
 * `kid` of the wrapkey reply); unwrap uses exactly that version, so rotating the key never
 * breaks old EDEKs. Legacy provider bytes that are the raw RSA ciphertext (no protobuf, no
 * version) are unwrapped with the current version. The plaintext is tenant-bound, see
 * tenant-binding.ts.
 *
 * SDK use: one ClientSecretCredential and one KeyClient (one HTTP pipeline, one challenge /
 * token cache) per provider instance; CryptographyClients come from KeyClient.getCryptographyClient
 * and share that pipeline: one for the current version, and a few cached per recorded version.
 * A CryptographyClient first GETs the key once (when permitted) to check it locally; the SDK
 * cannot do RSA-OAEP-256 locally, so both wrapKey and unwrapKey are remote calls. SDK retries
 * are off (retryOptions.maxRetries 0) on both the vault and the token pipeline: BaseKmsProvider
 * retries a network failure (208) exactly once. Every call carries ctx.signal and is also raced
 * against it, so a call never outlives its deadline.
 */
export interface AzureProviderOptions {
  /**
   * Extra CA certificates (PEM) trusted for the vault and the authority, replacing the default
   * list for these clients. For tests and private deployments; in production prefer
   * NODE_EXTRA_CA_CERTS. Not part of the tenant config.
   */
  tlsCa?: string | Buffer;
}

const ALGORITHM = 'RSA-OAEP-256';
/** Key Vault versions are 32 hex characters; anything outside this never reaches a URL path. */
const VERSION_RE = /^[0-9A-Za-z]{1,64}$/;
const MAX_VERSION_CLIENTS = 32;
/**
 * The client for the current version keeps what its first GET returned (attributes such as
 * expiry, checked locally by the SDK); it is rebuilt this often so such changes are seen.
 * Wrapping itself always goes to the key's newest version (no version in the request path).
 */
const CURRENT_CLIENT_TTL_MS = 10 * 60 * 1000;
type OnResponse = NonNullable<WrapKeyOptions['onResponse']>;

/** Parses provider bytes: AzureKeyVersionAndData, or legacy raw ciphertext (version ''). */
export function parseProviderBytes(data: Uint8Array): { ciphertext: Uint8Array; version: string } {
  try {
    const d = decodeAzureKeyVersionAndData(data);
    // Accept as the protobuf form only when it re-encodes to the same bytes: raw RSA ciphertext
    // (the size of the modulus, random-looking) is a canonical encoding of both fields with
    // negligible probability.
    if (d.keyVersion !== '' && d.encryptedDekData.length > 0 && Buffer.from(encodeAzureKeyVersionAndData(d)).equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) {
      return { ciphertext: d.encryptedDekData, version: d.keyVersion };
    }
  } catch {
    /* not protobuf: legacy raw ciphertext */
  }
  return { ciphertext: data, version: '' };
}

export class AzureKmsProvider extends BaseKmsProvider {
  readonly type = 'azure' as const;
  private readonly keyClient: KeyClient;
  private current: CryptographyClient;
  private currentSince = Date.now();
  private readonly byVersion = new Map<string, CryptographyClient>();

  constructor(private readonly settings: AzureSettings, options: AzureProviderOptions = {}) {
    super();
    const tls = options.tlsCa !== undefined ? { tlsOptions: { ca: options.tlsCa } } : {};
    const credential = new ClientSecretCredential(settings.tenantGuid, settings.clientId, settings.clientSecret, {
      authorityHost: settings.authorityHost,
      disableInstanceDiscovery: !KNOWN_AUTHORITY_HOSTS.has(new URL(settings.authorityHost).hostname),
      retryOptions: { maxRetries: 0 },
      ...tls,
    });
    const loopbackVault = isLoopbackUrl(settings.vaultBaseUrl);
    const clientOptions: KeyClientOptions = {
      retryOptions: { maxRetries: 0 },
      // The challenge names resource https://vault.azure.net; a loopback vault is not a
      // subdomain of it, so verification is skipped there and only there.
      disableChallengeResourceVerification: loopbackVault,
      allowInsecureConnection: loopbackVault && settings.vaultBaseUrl.startsWith('http:'),
      ...tls,
    };
    this.keyClient = new KeyClient(settings.vaultBaseUrl, credential, clientOptions);
    this.current = this.keyClient.getCryptographyClient(settings.keyName);
  }

  private currentClient(): CryptographyClient {
    if (Date.now() - this.currentSince > CURRENT_CLIENT_TTL_MS) {
      this.current = this.keyClient.getCryptographyClient(this.settings.keyName);
      this.currentSince = Date.now();
    }
    return this.current;
  }

  private clientFor(version: string): CryptographyClient {
    if (version === '') return this.currentClient();
    let c = this.byVersion.get(version);
    if (c === undefined) {
      if (this.byVersion.size >= MAX_VERSION_CLIENTS) this.byVersion.delete(this.byVersion.keys().next().value as string);
      c = this.keyClient.getCryptographyClient(this.settings.keyName, { keyVersion: version });
      this.byVersion.set(version, c);
    }
    return c;
  }

  /** The version in a kid `<vault>/keys/<name>/<version>`, if it names our key. */
  private versionOf(kid: string | undefined): string | undefined {
    if (kid === undefined) return undefined;
    try {
      const parts = new URL(kid).pathname.split('/');
      return parts.length === 4 && parts[1] === 'keys' && parts[2] === this.settings.keyName && VERSION_RE.test(parts[3]) ? parts[3] : undefined;
    } catch {
      return undefined;
    }
  }

  protected async doWrap(dek: Buffer, ctx: KmsCallContext): Promise<Uint8Array> {
    const bound = bindToTenant(dek, ctx);
    let kid: string | undefined;
    const onResponse: OnResponse = (raw) => {
      const body: unknown = raw.parsedBody;
      if (raw.status === 200 && raw.request.url.includes('/wrapkey') && typeof body === 'object' && body !== null) {
        const k = (body as Record<string, unknown>)['kid'];
        if (typeof k === 'string') kid = k;
      }
    };
    try {
      const r = await untilDeadline(ctx.signal, this.currentClient().wrapKey(ALGORITHM, bound, { abortSignal: ctx.signal, onResponse }));
      const version = this.versionOf(kid) ?? this.versionOf(r.keyID);
      if (version === undefined) throw new TspError(ErrorCode.KmsWrapFailed, 'Azure Key Vault wrapKey reply did not name the key version used');
      return encodeAzureKeyVersionAndData({ encryptedDekData: r.result, keyVersion: version });
    } finally {
      bound.fill(0);
    }
  }

  protected async doUnwrap(data: Uint8Array, ctx: KmsCallContext): Promise<Buffer> {
    const { ciphertext, version } = parseProviderBytes(data);
    if (version !== '' && !VERSION_RE.test(version)) throw new TspError(ErrorCode.KmsUnwrapFailed, 'Azure Key Vault unwrap failed: the EDEK names an invalid key version');
    const call = this.clientFor(version).unwrapKey(ALGORITHM, ciphertext, { abortSignal: ctx.signal });
    const r = await untilDeadline(ctx.signal, call, (late) => late.result.fill(0));
    return unbindFromTenant(r.result, ctx);
  }

  protected mapError(e: unknown, op: 'wrap' | 'unwrap'): TspError {
    return mapAzureError(e, op, [this.settings.clientSecret]);
  }

  override close(): void {
    this.byVersion.clear();
  }
}

/** A factory; `options` are process-level (e.g. a private CA), never tenant data. */
export function createAzureKmsFactory(options: AzureProviderOptions = {}): KmsProviderFactory {
  return {
    type: 'azure',
    validate: (config: KmsConfig) => azureConfigProblems(config),
    create: (config: KmsConfig) => new AzureKmsProvider(readAzureConfig(config), options),
  };
}

export const azureKmsFactory: KmsProviderFactory = createAzureKmsFactory();
