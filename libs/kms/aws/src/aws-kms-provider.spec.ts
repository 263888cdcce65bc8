import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import type { KmsConfig } from '@tsp/config-crypto';
import type { KmsCallContext, KmsProvider } from '@tsp/kms-core';
import { ErrorCode } from '@tsp/tsp-protocol';
import { FakeAwsKms, startFakeAwsKms } from '@tsp/fake-aws-kms';
import { freePort, tspErrorOf } from '@tsp/test-support';
import { awsKmsFactory, encryptionContextOf } from './aws-kms-provider';

// Real SDK, real sockets, the loopback fake: explicit region and credentials everywhere.
const REGION = 'eu-central-1';
const ACCESS_KEY_ID = 'AKIAFAKE000000000001';
const SECRET = 'fake/secret+Key0000000000000000000000001';
const TEMP_ID = 'ASIAFAKE000000000002';
const TEMP_SECRET = 'fake/temp+Key00000000000000000000000002';
const TOKEN = 'FwoGZXIvYXdzEFakeSessionToken0000000000000000';
const KEY_A = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_B = '0987dcba-09fe-87dc-65ba-ab0987654321';

let fake: FakeAwsKms;
const open: KmsProvider[] = [];
/** Every host a socket connected to during these tests (the SDK must reach loopback only). */
const connectedHosts = new Set<string>();
const realConnect = Socket.prototype.connect;

beforeAll(async () => {
  jest.spyOn(Socket.prototype, 'connect').mockImplementation(function (this: Socket, ...args: unknown[]) {
    // net.createConnection passes its normalized [options, callback] array as one argument.
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const host = typeof first === 'object' && first !== null ? (first as { host?: unknown }).host : args[1];
    connectedHosts.add(typeof host === 'string' ? host : 'localhost (default)');
    return (realConnect as (...a: unknown[]) => Socket).apply(this, args);
  });
  fake = await startFakeAwsKms({
    region: REGION,
    credentials: [
      { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
      { accessKeyId: TEMP_ID, secretAccessKey: TEMP_SECRET, sessionToken: TOKEN },
    ],
    keys: [{ keyId: KEY_A, aliases: ['alias/tenant-a'] }, { keyId: KEY_B }],
  });
});
afterAll(async () => {
  await fake.stop();
  jest.restoreAllMocks();
  expect(connectedHosts.size).toBeGreaterThan(0);
  expect([...connectedHosts]).toEqual(['127.0.0.1']);
});
afterEach(() => {
  while (open.length > 0) open.pop()?.close();
  fake.clearFaults();
  fake.clearRequests();
  fake.setKeyState(KEY_A, 'Enabled');
  fake.setKeyState(KEY_B, 'Enabled');
});

function config(over: { keyID?: string; secret?: string; accessKeyId?: string; sessionToken?: string; endpoint?: string; id?: number } = {}): KmsConfig {
  return {
    id: over.id ?? 21,
    type: 'aws',
    active: true,
    primary: true,
    keyPath: { keyID: over.keyID ?? KEY_A, region: REGION },
    credentials: {
      accessKeyId: over.accessKeyId ?? ACCESS_KEY_ID,
      secretAccessKey: over.secret ?? SECRET,
      ...(over.sessionToken === undefined ? {} : { sessionToken: over.sessionToken }),
    },
    endpoint: over.endpoint ?? fake.url,
  };
}

function provider(over: Parameters<typeof config>[0] = {}): KmsProvider {
  const c = config(over);
  expect(awsKmsFactory.validate(c)).toEqual([]);
  const p = awsKmsFactory.create(c);
  open.push(p);
  return p;
}

const ctx = (tenantId = 'tenant-a', kmsConfigId = 21, signal: AbortSignal = AbortSignal.timeout(10_000)): KmsCallContext => ({ tenantId, kmsConfigId, signal });

describe('aws KMS provider against the fake, through the real SDK', () => {
  it('wraps and unwraps a key back to the same bytes', async () => {
    const p = provider();
    const dek = randomBytes(32);
    const wrapped = Buffer.from(await p.wrap(dek, ctx()));
    expect(wrapped.includes(dek)).toBe(false);
    expect(wrapped.includes(Buffer.from(KEY_A))).toBe(true); // the blob names its key, like KMS's
    expect((await p.unwrap(wrapped, ctx())).equals(dek)).toBe(true);
    expect(fake.requests().map((r) => [r.operation, r.outcome, r.keyId, r.accessKeyId])).toEqual([
      ['Encrypt', 'ok', KEY_A, ACCESS_KEY_ID],
      ['Decrypt', 'ok', KEY_A, ACCESS_KEY_ID],
    ]);
  });

  it.each([
    ['an alias', 'alias/tenant-a'],
    ['a key ARN', `arn:aws:kms:${REGION}:111122223333:key/${KEY_A}`],
    ['an alias ARN', `arn:aws:kms:${REGION}:111122223333:alias/tenant-a`],
  ])('works with keyID as %s', async (_n, keyID) => {
    const p = provider({ keyID });
    const dek = randomBytes(32);
    expect((await p.unwrap(await p.wrap(dek, ctx()), ctx())).equals(dek)).toBe(true);
  });

  it('works with temporary credentials (session token signed and checked)', async () => {
    const p = provider({ accessKeyId: TEMP_ID, secret: TEMP_SECRET, sessionToken: TOKEN });
    await expect(p.healthcheck(ctx())).resolves.toBeUndefined();
    expect(fake.requests().every((r) => r.accessKeyId === TEMP_ID && r.outcome === 'ok')).toBe(true);
  });

  it('keeps one SDK client per provider: calls share a kept-alive connection', async () => {
    const p = provider();
    await p.healthcheck(ctx());
    await p.healthcheck(ctx());
    const ports = new Set(fake.requests().map((r) => r.remotePort));
    expect(fake.requests()).toHaveLength(4);
    expect(ports.size).toBe(1);
  });

  it('sends the documented encryption context', () => {
    expect(encryptionContextOf(ctx('t-9', 7))).toEqual({ 'tsp-tenant-id': 't-9', 'tsp-kms-config-id': '7' });
  });

  it('an EDEK made for tenant A does not unwrap for tenant B with the same config id (205)', async () => {
    const p = provider();
    const wrapped = await p.wrap(randomBytes(32), ctx('tenant-a', 21));
    const e = await tspErrorOf(p.unwrap(wrapped, ctx('tenant-b', 21)));
    expect(e.code).toBe(ErrorCode.KmsUnwrapFailed);
    expect(e.message).toContain('InvalidCiphertextException');
  });

  it('an EDEK made under config id 21 does not unwrap as config id 22 (205)', async () => {
    const p = provider();
    const wrapped = await p.wrap(randomBytes(32), ctx('tenant-a', 21));
    expect((await tspErrorOf(p.unwrap(wrapped, ctx('tenant-a', 22)))).code).toBe(205);
  });

  it.each([0, 1, 5, 40, 60, 80])('tampered ciphertext byte %i fails with 205', async (i) => {
    const p = provider();
    const wrapped = Buffer.from(await p.wrap(randomBytes(32), ctx()));
    wrapped[i] = (wrapped[i] ?? 0) ^ 0x01;
    expect((await tspErrorOf(p.unwrap(wrapped, ctx()))).code).toBe(205);
  });

  it('an EDEK of another key does not unwrap with this config (205, IncorrectKeyException)', async () => {
    const wrapped = await provider({ keyID: KEY_B }).wrap(randomBytes(32), ctx());
    const e = await tspErrorOf(provider().unwrap(wrapped, ctx()));
    expect(e.code).toBe(205);
    expect(e.message).toContain('IncorrectKeyException');
  });
});

describe('aws KMS errors mapped to codes', () => {
  it('a wrong secret is 206: the fake checks the SigV4 signature', async () => {
    const e = await tspErrorOf(provider({ secret: 'not/the+right+secret0000000000000000000' }).wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(ErrorCode.KmsAuthorizationFailed);
    expect(e.message).toContain('InvalidSignatureException');
    expect(fake.requests().map((r) => r.outcome)).toEqual(['InvalidSignatureException']);
  });

  it('a wrong secret with a session token: the message keeps AWS text but no secret or token', async () => {
    const wrongSecret = 'wrong/temp+Key0000000000000000000000002';
    const e = await tspErrorOf(provider({ accessKeyId: TEMP_ID, secret: wrongSecret, sessionToken: TOKEN }).wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(206);
    expect(e.message).toContain('signature we calculated does not match');
    expect(e.message).not.toContain(TOKEN);
    expect(e.message).not.toContain(wrongSecret);
  });

  it('secrets that the KMS echoes in a message are redacted (a message quoting the token)', async () => {
    fake.addFault({ action: { type: 'error', error: 'UnrecognizedClientException', message: `token ${TOKEN} secret ${TEMP_SECRET} is invalid` } });
    const e = await tspErrorOf(provider({ accessKeyId: TEMP_ID, secret: TEMP_SECRET, sessionToken: TOKEN }).wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(206);
    expect(e.message).toBe('AWS KMS wrap failed: UnrecognizedClientException: token [redacted] secret [redacted] is invalid');
  });

  it('an unknown access key id is 206 (UnrecognizedClientException)', async () => {
    const e = await tspErrorOf(provider({ accessKeyId: 'AKIAUNKNOWN000000009' }).wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(206);
    expect(e.message).toContain('UnrecognizedClientException');
  });

  it('credentials rotated at the KMS side: the old secret gets 206', async () => {
    const p = provider();
    await p.healthcheck(ctx());
    fake.setCredentials([{ accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'rotated/secret000000000000000000000000' }]);
    try {
      expect((await tspErrorOf(p.wrap(randomBytes(32), ctx()))).code).toBe(206);
    } finally {
      fake.setCredentials([
        { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
        { accessKeyId: TEMP_ID, secretAccessKey: TEMP_SECRET, sessionToken: TOKEN },
      ]);
    }
  });

  it('a missing key is 207 (NotFoundException)', async () => {
    const e = await tspErrorOf(provider({ keyID: 'ffffffff-ffff-ffff-ffff-ffffffffffff' }).wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(ErrorCode.KmsConfigurationInvalid);
    expect(e.message).toContain('NotFoundException');
  });

  it('a disabled key is 207 (DisabledException), for wrap and unwrap', async () => {
    const p = provider();
    const wrapped = await p.wrap(randomBytes(32), ctx());
    fake.setKeyState(KEY_A, 'Disabled');
    expect((await tspErrorOf(p.wrap(randomBytes(32), ctx()))).code).toBe(207);
    const e = await tspErrorOf(p.unwrap(wrapped, ctx()));
    expect(e.code).toBe(207);
    expect(e.message).toContain('DisabledException');
  });

  it('access denied is 207, and the AWS message is kept', async () => {
    fake.addFault({ key: KEY_A, action: { type: 'error', error: 'AccessDeniedException' } });
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(207);
    expect(e.message).toContain('is not authorized to perform: kms:Encrypt');
  });

  it('a dropped connection is 208 after exactly one retry (2 requests at the fake)', async () => {
    fake.addFault({ key: KEY_A, action: { type: 'drop' } });
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(ErrorCode.KmsUnreachable);
    expect(fake.requests().map((r) => r.outcome)).toEqual(['dropped', 'dropped']);
  });

  it('one dropped connection is retried once and succeeds', async () => {
    fake.addFault({ key: KEY_A, times: 1, action: { type: 'drop' } });
    const p = provider();
    const dek = randomBytes(32);
    expect((await p.unwrap(await p.wrap(dek, ctx()), ctx())).equals(dek)).toBe(true);
    expect(fake.requests().map((r) => r.outcome)).toEqual(['dropped', 'ok', 'ok']);
  });

  it('nothing listening at the endpoint is 208', async () => {
    const port = await freePort();
    expect((await tspErrorOf(provider({ endpoint: `http://127.0.0.1:${port}` }).wrap(randomBytes(32), ctx()))).code).toBe(208);
  });

  it('KMSInternalException (HTTP 500) is 208 after one retry', async () => {
    fake.addFault({ action: { type: 'error', error: 'KMSInternalException' } });
    expect((await tspErrorOf(provider().wrap(randomBytes(32), ctx()))).code).toBe(208);
    expect(fake.requests()).toHaveLength(2);
  });

  it.each([
    ['HTTP 400 ThrottlingException, as KMS sends it', undefined],
    ['HTTP 429', 429],
  ])('throttling is 209 and not retried: %s', async (_n, status) => {
    fake.addFault({ operation: 'Encrypt', action: { type: 'error', error: 'ThrottlingException', ...(status === undefined ? {} : { status }) } });
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(ErrorCode.KmsThrottled);
    expect(e.message).toContain('exceeded the rate');
    expect(fake.requests()).toHaveLength(1);
  });

  it('a key pending deletion is an account problem, 210 (KMSInvalidStateException)', async () => {
    fake.setKeyState(KEY_A, 'PendingDeletion');
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx()));
    expect(e.code).toBe(ErrorCode.KmsAccountIssue);
    expect(e.message).toContain('pending deletion');
  });

  it('a call slower than the deadline fails with 208 within the deadline, not retried', async () => {
    fake.addFault({ key: KEY_A, action: { type: 'latency', ms: 5000 } });
    const started = Date.now();
    const e = await tspErrorOf(provider().wrap(randomBytes(32), ctx('tenant-a', 21, AbortSignal.timeout(300))));
    const took = Date.now() - started;
    expect(e.code).toBe(208);
    expect(e.message).toContain('deadline');
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(1000);
    expect(fake.requests()).toHaveLength(1);
  });

  it('latency injected for one key does not delay calls for another key', async () => {
    fake.addFault({ key: KEY_A, action: { type: 'latency', ms: 1500 } });
    const a = provider();
    const b = provider({ keyID: KEY_B, id: 22 });
    const started = Date.now();
    const slow = a.wrap(randomBytes(32), ctx()).then(() => Date.now() - started);
    await b.wrap(randomBytes(32), ctx('tenant-a', 22));
    expect(Date.now() - started).toBeLessThan(700);
    expect(await slow).toBeGreaterThanOrEqual(1400);
  });
});
