import { constants, generateKeyPair, KeyObject, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';

/**
 * The keys of the fake vault: each key name has versions (real RSA 2048 key pairs), the newest
 * one last. Wrap/unwrap are real RSA-OAEP(-256) with node:crypto, so a ciphertext made by the
 * SDK's local wrap with the public key (from GET /keys) unwraps here, and vice versa.
 */
export type WrapAlgorithm = 'RSA-OAEP-256' | 'RSA-OAEP';
export const WRAP_ALGORITHMS: readonly WrapAlgorithm[] = ['RSA-OAEP-256', 'RSA-OAEP'];

export interface KeyVersion {
  /** 32 lowercase hex characters, like Key Vault's. */
  readonly version: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly created: number;
}

export interface FakeKey {
  readonly name: string;
  enabled: boolean;
  readonly versions: KeyVersion[];
}

function newKeyPair(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve({ publicKey, privateKey }),
    ),
  );
}

function oaepHash(alg: WrapAlgorithm): string {
  return alg === 'RSA-OAEP-256' ? 'sha256' : 'sha1';
}

export function isWrapAlgorithm(v: unknown): v is WrapAlgorithm {
  return typeof v === 'string' && (WRAP_ALGORITHMS as readonly string[]).includes(v);
}

export class KeyStore {
  private readonly keys = new Map<string, FakeKey>();

  get(name: string): FakeKey | undefined {
    return this.keys.get(name);
  }

  names(): string[] {
    return [...this.keys.keys()];
  }

  /** Creates the key if needed and adds `versions` new versions; returns the key. */
  async create(name: string, versions = 1): Promise<FakeKey> {
    let key = this.keys.get(name);
    if (key === undefined) {
      key = { name, enabled: true, versions: [] };
      this.keys.set(name, key);
    }
    for (let i = 0; i < versions; i++) await this.addVersion(name);
    return key;
  }

  /** A new current version of an existing key (what "rotate" does in Key Vault). */
  async addVersion(name: string): Promise<KeyVersion> {
    const key = this.keys.get(name);
    if (key === undefined) throw new Error(`no key ${name}`);
    const { publicKey, privateKey } = await newKeyPair();
    const v: KeyVersion = { version: randomBytes(16).toString('hex'), privateKey, publicKey, created: Math.floor(Date.now() / 1000) };
    key.versions.push(v);
    return v;
  }

  /** The version named, or the newest one when `version` is empty. */
  find(name: string, version: string): KeyVersion | undefined {
    const key = this.keys.get(name);
    if (key === undefined || key.versions.length === 0) return undefined;
    if (version === '') return key.versions[key.versions.length - 1];
    return key.versions.find((v) => v.version === version);
  }
}

export function wrapWith(v: KeyVersion, alg: WrapAlgorithm, plaintext: Buffer): Buffer {
  return publicEncrypt({ key: v.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(alg) }, plaintext);
}

/** Throws when the ciphertext does not decrypt under this version (wrong key, tampered). */
export function unwrapWith(v: KeyVersion, alg: WrapAlgorithm, ciphertext: Buffer): Buffer {
  return privateDecrypt({ key: v.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(alg) }, ciphertext);
}

/** The public JWK of a version as Key Vault returns it in a KeyBundle (n, e base64url). */
export function publicJwk(v: KeyVersion, kid: string): Record<string, unknown> {
  const jwk = v.publicKey.export({ format: 'jwk' });
  return {
    kid,
    kty: 'RSA',
    key_ops: ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'],
    n: jwk.n,
    e: jwk.e,
  };
}
