import { request } from 'node:http';
import { FakeAwsKms, startFakeAwsKms } from './fake-server';
import { signRequest, SigV4Credential } from './sigv4';

// The wire protocol spoken by hand (the real SDK is exercised by libs/kms/aws's tests).
const CRED: SigV4Credential = { accessKeyId: 'AKIAFAKE000000000001', secretAccessKey: 'fake-secret-1' };
const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER = '0987dcba-09fe-87dc-65ba-ab0987654321';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function post(url: string, path: string, body: string, headers: Record<string, string>, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method, headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let fake: FakeAwsKms;

function kms(op: string, input: Record<string, unknown>, cred = CRED, contentType = 'application/x-amz-json-1.1'): Promise<Answer> {
  const body = JSON.stringify(input);
  const headers = signRequest(
    { method: 'POST', url: '/', body: Buffer.from(body), headers: { host: `127.0.0.1:${fake.port}`, 'content-type': contentType, 'x-amz-target': `TrentService.${op}` } },
    cred,
    'us-east-1',
    'kms',
  );
  return post(fake.url, '/', body, headers);
}

const control = (method: string, path: string, value?: unknown): Promise<Answer> =>
  post(fake.url, `/__fake/${path}`, value === undefined ? '' : JSON.stringify(value), { 'content-type': 'application/json' }, method);

const b64 = (s: string): string => Buffer.from(s).toString('base64');

beforeAll(async () => {
  fake = await startFakeAwsKms({ credentials: [CRED], keys: [{ keyId: KEY, aliases: ['alias/a'] }, { keyId: OTHER }] });
});
afterAll(() => fake.stop());
afterEach(() => {
  fake.clearFaults();
  fake.clearRequests();
  fake.setKeyState(KEY, 'Enabled');
});

describe('fake AWS KMS wire protocol', () => {
  it('binds to loopback only', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('Encrypt then Decrypt without KeyId: the blob names its key; the answer has the key ARN', async () => {
    const ctx = { tenant: 't1' };
    const enc = await kms('Encrypt', { KeyId: 'alias/a', Plaintext: b64('hello'), EncryptionContext: ctx });
    expect(enc.status).toBe(200);
    expect(enc.body['KeyId']).toBe(`arn:aws:kms:us-east-1:111122223333:key/${KEY}`);
    const dec = await kms('Decrypt', { CiphertextBlob: enc.body['CiphertextBlob'], EncryptionContext: ctx });
    expect(dec).toEqual({ status: 200, body: { KeyId: enc.body['KeyId'], Plaintext: b64('hello'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' } });
  });

  it('Decrypt with another encryption context is InvalidCiphertextException (HTTP 400, no message)', async () => {
    const enc = await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x'), EncryptionContext: { tenant: 't1' } });
    expect(await kms('Decrypt', { CiphertextBlob: enc.body['CiphertextBlob'], EncryptionContext: { tenant: 't2' } })).toEqual({ status: 400, body: { __type: 'InvalidCiphertextException' } });
  });

  it('GenerateDataKey returns a key and its blob, which decrypts to it', async () => {
    const g = await kms('GenerateDataKey', { KeyId: KEY, KeySpec: 'AES_256' });
    expect(Buffer.from(String(g.body['Plaintext']), 'base64')).toHaveLength(32);
    const dec = await kms('Decrypt', { CiphertextBlob: g.body['CiphertextBlob'], KeyId: KEY });
    expect(dec.body['Plaintext']).toBe(g.body['Plaintext']);
  });

  it('answers AWS errors for bad input', async () => {
    expect(await kms('Encrypt', { Plaintext: b64('x') })).toMatchObject({ status: 400, body: { __type: 'ValidationException' } });
    expect(await kms('Encrypt', { KeyId: 'alias/none', Plaintext: b64('x') })).toMatchObject({ status: 400, body: { __type: 'NotFoundException' } });
    expect(await kms('Sign', {})).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
    expect(await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') }, CRED, 'application/json')).toMatchObject({ body: { __type: 'SerializationException' } });
    expect(await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') }, { ...CRED, secretAccessKey: 'wrong' })).toMatchObject({ status: 400, body: { __type: 'InvalidSignatureException' } });
    expect(await post(fake.url, '/', '{}', { 'x-amz-target': 'TrentService.Encrypt' })).toMatchObject({ status: 400, body: { __type: 'MissingAuthenticationTokenException' } });
  });

  it('key states give DisabledException and KMSInvalidStateException', async () => {
    await control('POST', 'keys/state', { key: 'alias/a', state: 'Disabled' });
    expect(await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') })).toMatchObject({ status: 400, body: { __type: 'DisabledException' } });
    await control('POST', 'keys/state', { key: KEY, state: 'PendingDeletion' });
    expect(await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') })).toMatchObject({ body: { __type: 'KMSInvalidStateException', message: expect.stringContaining('pending deletion') } });
  });
});

describe('fake AWS KMS fault injection and control API', () => {
  it('an error fault for one key and a number of requests', async () => {
    expect(await control('POST', 'faults', { key: 'alias/a', times: 1, action: { type: 'error', error: 'ThrottlingException' } })).toMatchObject({ status: 200, body: { id: expect.any(String) } });
    expect(await kms('Encrypt', { KeyId: OTHER, Plaintext: b64('x') })).toMatchObject({ status: 200 });
    expect(await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') })).toMatchObject({ status: 400, body: { __type: 'ThrottlingException' } });
    expect(await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') })).toMatchObject({ status: 200 });
    expect((await control('GET', 'requests')).status).toBe(200);
    expect(fake.requests().map((r) => r.outcome)).toEqual(['ok', 'ThrottlingException', 'ok']);
  });

  it('an error status override (429) and KMSInternalException at 500', async () => {
    fake.addFault({ operation: 'Encrypt', times: 1, action: { type: 'error', error: 'ThrottlingException', status: 429 } });
    expect((await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') })).status).toBe(429);
    fake.addFault({ times: 1, action: { type: 'error', error: 'KMSInternalException' } });
    expect((await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') })).status).toBe(500);
  });

  it('drop destroys the socket without an answer', async () => {
    await control('POST', 'faults', { times: 1, action: { type: 'drop' } });
    await expect(kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') })).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') })).status).toBe(200);
    expect(fake.requests().map((r) => r.outcome)).toEqual(['dropped', 'ok']);
  });

  it('latency delays only the key it names', async () => {
    fake.addFault({ key: KEY, action: { type: 'latency', ms: 400 } });
    let t = Date.now();
    await kms('Encrypt', { KeyId: OTHER, Plaintext: b64('x') });
    expect(Date.now() - t).toBeLessThan(300);
    t = Date.now();
    await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') });
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
  });

  it('rejects an invalid fault, lists and clears faults', async () => {
    expect(await control('POST', 'faults', { action: { type: 'error', error: 'NoSuchError' } })).toMatchObject({ status: 400 });
    expect(await control('POST', 'faults', { action: { type: 'latency' } })).toMatchObject({ status: 400 });
    await control('POST', 'faults', { action: { type: 'drop' }, operation: 'Decrypt' });
    expect(fake.faults()).toHaveLength(1);
    expect(await control('DELETE', 'faults')).toMatchObject({ status: 200 });
    expect(fake.faults()).toEqual([]);
  });

  it('credentials replaced through the control API take effect', async () => {
    const next = { accessKeyId: 'AKIAFAKE000000000002', secretAccessKey: 'fake-secret-2' };
    expect((await control('PUT', 'credentials', [next])).status).toBe(200);
    try {
      expect(await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') })).toMatchObject({ body: { __type: 'UnrecognizedClientException' } });
      expect((await kms('Encrypt', { KeyId: KEY, Plaintext: b64('x') }, next)).status).toBe(200);
    } finally {
      fake.setCredentials([CRED]);
    }
  });

  it('adds keys through the control API', async () => {
    const k = await control('POST', 'keys', { aliases: ['alias/new'] });
    expect(k.body).toMatchObject({ aliases: ['alias/new'], state: 'Enabled' });
    expect((await kms('Encrypt', { KeyId: 'alias/new', Plaintext: b64('x') })).status).toBe(200);
    expect(await control('POST', 'keys', { keyId: 'not-a-uuid' })).toMatchObject({ status: 400 });
  });

  it('stop() ends while a delayed request is pending', async () => {
    const other = await startFakeAwsKms({ credentials: [CRED], keys: [{ keyId: KEY }], faults: [{ action: { type: 'latency', ms: 60_000 } }] });
    const body = JSON.stringify({ KeyId: KEY, Plaintext: b64('x') });
    const headers = signRequest({ method: 'POST', url: '/', body: Buffer.from(body), headers: { host: `127.0.0.1:${other.port}`, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.Encrypt' } }, CRED, 'us-east-1', 'kms');
    const pending = post(other.url, '/', body, headers).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t = Date.now();
    await other.stop();
    expect(Date.now() - t).toBeLessThan(1000);
    expect(await pending).toMatchObject({ code: 'ECONNRESET' });
  });
});
