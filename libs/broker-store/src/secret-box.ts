import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets at rest in the broker store: AES-256-GCM under the broker master key.
 *
 * Stored form: `v1:` + base64(iv (12 bytes) | ciphertext | tag (16 bytes)). Every value gets a
 * fresh random IV. The additional authenticated data binds the value to where it lives
 * (table, row id, field), so a ciphertext copied into another row or another column does not
 * open: it fails exactly like a wrong key or a tampered value.
 *
 * The master key is kept in an ES private field (not shown by util.inspect or JSON) and never
 * appears in an error or log message; neither does any plaintext or ciphertext.
 */
export const SECRET_BOX_VERSION = 'v1';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = `${SECRET_BOX_VERSION}:`;

/** Where a sealed value lives; goes into the AAD. */
export interface SecretLocation {
  table: string;
  rowId: string | number;
  field: string;
}

/** Thrown when a stored value does not open; names the location, never a value or the key. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

export class SecretBox {
  readonly #key: Buffer;

  /** Precondition: `masterKey` is exactly 32 bytes (AES-256). The buffer is copied. */
  constructor(masterKey: Buffer) {
    if (!Buffer.isBuffer(masterKey) || masterKey.length !== 32) {
      throw new Error('the broker master key must be 32 bytes');
    }
    this.#key = Buffer.from(masterKey);
  }

  /** Encrypts `plaintext` for `where`; returns the stored form. */
  seal(plaintext: string, where: SecretLocation): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(aad(where));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
  }

  /**
   * Decrypts a stored form sealed for `where`. Throws SecretBoxError when the version is
   * unknown, the value is malformed, the key is wrong, the value was tampered with or it was
   * sealed for another location.
   */
  open(stored: string, where: SecretLocation): string {
    const at = `${where.table}.${where.field} of row ${String(where.rowId)}`;
    if (!stored.startsWith(PREFIX)) throw new SecretBoxError(`stored secret ${at} has an unknown format version`);
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError(`stored secret ${at} is truncated`);
    const iv = raw.subarray(0, IV_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
      decipher.setAAD(aad(where));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(`stored secret ${at} does not open: wrong master key, tampered value or value moved from another row`);
    }
  }

  /** JSON convenience over `seal`. */
  sealJson(value: unknown, where: SecretLocation): string {
    return this.seal(JSON.stringify(value), where);
  }

  /** JSON convenience over `open`. */
  openJson<T>(stored: string, where: SecretLocation): T {
    return JSON.parse(this.open(stored, where)) as T;
  }

  toJSON(): Record<string, never> {
    return {};
  }
}

function aad(where: SecretLocation): Buffer {
  // Length-prefixed parts: no two different locations give the same AAD.
  const parts = [SECRET_BOX_VERSION, where.table, String(where.rowId), where.field].map((p) => Buffer.from(p, 'utf8'));
  const out: Buffer[] = [];
  for (const p of parts) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(p.length);
    out.push(len, p);
  }
  return Buffer.concat(out);
}
