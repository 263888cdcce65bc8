import { createCipheriv, createDecipheriv, createSecretKey, KeyObject, randomBytes } from 'node:crypto';

/**
 * Symmetric CryptoKeys (purpose ENCRYPT_DECRYPT) with versions, as Cloud KMS keeps them.
 * Each version is a random AES-256 key; encryption uses the primary version. The ciphertext is
 * opaque to clients, like Google's, and names its version so decryption finds it:
 * version (u32 big-endian) || iv (12) || AES-256-GCM(plaintext, aad) || tag (16).
 */
export type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED';
export const KEY_NAME = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
const IV_LEN = 12;
const TAG_LEN = 16;
const HEADER_LEN = 4;

interface Version {
  key: KeyObject;
  state: VersionState;
}

interface CryptoKey {
  versions: Version[];
  primary: number;
}

export type KeyFailure = { failure: 'not-found' } | { failure: 'disabled'; versionName: string } | { failure: 'invalid-ciphertext' };

export class KeyStore {
  private readonly keys = new Map<string, CryptoKey>();

  /** Creates the key with one enabled version when it does not exist yet. */
  add(name: string): void {
    if (!KEY_NAME.test(name)) throw new Error('a CryptoKey name is projects/P/locations/L/keyRings/R/cryptoKeys/K');
    if (!this.keys.has(name)) this.keys.set(name, { versions: [{ key: createSecretKey(randomBytes(32)), state: 'ENABLED' }], primary: 1 });
  }

  remove(name: string): void {
    this.keys.delete(name);
  }

  names(): string[] {
    return [...this.keys.keys()];
  }

  /** Sets the state of the primary version (DISABLED makes encrypt and decrypt fail with FAILED_PRECONDITION). */
  setState(name: string, state: VersionState): void {
    const k = this.keys.get(name);
    if (k === undefined) throw new Error('no such key');
    k.versions[k.primary - 1].state = state;
  }

  /** Adds a new primary version; ciphertexts of older versions still decrypt. Returns its number. */
  rotate(name: string): number {
    const k = this.keys.get(name);
    if (k === undefined) throw new Error('no such key');
    k.versions.push({ key: createSecretKey(randomBytes(32)), state: 'ENABLED' });
    k.primary = k.versions.length;
    return k.primary;
  }

  encrypt(name: string, plaintext: Buffer, aad: Buffer): { versionName: string; ciphertext: Buffer } | KeyFailure {
    const k = this.keys.get(name);
    if (k === undefined) return { failure: 'not-found' };
    const v = k.versions[k.primary - 1];
    const versionName = `${name}/cryptoKeyVersions/${k.primary}`;
    if (v.state !== 'ENABLED') return { failure: 'disabled', versionName };
    const header = Buffer.alloc(HEADER_LEN);
    header.writeUInt32BE(k.primary);
    const iv = randomBytes(IV_LEN);
    const cipher = createCipheriv('aes-256-gcm', v.key, iv);
    cipher.setAAD(aad);
    return { versionName, ciphertext: Buffer.concat([header, iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]) };
  }

  decrypt(name: string, ciphertext: Buffer, aad: Buffer): { plaintext: Buffer; usedPrimary: boolean } | KeyFailure {
    const k = this.keys.get(name);
    if (k === undefined) return { failure: 'not-found' };
    if (ciphertext.length < HEADER_LEN + IV_LEN + TAG_LEN) return { failure: 'invalid-ciphertext' };
    const n = ciphertext.readUInt32BE(0);
    const v = n >= 1 ? k.versions[n - 1] : undefined;
    if (v === undefined) return { failure: 'invalid-ciphertext' };
    if (v.state !== 'ENABLED') return { failure: 'disabled', versionName: `${name}/cryptoKeyVersions/${n}` };
    try {
      const d = createDecipheriv('aes-256-gcm', v.key, ciphertext.subarray(HEADER_LEN, HEADER_LEN + IV_LEN));
      d.setAAD(aad);
      d.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LEN));
      const plaintext = Buffer.concat([d.update(ciphertext.subarray(HEADER_LEN + IV_LEN, ciphertext.length - TAG_LEN)), d.final()]);
      return { plaintext, usedPrimary: n === k.primary };
    } catch {
      return { failure: 'invalid-ciphertext' };
    }
  }
}
