import { createCipheriv, createDecipheriv, createSecretKey, KeyObject, randomBytes, randomUUID } from 'node:crypto';

/**
 * The fake's keys: symmetric AES-256 keys with AWS-like ids, ARNs, aliases and key states.
 * Encrypt is real AES-256-GCM; the encryption context is the AAD, so Decrypt with another
 * context fails like KMS does (InvalidCiphertextException).
 *
 * Ciphertext blob (opaque to clients, like KMS's): version(1) = 0x01 | idLen(1) | keyId(idLen,
 * utf8) | iv(12) | ciphertext | tag(16). The header (version, idLen, keyId) is authenticated
 * too, so Decrypt finds the key from the blob alone, and a blob moved to another key fails.
 */
export type FakeKeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport';

export interface FakeKeySpec {
  /** A UUID; a random one when absent. */
  keyId?: string;
  /** Alias names, each "alias/..." */
  aliases?: string[];
  state?: FakeKeyState;
  /** base64 of 32 bytes; random when absent. */
  material?: string;
}

export interface FakeKeyInfo {
  keyId: string;
  arn: string;
  aliases: string[];
  state: FakeKeyState;
}

interface FakeKey extends FakeKeyInfo {
  material: KeyObject;
}

const VERSION = 0x01;
const IV_LEN = 12;
const TAG_LEN = 16;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ALIAS_RE = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

/** Serialises an encryption context canonically (sorted by key) for use as AAD. */
export function canonicalContext(ctx: Record<string, string>): Buffer {
  const pairs = Object.keys(ctx)
    .sort()
    .map((k) => [k, ctx[k]]);
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}

export type DecryptOutcome =
  | { ok: true; key: FakeKeyInfo; plaintext: Buffer }
  | { ok: false; reason: 'malformed' | 'unknownKey' | 'doesNotAuthenticate'; keyId?: string };

export class FakeKeyStore {
  private readonly keys = new Map<string, FakeKey>();

  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  /** Adds a key, or updates state/aliases of an existing one (material never changes). */
  put(spec: FakeKeySpec): FakeKeyInfo {
    const keyId = spec.keyId ?? randomUUID();
    if (!UUID_RE.test(keyId)) throw new Error('keyId must be a lower-case UUID');
    for (const a of spec.aliases ?? []) if (!ALIAS_RE.test(a)) throw new Error('an alias must look like alias/name');
    const existing = this.keys.get(keyId);
    if (existing !== undefined) {
      if (spec.state !== undefined) existing.state = spec.state;
      if (spec.aliases !== undefined) existing.aliases = [...new Set([...existing.aliases, ...spec.aliases])];
      return info(existing);
    }
    const raw = spec.material === undefined ? randomBytes(32) : Buffer.from(spec.material, 'base64');
    if (raw.length !== 32) throw new Error('material must be base64 of 32 bytes');
    const key: FakeKey = {
      keyId,
      arn: `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`,
      aliases: [...(spec.aliases ?? [])],
      state: spec.state ?? 'Enabled',
      material: createSecretKey(raw),
    };
    this.keys.set(keyId, key);
    return info(key);
  }

  list(): FakeKeyInfo[] {
    return [...this.keys.values()].map(info);
  }

  /** Resolves a key id, key ARN, alias name or alias ARN, as KMS accepts in KeyId. */
  resolve(ref: string): FakeKeyInfo | undefined {
    const k = this.find(ref);
    return k === undefined ? undefined : info(k);
  }

  private find(ref: string): FakeKey | undefined {
    const arnPrefix = `arn:aws:kms:${this.region}:${this.accountId}:`;
    const local = ref.startsWith(arnPrefix) ? ref.slice(arnPrefix.length) : ref;
    if (local.startsWith('key/')) return this.keys.get(local.slice(4));
    if (local.startsWith('alias/')) return [...this.keys.values()].find((k) => k.aliases.includes(local));
    if (ref !== local) return undefined;
    return this.keys.get(local);
  }

  encrypt(keyId: string, plaintext: Buffer, context: Record<string, string>): Buffer {
    const key = this.keys.get(keyId);
    if (key === undefined) throw new Error('unknown key');
    const id = Buffer.from(key.keyId, 'utf8');
    const header = Buffer.concat([Buffer.from([VERSION, id.length]), id]);
    const iv = randomBytes(IV_LEN);
    const cipher = createCipheriv('aes-256-gcm', key.material, iv);
    cipher.setAAD(Buffer.concat([header, canonicalContext(context)]));
    return Buffer.concat([header, iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  /** The key id a blob names, without decrypting it. */
  blobKeyId(blob: Buffer): string | undefined {
    if (blob.length < 2 || blob[0] !== VERSION) return undefined;
    const idLen = blob[1] ?? 0;
    if (blob.length < 2 + idLen + IV_LEN + TAG_LEN) return undefined;
    return blob.subarray(2, 2 + idLen).toString('utf8');
  }

  decrypt(blob: Buffer, context: Record<string, string>): DecryptOutcome {
    const keyId = this.blobKeyId(blob);
    if (keyId === undefined) return { ok: false, reason: 'malformed' };
    const key = this.keys.get(keyId);
    if (key === undefined) return { ok: false, reason: 'unknownKey', keyId };
    const headerLen = 2 + Buffer.byteLength(keyId, 'utf8');
    try {
      const d = createDecipheriv('aes-256-gcm', key.material, blob.subarray(headerLen, headerLen + IV_LEN));
      d.setAAD(Buffer.concat([blob.subarray(0, headerLen), canonicalContext(context)]));
      d.setAuthTag(blob.subarray(blob.length - TAG_LEN));
      const plaintext = Buffer.concat([d.update(blob.subarray(headerLen + IV_LEN, blob.length - TAG_LEN)), d.final()]);
      return { ok: true, key: info(key), plaintext };
    } catch {
      return { ok: false, reason: 'doesNotAuthenticate', keyId };
    }
  }
}

function info(k: FakeKey): FakeKeyInfo {
  return { keyId: k.keyId, arn: k.arn, aliases: [...k.aliases], state: k.state };
}
