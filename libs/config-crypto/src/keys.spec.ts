import { generateKeyPairSync } from 'node:crypto';
import { decodePrivateKey, decodePublicKey, generateEncodedKeyPair, keyId, publicKeyOf, rawPublicKey } from './keys';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('key encoding', () => {
  it.each(['x25519', 'ed25519'] as const)('a generated %s pair decodes and matches', (kind) => {
    const pair = generateEncodedKeyPair(kind);
    const priv = decodePrivateKey(pair.privateKey, kind, 'TSP_TEST_KEY');
    const pub = decodePublicKey(pair.publicKey, kind, 'TSP_TEST_PUBLIC_KEY');
    expect(priv.asymmetricKeyType).toBe(kind);
    expect(rawPublicKey(publicKeyOf(priv)).equals(rawPublicKey(pub))).toBe(true);
    expect(rawPublicKey(pub)).toHaveLength(32);
  });

  it('a private key that is not base64 PKCS#8 is rejected naming the variable, not the value', () => {
    const bad = 'bm90LWEta2V5LXNlY3JldC12YWx1ZQ==';
    const msg = messageOf(() => decodePrivateKey(bad, 'x25519', 'TSP_SA_ENCRYPTION_KEY'));
    expect(msg).toBe('TSP_SA_ENCRYPTION_KEY is not a base64 PKCS#8 x25519 private key');
    expect(msg).not.toContain(bad);
  });

  it('a public key that is not base64 SPKI is rejected naming the variable', () => {
    expect(messageOf(() => decodePublicKey('AAAA', 'ed25519', 'TSP_BROKER_PUBLIC_KEY'))).toBe(
      'TSP_BROKER_PUBLIC_KEY is not a base64 SPKI ed25519 public key',
    );
  });

  it('a key of the other kind is rejected naming the variable and both kinds', () => {
    const ed = generateEncodedKeyPair('ed25519');
    const msg = messageOf(() => decodePrivateKey(ed.privateKey, 'x25519', 'TSP_SA_ENCRYPTION_KEY'));
    expect(msg).toBe('TSP_SA_ENCRYPTION_KEY is a ed25519 key, expected x25519');
    expect(msg).not.toContain(ed.privateKey);
    const x = generateEncodedKeyPair('x25519');
    expect(messageOf(() => decodePublicKey(x.publicKey, 'ed25519', 'TSP_BROKER_PUBLIC_KEY'))).toBe(
      'TSP_BROKER_PUBLIC_KEY is a x25519 key, expected ed25519',
    );
  });

  it('a public key given where a private key is expected is rejected', () => {
    const pair = generateEncodedKeyPair('x25519');
    expect(messageOf(() => decodePrivateKey(pair.publicKey, 'x25519', 'V'))).toMatch(/^V is not a base64 PKCS#8/);
  });

  it('keyId is 16 hex characters, stable, and differs between keys', () => {
    const a = generateKeyPairSync('ed25519').publicKey;
    const b = generateKeyPairSync('ed25519').publicKey;
    expect(keyId(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyId(a)).toBe(keyId(a));
    expect(keyId(a)).not.toBe(keyId(b));
  });
});
