import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { LeasedGcm } from './leased-gcm';

/** LeasedGcm must be byte-for-byte AES-256-GCM: EDEKs it makes are unwrapped by OpenSSL and vice versa. */
function reference(key: Buffer, iv: Buffer, aad: Buffer, pt: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

test('matches node:crypto AES-256-GCM on 2,000 random keys, IVs, AADs and DEKs', () => {
  for (let i = 0; i < 2000; i++) {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const aad = randomBytes(i % 70);
    const pt = randomBytes(32);
    const gcm = new LeasedGcm(createSecretKey(key));
    const state = gcm.absorbAad(aad);
    expect(gcm.encrypt(iv, pt, state).equals(reference(key, iv, aad, pt))).toBe(true);
  }
});

test('one instance serves many encryptions and decryptions in any order', () => {
  const key = randomBytes(32);
  const gcm = new LeasedGcm(createSecretKey(key));
  const aad = Buffer.from('tsp-leased-dek/v1\0tenant-a');
  const state = gcm.absorbAad(aad);
  for (let i = 0; i < 500; i++) {
    const iv = randomBytes(12);
    const pt = randomBytes(32);
    const ct = gcm.encrypt(iv, pt, state);
    expect(ct.equals(reference(key, iv, aad, pt))).toBe(true);
    expect(gcm.decrypt(iv, ct, state)?.equals(pt)).toBe(true);
  }
});

test('decrypts what OpenSSL encrypted, and OpenSSL decrypts what it encrypted', () => {
  const key = randomBytes(32);
  const gcm = new LeasedGcm(createSecretKey(key));
  const aad = Buffer.from('some tenant');
  const state = gcm.absorbAad(aad);
  const iv = randomBytes(12);
  const pt = randomBytes(32);
  expect(gcm.decrypt(iv, reference(key, iv, aad, pt), state)?.equals(pt)).toBe(true);
  const ours = gcm.encrypt(iv, pt, state);
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(aad);
  d.setAuthTag(ours.subarray(32));
  expect(Buffer.concat([d.update(ours.subarray(0, 32)), d.final()]).equals(pt)).toBe(true);
});

test('any flipped bit of ciphertext or tag, another IV, AAD or key fails to decrypt', () => {
  const key = randomBytes(32);
  const gcm = new LeasedGcm(createSecretKey(key));
  const state = gcm.absorbAad(Buffer.from('tenant-a'));
  const iv = randomBytes(12);
  const ct = gcm.encrypt(iv, randomBytes(32), state);
  for (let bit = 0; bit < ct.length * 8; bit++) {
    const bad = Buffer.from(ct);
    bad[bit >> 3] ^= 1 << (bit & 7);
    expect(gcm.decrypt(iv, bad, state)).toBeUndefined();
  }
  const otherIv = Buffer.from(iv);
  otherIv[0] ^= 1;
  expect(gcm.decrypt(otherIv, ct, state)).toBeUndefined();
  expect(gcm.decrypt(iv, ct, gcm.absorbAad(Buffer.from('tenant-b')))).toBeUndefined();
  const other = new LeasedGcm(createSecretKey(randomBytes(32)));
  expect(other.decrypt(iv, ct, other.absorbAad(Buffer.from('tenant-a')))).toBeUndefined();
});

test('the NIST SP 800-38D test case 14 key and IV (AES-256, zero key) give the known tag', () => {
  // Test case 14 of the GCM specification: K = 0^256, IV = 0^96, P = 0^128, no AAD:
  // C = cea7403d4d606b6e074ec5d3baf39d18, T = d0d1c8a799996bf0265b98b5d48ab919. Our encrypt takes
  // 32-byte plaintexts, so check the first block against C; the full result against OpenSSL.
  const key = Buffer.alloc(32);
  const gcm = new LeasedGcm(createSecretKey(key));
  const out = gcm.encrypt(Buffer.alloc(12), Buffer.alloc(32), gcm.absorbAad(Buffer.alloc(0)));
  expect(out.subarray(0, 16).toString('hex')).toBe('cea7403d4d606b6e074ec5d3baf39d18');
  expect(out.equals(reference(key, Buffer.alloc(12), Buffer.alloc(0), Buffer.alloc(32)))).toBe(true);
});

test('encryptInto with batched keystreams equals one-by-one encryption', () => {
  const key = randomBytes(32);
  const gcm = new LeasedGcm(createSecretKey(key));
  const aad = Buffer.from('tsp-leased-dek/v1\0tenant-a');
  const state = gcm.absorbAad(aad);
  const ivs = Array.from({ length: 37 }, () => randomBytes(12));
  const pts = ivs.map(() => randomBytes(32));
  const ks = gcm.keystreams(ivs);
  const out = Buffer.alloc(ivs.length * 48 + 5);
  ivs.forEach((iv, n) => gcm.encryptInto(iv, pts[n], state, out, 5 + n * 48, ks, n * 48));
  ivs.forEach((iv, n) => expect(out.subarray(5 + n * 48, 5 + (n + 1) * 48).equals(reference(key, iv, aad, pts[n]))).toBe(true));
});
