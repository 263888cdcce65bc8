import { readFile } from 'node:fs/promises';
import Ajv from 'ajv';
import type { KmsConfig, KmsType } from '@tsp/config-crypto';
import { KmsCallContext, KmsProvider, KmsProviderRegistry } from '@tsp/kms-core';
import { describeAjvError, TspError } from '@tsp/tsp-protocol';

/**
 * The broker master key (32 bytes: encrypts credentials and tenant secrets at rest, and keys the
 * admin sessions) comes in one of two ways, exactly one of them set:
 *   - TSP_BROKER_MASTER_KEY: base64 of the 32 bytes, or
 *   - TSP_BROKER_MASTER_KEY_WRAPPED (base64 of the 32 bytes wrapped by a KMS, from
 *     `tsp-admin broker-master-key`) with TSP_BROKER_MASTER_KEY_KMS: the KMS config that unwraps
 *     it, as JSON {type, keyPath, credentials, endpoint?} (the fields of a config document's
 *     kmsConfigs entry, see docs/config-document.md), or the path of a file holding that JSON
 *     (a value starting with `{` is JSON, anything else a path).
 * The wrapped key is unwrapped once, at start, by the same provider code the proxy uses for
 * tenant keys; after that it is used exactly like the plain one.
 */
export const PLAIN_VARIABLE = 'TSP_BROKER_MASTER_KEY';
export const WRAPPED_VARIABLE = 'TSP_BROKER_MASTER_KEY_WRAPPED';
export const KMS_VARIABLE = 'TSP_BROKER_MASTER_KEY_KMS';

/**
 * The broker is the "tenant" of its own key in the KMS binding (AWS encryption context, GCP
 * AAD, the Azure and local tags). Config id 0 is never a tenant's (tenant config ids are >= 1),
 * so no tenant config, even of a tenant named like the broker on the same KMS key, can unwrap
 * the broker's key through a proxy, and the broker's wrapped key is no tenant's EDEK.
 * Changing these values makes every wrapped master key unreadable.
 */
export const MASTER_KEY_BINDING: Readonly<Pick<KmsCallContext, 'tenantId' | 'kmsConfigId'>> = Object.freeze({ tenantId: 'tsp-config-broker', kmsConfigId: 0 });

/** Longest wait for the KMS at start (each call; the provider retries a network failure once within it). */
export const MASTER_KEY_KMS_TIMEOUT_MS = 10_000;

const MASTER_KEY_LENGTH = 32;
/** Larger than any provider's wrapped 32 bytes (Azure RSA-4096: 512 bytes). */
const MAX_WRAPPED_BYTES = 8192;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/** What TSP_BROKER_MASTER_KEY_KMS holds: a KMS config without the config-document bookkeeping (id, active, primary, leasing). */
export interface MasterKeyKms {
  type: KmsType;
  keyPath: Record<string, unknown>;
  credentials: Record<string, unknown>;
  endpoint?: string;
}

export type MasterKeySetting =
  | { kind: 'plain'; key: Buffer }
  | { kind: 'kms'; wrapped: Buffer; kms: { config: MasterKeyKms } | { file: string } };

const kmsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'keyPath', 'credentials'],
  properties: {
    type: { type: 'string', enum: ['local', 'aws', 'gcp', 'azure'] },
    keyPath: { type: 'object' },
    credentials: { type: 'object' },
    endpoint: { type: 'string', minLength: 1 },
  },
} as const;
const validateKms = new Ajv({ allErrors: true, strict: true }).compile<MasterKeyKms>(kmsSchema);

/**
 * Parses the text of a master-key KMS config (the variable's JSON or a file's content). Problems
 * are prefixed by `source` and never hold a value (not even JSON.parse's message, which quotes
 * the text).
 */
export function parseMasterKeyKms(text: string, source: string): { config?: MasterKeyKms; problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problems: [`${source} is not valid JSON`] };
  }
  if (!validateKms(value)) return { problems: (validateKms.errors ?? []).map((e) => `${source}: ${describeAjvError(e, 'the KMS config')}`) };
  return { config: value, problems: [] };
}

/**
 * Reads the three master-key variables ('' = not set) into one setting; every problem is pushed
 * to `problems`, naming the variables, never a value. Returns undefined when there are problems.
 */
export function parseMasterKeySetting(raw: { plain: string; wrapped: string; kms: string }, problems: string[]): MasterKeySetting | undefined {
  const plain = raw.plain.trim();
  const wrapped = raw.wrapped.trim();
  const kms = raw.kms.trim();
  const before = problems.length;
  if (plain !== '' && (wrapped !== '' || kms !== '')) {
    problems.push(`set either ${PLAIN_VARIABLE} or ${WRAPPED_VARIABLE} with ${KMS_VARIABLE} (the broker master key), not both`);
    return undefined;
  }
  if (plain === '' && wrapped === '' && kms === '') {
    problems.push(`the broker master key is required: set ${PLAIN_VARIABLE}, or ${WRAPPED_VARIABLE} with ${KMS_VARIABLE}`);
    return undefined;
  }
  if (plain !== '') {
    const key = Buffer.from(plain, 'base64');
    if (key.length !== MASTER_KEY_LENGTH || !BASE64_RE.test(plain)) {
      problems.push(`${PLAIN_VARIABLE} must be base64 of exactly 32 bytes`);
      return undefined;
    }
    return { kind: 'plain', key };
  }
  if (wrapped === '') problems.push(`${KMS_VARIABLE} needs ${WRAPPED_VARIABLE} (the wrapped master key it unwraps)`);
  if (kms === '') problems.push(`${WRAPPED_VARIABLE} needs ${KMS_VARIABLE} (the KMS config that unwraps it)`);
  const bytes = Buffer.from(wrapped, 'base64');
  if (wrapped !== '' && (!BASE64_RE.test(wrapped) || bytes.length === 0 || bytes.length > MAX_WRAPPED_BYTES)) {
    problems.push(`${WRAPPED_VARIABLE} must be base64 of a wrapped key (the output of tsp-admin broker-master-key)`);
  }
  let source: { config: MasterKeyKms } | { file: string } | undefined;
  if (kms.startsWith('{')) {
    const parsed = parseMasterKeyKms(kms, KMS_VARIABLE);
    problems.push(...parsed.problems);
    if (parsed.config !== undefined) source = { config: parsed.config };
  } else if (kms !== '') {
    source = { file: kms };
  }
  if (problems.length > before || source === undefined) return undefined;
  return { kind: 'kms', wrapped: bytes, kms: source };
}

/**
 * The KMS types the broker can unwrap its master key with: the proxy's providers. Loaded on
 * demand: the cloud SDKs take a second or more to load, which a broker with a plain key (and
 * every test that starts one) should not pay.
 */
export async function loadBrokerKmsProviders(timeoutMs: number = MASTER_KEY_KMS_TIMEOUT_MS): Promise<KmsProviderRegistry> {
  const [local, aws, gcp, azure] = await Promise.all([import('@tsp/kms-local'), import('@tsp/kms-aws'), import('@tsp/kms-gcp'), import('@tsp/kms-azure')]);
  return new KmsProviderRegistry()
    .register(local.localKmsFactory)
    .register(aws.awsKmsFactory)
    .register(gcp.createGcpKmsFactory({ timeoutMs }))
    .register(azure.azureKmsFactory);
}

export interface MasterKeyOptions {
  /** The registry, or how to load it (called only for a wrapped key). */
  providers: KmsProviderRegistry | (() => Promise<KmsProviderRegistry>);
  /** Deadline of the KMS call (default MASTER_KEY_KMS_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Reads a KMS config file (default: the file system, UTF-8). */
  readFile?: (path: string) => Promise<string>;
}

/**
 * The 32-byte master key: the plain one as it is, or the wrapped one unwrapped by its KMS.
 * Throws one Error naming the variables and keeping the provider's message (never a secret)
 * when the KMS config is wrong, the KMS refuses or does not answer in time.
 */
export async function resolveMasterKey(setting: MasterKeySetting, opts: MasterKeyOptions): Promise<Buffer> {
  if (setting.kind === 'plain') return Buffer.from(setting.key);
  const kms = await loadKms(setting.kms, opts.readFile ?? ((p) => readFile(p, 'utf8')));
  const providers = typeof opts.providers === 'function' ? await opts.providers() : opts.providers;
  const key = await withProvider(kms, providers, KMS_VARIABLE, (provider, ctx) => provider.unwrap(setting.wrapped, ctx), opts.timeoutMs, (e) =>
    new Error(`the broker master key could not be unwrapped (${WRAPPED_VARIABLE} with the ${kms.type} KMS of ${KMS_VARIABLE}): ${e}`),
  );
  try {
    return Buffer.from(key);
  } finally {
    key.fill(0);
  }
}

/** The settings with the master key made usable: what the rest of the broker is given. */
export async function withMasterKey<T extends { masterKey: MasterKeySetting }>(settings: T, opts: MasterKeyOptions): Promise<Readonly<Omit<T, 'masterKey'> & { masterKey: Buffer }>> {
  const masterKey = await resolveMasterKey(settings.masterKey, opts);
  return Object.freeze({ ...settings, masterKey });
}

/** Wraps a 32-byte master key with a KMS, bound to the broker (MASTER_KEY_BINDING): the bytes of TSP_BROKER_MASTER_KEY_WRAPPED. */
export async function wrapMasterKey(key: Buffer, kms: MasterKeyKms, opts: Omit<MasterKeyOptions, 'readFile'>, source = 'the KMS config'): Promise<Buffer> {
  if (key.length !== MASTER_KEY_LENGTH) throw new Error('the broker master key must be exactly 32 bytes');
  const providers = typeof opts.providers === 'function' ? await opts.providers() : opts.providers;
  const wrapped = await withProvider(kms, providers, source, (provider, ctx) => provider.wrap(key, ctx), opts.timeoutMs, (e) =>
    new Error(`the broker master key could not be wrapped by the ${kms.type} KMS: ${e}`),
  );
  return Buffer.from(wrapped);
}

async function loadKms(source: { config: MasterKeyKms } | { file: string }, read: (path: string) => Promise<string>): Promise<MasterKeyKms> {
  if ('config' in source) return source.config;
  let text: string;
  try {
    text = await read(source.file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${KMS_VARIABLE}: cannot read the KMS config file ${source.file}${code === undefined ? '' : ` (${code})`}`);
  }
  const parsed = parseMasterKeyKms(text, `${KMS_VARIABLE} file ${source.file}`);
  if (parsed.config === undefined) throw new Error(`Invalid configuration:\n  - ${parsed.problems.join('\n  - ')}`);
  return parsed.config;
}

function asKmsConfig(kms: MasterKeyKms): KmsConfig {
  return {
    id: MASTER_KEY_BINDING.kmsConfigId,
    type: kms.type,
    active: true,
    primary: true,
    keyPath: kms.keyPath,
    credentials: kms.credentials,
    ...(kms.endpoint === undefined ? {} : { endpoint: kms.endpoint }),
  };
}

/**
 * Validates the config with its provider, runs one call bound to the broker under a deadline
 * (the signal aborts the SDK call; the race bounds a provider that ignores it), then closes the
 * provider so no SDK client or socket outlives the call.
 */
async function withProvider<T>(
  kms: MasterKeyKms,
  providers: KmsProviderRegistry,
  source: string,
  call: (provider: KmsProvider, ctx: KmsCallContext) => Promise<T>,
  timeoutMs: number = MASTER_KEY_KMS_TIMEOUT_MS,
  failure: (reason: string) => Error,
): Promise<T> {
  const config = asKmsConfig(kms);
  const prefix = `kmsConfigs id ${config.id}: `;
  const problems = providers.validate(config).map((p) => `${source}: ${p.startsWith(prefix) ? p.slice(prefix.length) : p}`);
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  const provider = providers.create(config);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const pending = call(provider, { ...MASTER_KEY_BINDING, signal: controller.signal });
  pending.catch(() => undefined); // settled after the deadline: already reported
  try {
    return await Promise.race([pending, deadline]);
  } catch (e) {
    const reason = e instanceof TspError ? `${e.message} (code ${e.code})` : e instanceof Error ? e.message : String(e);
    throw failure(reason);
  } finally {
    clearTimeout(timer);
    provider.close();
  }
}
