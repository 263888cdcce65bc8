import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { tenantSecretsUrl } from './http-secret-creator';
import { tspSaAuthorization, tspSaSignedMessage } from './sa-signature';

const HEADER = /^TSP-SA id=sa-1,ts=(\d+),nonce=([0-9a-f]{32}),sig=([A-Za-z0-9+/]{86}==)$/;

describe('TSP-SA request signatures', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');

  it('signs a GET exactly as the first proxies did (no body hash), so existing brokers keep verifying it', () => {
    const header = tspSaAuthorization('sa-1', privateKey, 'GET', '/api/v1/config-document?wait=25', undefined, 1_700_000_000, 'ab'.repeat(16));
    const [, ts, nonce, sig] = HEADER.exec(header) ?? [];
    expect([ts, nonce]).toEqual(['1700000000', 'ab'.repeat(16)]);
    const legacy = Buffer.from(`GET\n/api/v1/config-document?wait=25\n1700000000\n${'ab'.repeat(16)}`, 'utf8');
    expect(verify(null, legacy, publicKey, Buffer.from(sig!, 'base64'))).toBe(true);
  });

  it('binds a POST to its method and the SHA-256 of its raw body bytes', () => {
    const body = Buffer.from('{"tenantId":"t"}');
    const message = tspSaSignedMessage('POST', '/api/v1/tenant-secrets', '5', 'n', body).toString('utf8');
    expect(message).toBe(`POST\n/api/v1/tenant-secrets\n5\nn\n${createHash('sha256').update(body).digest('base64')}`);
    const header = tspSaAuthorization('sa-1', privateKey, 'POST', '/api/v1/tenant-secrets', body, 5, 'cd'.repeat(16));
    const sig = Buffer.from(HEADER.exec(header)![3]!, 'base64');
    const check = (method: string, b?: Uint8Array) => verify(null, tspSaSignedMessage(method, '/api/v1/tenant-secrets', '5', 'cd'.repeat(16), b), publicKey, sig);
    expect(check('POST', body)).toBe(true);
    expect(check('POST', Buffer.from('{"tenantId": "t"}'))).toBe(false);
    expect(check('PUT', body)).toBe(false);
    expect(check('GET')).toBe(false);
    // No body is the hash of the empty string, not the GET form.
    expect(tspSaSignedMessage('POST', '/p', '5', 'n').toString()).toBe(`POST\n/p\n5\nn\n${createHash('sha256').digest('base64')}`);
  });

  it('creates tenant secrets next to the config document URL, without its query', () => {
    expect(tenantSecretsUrl(new URL('https://broker.example:9500/api/v1/config-document')).href).toBe('https://broker.example:9500/api/v1/tenant-secrets');
    expect(tenantSecretsUrl(new URL('http://127.0.0.1:9500/broker/api/v1/config-document?x=1#f')).href).toBe('http://127.0.0.1:9500/broker/api/v1/tenant-secrets');
  });
});
