import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { request } from 'node:http';
import { crc32c } from './crc32c';
import { startFakeGcpKms, type FakeGcpKms } from './fake-server';

const KEY = 'projects/fake-project/locations/global/keyRings/ring/cryptoKeys/key';
const SCOPE = 'https://www.googleapis.com/auth/cloudkms';

function jwt(claims: Record<string, unknown>, key: KeyObject | string, alg = 'RS256'): string {
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg, typ: 'JWT' })}.${enc(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(url, { method: 'POST', body, headers });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

describe('fake Google Cloud KMS', () => {
  let fake: FakeGcpKms;
  let token: string;
  const now = (): number => Math.floor(Date.now() / 1000);
  const claims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: fake.serviceAccount?.client_email,
    scope: SCOPE,
    aud: fake.tokenUri,
    iat: now(),
    exp: now() + 3600,
    ...over,
  });
  const exchange = (assertion: string) =>
    post(fake.tokenUri, new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
  const kms = (method: 'encrypt' | 'decrypt', body: object, key = KEY, auth = `Bearer ${token}`) =>
    post(`${fake.url}/v1/${key}:${method}?$alt=json%3Benum-encoding=int`, JSON.stringify(body), { 'content-type': 'application/json', authorization: auth });

  beforeAll(async () => {
    fake = await startFakeGcpKms({ keys: [KEY] });
  });
  afterAll(() => fake.stop());
  beforeEach(async () => {
    fake.clearFaults();
    fake.setLatency(0);
    const r = await exchange(jwt(claims(), fake.serviceAccount?.private_key ?? ''));
    expect(r.status).toBe(200);
    token = String(r.json['access_token']);
  });

  it('CRC32C matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('binds 127.0.0.1 and issues a Bearer token for a JWT signed by the service account', async () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await exchange(jwt(claims(), fake.serviceAccount?.private_key ?? ''));
    expect(r.json).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    expect(String(r.json['access_token'])).toMatch(/^ya29\./);
  });

  it.each([
    ['signed with another key', () => jwt(claims(), generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey), 'Invalid JWT Signature.'],
    ['for an unknown account', () => jwt(claims({ iss: 'other@x.iam.gserviceaccount.com' }), fake.serviceAccount?.private_key ?? ''), 'account not found'],
    ['for another audience', () => jwt(claims({ aud: 'https://oauth2.googleapis.com/token' }), fake.serviceAccount?.private_key ?? ''), 'audience'],
    ['expired', () => jwt(claims({ iat: now() - 7200, exp: now() - 3600 }), fake.serviceAccount?.private_key ?? ''), 'short-lived'],
    ['living longer than an hour', () => jwt(claims({ exp: now() + 7200 }), fake.serviceAccount?.private_key ?? ''), 'short-lived'],
    ['with alg HS256', () => jwt(claims(), fake.serviceAccount?.private_key ?? '', 'HS256'), 'RS256'],
  ])('refuses a JWT %s with invalid_grant', async (_n, make, text) => {
    const r = await exchange(make());
    expect(r.status).toBe(400);
    expect(r.json['error']).toBe('invalid_grant');
    expect(String(r.json['error_description'])).toContain(text);
  });

  it('refuses a JWT without a KMS scope', async () => {
    const r = await exchange(jwt(claims({ scope: 'https://www.googleapis.com/auth/devstorage.read_only' }), fake.serviceAccount?.private_key ?? ''));
    expect(r).toEqual({ status: 400, json: { error: 'invalid_scope', error_description: expect.any(String) } });
  });

  it('encrypts and decrypts with base64 bytes, int64 checksums as strings and the AAD bound', async () => {
    const pt = Buffer.alloc(32, 7);
    const aad = Buffer.from('tenant-a');
    const e = await kms('encrypt', { plaintext: pt.toString('base64'), plaintextCrc32c: String(crc32c(pt)), additionalAuthenticatedData: aad.toString('base64'), additionalAuthenticatedDataCrc32c: String(crc32c(aad)) });
    expect(e.status).toBe(200);
    const ct = Buffer.from(String(e.json['ciphertext']), 'base64');
    expect(e.json).toEqual({ name: `${KEY}/cryptoKeyVersions/1`, ciphertext: expect.any(String), ciphertextCrc32c: String(crc32c(ct)), verifiedPlaintextCrc32c: true, verifiedAdditionalAuthenticatedDataCrc32c: true, protectionLevel: 1 });
    const d = await kms('decrypt', { ciphertext: ct.toString('base64'), ciphertextCrc32c: String(crc32c(ct)), additionalAuthenticatedData: aad.toString('base64') });
    expect(d.json).toEqual({ plaintext: pt.toString('base64'), plaintextCrc32c: String(crc32c(pt)), usedPrimary: true, protectionLevel: 1 });
    const other = await kms('decrypt', { ciphertext: ct.toString('base64'), additionalAuthenticatedData: Buffer.from('tenant-b').toString('base64') });
    expect(other).toEqual({ status: 400, json: { error: { code: 400, message: 'Decryption failed: the ciphertext is invalid.', status: 'INVALID_ARGUMENT' } } });
  });

  it('without checksums in the request it does not claim to have verified them', async () => {
    const e = await kms('encrypt', { plaintext: 'AAAA' });
    expect(e.json).toMatchObject({ verifiedPlaintextCrc32c: false, verifiedAdditionalAuthenticatedDataCrc32c: false });
  });

  it('refuses a request whose checksum does not match its data', async () => {
    const r = await kms('encrypt', { plaintext: 'AAAA', plaintextCrc32c: '1' });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: { code: 400, status: 'INVALID_ARGUMENT', message: 'The checksum in field plaintext_crc32c did not match the data in field plaintext.' } });
  });

  it('requires a Bearer token it issued', async () => {
    for (const auth of ['', 'Bearer ya29.not-issued', `Basic ${token}`]) {
      const r = await kms('encrypt', { plaintext: 'AAAA' }, KEY, auth);
      expect(r.status).toBe(401);
      expect(r.json['error']).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    }
    fake.revokeTokens();
    expect((await kms('encrypt', { plaintext: 'AAAA' })).status).toBe(401);
  });

  it('answers NOT_FOUND for a key it does not have and FAILED_PRECONDITION for a disabled one', async () => {
    const missing = await kms('encrypt', { plaintext: 'AAAA' }, `${KEY}-missing`);
    expect(missing).toEqual({ status: 404, json: { error: { code: 404, status: 'NOT_FOUND', message: `${KEY}-missing not found.` } } });
    const k2 = `${KEY}-2`;
    fake.addKey(k2);
    fake.setKeyState(k2, 'DISABLED');
    const disabled = await kms('encrypt', { plaintext: 'AAAA' }, k2);
    expect(disabled.status).toBe(400);
    expect(disabled.json['error']).toMatchObject({ status: 'FAILED_PRECONDITION', message: expect.stringContaining('DISABLED') });
  });

  it('throttles with Google’s error shape, for the queued number of requests', async () => {
    fake.inject('throttle', { times: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await kms('encrypt', { plaintext: 'AAAA' });
      expect(r.status).toBe(429);
      expect(r.json).toEqual({ error: { code: 429, message: expect.stringContaining('Quota exceeded'), status: 'RESOURCE_EXHAUSTED', details: expect.any(Array) } });
    }
    expect((await kms('encrypt', { plaintext: 'AAAA' })).status).toBe(200);
  });

  it('keeps a per-key fault until cleared, and only on that key', async () => {
    const k3 = `${KEY}-3`;
    fake.addKey(k3);
    fake.inject('billing-disabled', { key: k3 });
    for (let i = 0; i < 2; i++) expect((await kms('encrypt', { plaintext: 'AAAA' }, k3)).json['error']).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    expect((await kms('encrypt', { plaintext: 'AAAA' })).status).toBe(200);
    fake.clearFaults(k3);
    expect((await kms('encrypt', { plaintext: 'AAAA' }, k3)).status).toBe(200);
  });

  it('drops the connection (socket destroyed, no HTTP answer)', async () => {
    fake.inject('drop');
    const before = fake.stats().dropped;
    await expect(kms('encrypt', { plaintext: 'AAAA' })).rejects.toThrow('fetch failed');
    expect(fake.stats().dropped).toBe(before + 1);
  });

  it('corrupts the answer checksum on request', async () => {
    fake.inject('bad-crc');
    const e = await kms('encrypt', { plaintext: 'AAAA' });
    expect(e.json['ciphertextCrc32c']).not.toBe(String(crc32c(Buffer.from(String(e.json['ciphertext']), 'base64'))));
  });

  it('adds latency per request', async () => {
    fake.setLatency(150, { times: 1 });
    const t0 = Date.now();
    await kms('encrypt', { plaintext: 'AAAA' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const t1 = Date.now();
    await kms('encrypt', { plaintext: 'AAAA' });
    expect(Date.now() - t1).toBeLessThan(140);
  });

  it('is controlled over HTTP too', async () => {
    expect((await post(`${fake.url}/__control/faults`, JSON.stringify({ fault: 'not-a-fault' }))).status).toBe(400);
    expect((await post(`${fake.url}/__control/faults`, JSON.stringify({ fault: 'unavailable', times: 1 }))).status).toBe(200);
    expect((await kms('encrypt', { plaintext: 'AAAA' })).json['error']).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
    await post(`${fake.url}/__control/keys`, JSON.stringify({ name: `${KEY}-4`, rotate: true }));
    expect((await kms('encrypt', { plaintext: 'AAAA' }, `${KEY}-4`)).json['name']).toBe(`${KEY}-4/cryptoKeyVersions/2`);
    const stats = (await (await fetch(`${fake.url}/__control/stats`)).json()) as Record<string, number>;
    expect(stats['kmsRequests']).toBeGreaterThan(0);
    expect(stats['tokensIssued']).toBeGreaterThan(0);
  });

  it('still decrypts an older version after rotation', async () => {
    const e = await kms('encrypt', { plaintext: 'AAAA' });
    fake.rotateKey(KEY);
    const d = await kms('decrypt', { ciphertext: e.json['ciphertext'] });
    expect(d.json).toMatchObject({ plaintext: 'AAAA', usedPrimary: false });
  });

  it('rejects a request on a raw socket drop without crashing', async () => {
    fake.inject('drop');
    const err = await new Promise<Error>((resolve) => {
      const r = request(`${fake.url}/v1/${KEY}:encrypt`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      r.on('error', resolve);
      r.end('{}');
    });
    expect(err.message).toMatch(/socket hang up|ECONNRESET/);
    expect((await kms('encrypt', { plaintext: 'AAAA' })).status).toBe(200);
  });
});
