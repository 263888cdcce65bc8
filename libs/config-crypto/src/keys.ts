import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';

/**
 * Key encoding for service accounts and the broker: base64 of DER (PKCS#8 for private keys,
 * SPKI for public keys). X25519 opens sealed tenant configs; Ed25519 signs documents/requests.
 */
export type KeyKind = 'x25519' | 'ed25519';

export interface EncodedKeyPair {
  /** base64 PKCS#8 DER: a secret, never logged. */
  privateKey: string;
  /** base64 SPKI DER. */
  publicKey: string;
}

export function generateEncodedKeyPair(kind: KeyKind): EncodedKeyPair {
  const { privateKey, publicKey } =
    kind === 'x25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

/** Precondition: the value is base64 DER of a `kind` private key; otherwise throws naming `what`. */
export function decodePrivateKey(encoded: string, kind: KeyKind, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(encoded, 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error(`${what} is not a base64 PKCS#8 ${kind} private key`);
  }
  if (key.asymmetricKeyType !== kind) throw new Error(`${what} is a ${key.asymmetricKeyType} key, expected ${kind}`);
  return key;
}

/** Precondition: the value is base64 DER of a `kind` public key; otherwise throws naming `what`. */
export function decodePublicKey(encoded: string, kind: KeyKind, what: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(encoded, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new Error(`${what} is not a base64 SPKI ${kind} public key`);
  }
  if (key.asymmetricKeyType !== kind) throw new Error(`${what} is a ${key.asymmetricKeyType} key, expected ${kind}`);
  return key;
}

export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

/** Raw 32-byte public key of an X25519/Ed25519 key (from its JWK `x`). */
export function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an OKP public key');
  return Buffer.from(jwk.x, 'base64url');
}

/** A short, stable, non-secret identifier of a public key: first 16 hex of SHA-256 of its raw bytes. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16);
}

/**
 * Precondition: when `publicEncoded` is given (non-empty), it is the public half of
 * `privateKey`; otherwise throws naming `what` (a mismatched pair is a deployment mistake).
 */
export function assertPublicKeyMatches(privateKey: KeyObject, publicEncoded: string, kind: KeyKind, what: string): void {
  if (publicEncoded === '') return;
  const expected = publicKeyOf(privateKey).export({ format: 'der', type: 'spki' });
  const given = decodePublicKey(publicEncoded, kind, what).export({ format: 'der', type: 'spki' });
  if (!expected.equals(given)) throw new Error(`${what} is not the public half of its private key`);
}
