import { canonicalRequest, computeSignature, signingKey, signRequest, SignableRequest, SigV4Credential, verifySigV4 } from './sigv4';

// Published AWS examples (secret of the AWS documentation).
const DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

describe('SigV4 computations match the AWS published examples', () => {
  it('derives the signing key of the IAM documentation example', () => {
    expect(signingKey(DOC_SECRET, '20120215', 'us-east-1', 'iam').toString('hex')).toBe('f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
  });

  it('signs get-vanilla of the AWS SigV4 test suite', () => {
    const req: SignableRequest = { method: 'GET', url: '/', headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' }, body: Buffer.alloc(0) };
    const auth = { date: '20150830', region: 'us-east-1', service: 'service', signedHeaders: ['host', 'x-amz-date'] };
    expect(canonicalRequest(req, auth.signedHeaders)).toBe(
      'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(computeSignature(req, DOC_SECRET, auth, '20150830T123600Z')).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });

  it('sorts and encodes the query, trims and folds header values', () => {
    const req: SignableRequest = { method: 'GET', url: '/?b=2&a=x%20y&a=1', headers: { host: 'h', 'x-amz-date': '20150830T123600Z', 'my-header': '  a   b  ' }, body: Buffer.alloc(0) };
    const lines = canonicalRequest(req, ['host', 'my-header']).split('\n');
    expect(lines[2]).toBe('a=1&a=x%20y&b=2');
    expect(lines[4]).toBe('my-header:a b');
  });
});

describe('verifySigV4', () => {
  const cred: SigV4Credential = { accessKeyId: 'AKIAFAKE000000000001', secretAccessKey: 'secret-1' };
  const body = Buffer.from('{"KeyId":"k"}');
  const now = new Date('2026-11-29T12:00:00Z');
  const signed = (c = cred, at = now): SignableRequest => ({
    method: 'POST',
    url: '/',
    body,
    headers: signRequest({ method: 'POST', url: '/', body, headers: { host: '127.0.0.1:1', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.Encrypt' } }, c, 'us-east-1', 'kms', at),
  });
  const opts = { service: 'kms', region: 'us-east-1', credentials: [cred], now };

  it('accepts a correctly signed request', () => {
    expect(verifySigV4(signed(), opts)).toEqual({ ok: true, credential: cred });
  });

  it('rejects a wrong secret with InvalidSignatureException', () => {
    const r = verifySigV4(signed({ ...cred, secretAccessKey: 'other' }), opts);
    expect(r).toMatchObject({ ok: false, error: 'InvalidSignatureException' });
  });

  it('rejects a changed body, target or host', () => {
    for (const change of [{ body: Buffer.from('{"KeyId":"j"}') }, { headers: { ...signed().headers, 'x-amz-target': 'TrentService.Decrypt' } }, { headers: { ...signed().headers, host: '127.0.0.1:2' } }]) {
      expect(verifySigV4({ ...signed(), ...change }, opts)).toMatchObject({ ok: false, error: 'InvalidSignatureException' });
    }
  });

  it('rejects an unknown access key, a missing or malformed header', () => {
    expect(verifySigV4(signed({ ...cred, accessKeyId: 'AKIAOTHER00000000001' }), opts)).toMatchObject({ error: 'UnrecognizedClientException' });
    const { authorization: _a, ...noAuth } = signed().headers;
    expect(verifySigV4({ ...signed(), headers: noAuth }, opts)).toMatchObject({ error: 'MissingAuthenticationTokenException' });
    expect(verifySigV4({ ...signed(), headers: { ...noAuth, authorization: 'AWS4-HMAC-SHA256 nonsense' } }, opts)).toMatchObject({ error: 'IncompleteSignatureException' });
  });

  it('rejects a request signed 16 minutes ago, or for another region or service', () => {
    expect(verifySigV4(signed(cred, new Date(now.getTime() - 16 * 60_000)), opts)).toMatchObject({ error: 'InvalidSignatureException', message: expect.stringContaining('Signature expired') });
    expect(verifySigV4(signed(), { ...opts, region: 'eu-west-1' })).toMatchObject({ error: 'InvalidSignatureException', message: expect.stringContaining('region') });
    expect(verifySigV4(signed(), { ...opts, service: 'sts' })).toMatchObject({ error: 'InvalidSignatureException', message: expect.stringContaining('service') });
  });

  it('requires the session token of temporary credentials, and only then', () => {
    const temp = { ...cred, sessionToken: 'tok' };
    const withToken = { ...opts, credentials: [temp] };
    expect(verifySigV4(signed(temp), withToken)).toMatchObject({ ok: true });
    expect(verifySigV4(signed(cred), withToken)).toMatchObject({ error: 'UnrecognizedClientException' });
    expect(verifySigV4(signed({ ...temp, sessionToken: 'other' }), withToken)).toMatchObject({ error: 'UnrecognizedClientException' });
    expect(verifySigV4(signed(temp), opts)).toMatchObject({ error: 'UnrecognizedClientException' });
  });
});
