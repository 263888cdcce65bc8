import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import { rawPublicKey } from './keys';

/**
 * Sealing of tenant configs for one service account: one ephemeral X25519 key per document,
 * ECDH with the service account's public key, then a per-tenant AES-256-GCM key from
 * HKDF-SHA256(shared, salt = epk || recipient, info = label || serviceAccountId || tenantId).
 * The same info is the GCM AAD, so a sealed part cannot be moved to another tenant or account.
 */
export const SEAL_ALG = 'X25519-HKDF-SHA256-A256GCM';
const LABEL = 'tsp-config-seal/v1';
const IV_LEN = 12;
const TAG_LEN = 16;

export interface SealedPart {
  /** base64 12-byte IV */
  iv: string;
  /** base64 ciphertext followed by the 16-byte tag */
  ct: string;
}

export interface SealingHeader {
  alg: typeof SEAL_ALG;
  /** base64 raw 32-byte ephemeral public key */
  epk: string;
}

function info(serviceAccountId: string, tenantId: string): Buffer {
  return Buffer.from(`${LABEL}\0${serviceAccountId}\0${tenantId}`, 'utf8');
}

function deriveKey(shared: Buffer, salt: Buffer, serviceAccountId: string, tenantId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, salt, info(serviceAccountId, tenantId), 32));
}

/** Seals many tenants' plaintexts for one recipient with one ephemeral key. */
export class Sealer {
  readonly header: SealingHeader;
  private readonly shared: Buffer;
  private readonly salt: Buffer;

  constructor(recipient: KeyObject, private readonly serviceAccountId: string) {
    const eph = generateKeyPairSync('x25519');
    const epk = rawPublicKey(eph.publicKey);
    this.shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipient });
    this.salt = Buffer.concat([epk, rawPublicKey(recipient)]);
    this.header = { alg: SEAL_ALG, epk: epk.toString('base64') };
  }

  seal(tenantId: string, plaintext: Buffer): SealedPart {
    const key = deriveKey(this.shared, this.salt, this.serviceAccountId, tenantId);
    const iv = randomBytes(IV_LEN);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(info(this.serviceAccountId, tenantId));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    key.fill(0);
    return { iv: iv.toString('base64'), ct: ct.toString('base64') };
  }
}

/** Opens the parts of one document with the service account's private key. */
export class Opener {
  private readonly shared: Buffer;
  private readonly salt: Buffer;

  /**
   * Precondition: header.alg is SEAL_ALG and epk is a 32-byte X25519 public key; otherwise throws.
   */
  constructor(header: SealingHeader, privateKey: KeyObject, publicKey: KeyObject, private readonly serviceAccountId: string) {
    if (header.alg !== SEAL_ALG) throw new Error(`unsupported sealing algorithm ${String(header.alg)}`);
    const epk = Buffer.from(header.epk, 'base64');
    if (epk.length !== 32) throw new Error('sealing epk must be 32 bytes');
    const ephPublic = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: epk.toString('base64url') }, format: 'jwk' });
    this.shared = diffieHellman({ privateKey, publicKey: ephPublic });
    this.salt = Buffer.concat([epk, rawPublicKey(publicKey)]);
  }

  /** Throws a generic error (no detail that could help an attacker) when the part does not open. */
  open(tenantId: string, part: SealedPart): Buffer {
    const iv = Buffer.from(part.iv, 'base64');
    const data = Buffer.from(part.ct, 'base64');
    if (iv.length !== IV_LEN || data.length < TAG_LEN) throw new Error('sealed part is truncated');
    const key = deriveKey(this.shared, this.salt, this.serviceAccountId, tenantId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(info(this.serviceAccountId, tenantId));
      decipher.setAuthTag(data.subarray(data.length - TAG_LEN));
      return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_LEN)), decipher.final()]);
    } catch {
      throw new Error('sealed part failed authentication (wrong recipient key or tampered data)');
    } finally {
      key.fill(0);
    }
  }
}
