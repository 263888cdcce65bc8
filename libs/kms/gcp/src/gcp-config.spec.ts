import { generateKeyPairSync } from 'node:crypto';
import type { KmsConfig } from '@tsp/config-crypto';
import { gcpConfigProblems, gcpSettings } from './gcp-config';
import { gcpKmsFactory } from './gcp-provider';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const EMAIL = 'wrapper@tenant-proj-1.iam.gserviceaccount.com';

function config(over: Partial<KmsConfig> = {}): KmsConfig {
  return {
    id: 3,
    type: 'gcp',
    active: true,
    primary: true,
    keyPath: { projectId: 'tenant-proj-1', locationId: 'us-east1', keyRingId: 'ring_1', cryptoKeyId: 'key-1' },
    credentials: { client_email: EMAIL, private_key: rsa },
    ...over,
  };
}

describe('gcp KMS config validation', () => {
  it('accepts a minimal config, a full service-account key file and a loopback fake', () => {
    expect(gcpKmsFactory.validate(config())).toEqual([]);
    const keyFile = {
      type: 'service_account', project_id: 'tenant-proj-1', private_key_id: 'abc', private_key: rsa, client_email: EMAIL, client_id: '123',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth', token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs', client_x509_cert_url: 'https://www.googleapis.com/robot/v1/metadata/x509/x', universe_domain: 'googleapis.com',
    };
    expect(gcpConfigProblems(config({ credentials: keyFile, endpoint: 'https://cloudkms.googleapis.com' }))).toEqual([]);
    expect(gcpConfigProblems(config({ credentials: { client_email: EMAIL, private_key: rsa, token_uri: 'http://127.0.0.1:4600/token' }, endpoint: 'http://127.0.0.1:4600' }))).toEqual([]);
    expect(gcpConfigProblems(config({ keyPath: { projectId: '123456789012', locationId: 'global', keyRingId: 'r', cryptoKeyId: 'k' } }))).toEqual([]);
    expect(gcpConfigProblems(config({ keyPath: { projectId: 'example.com:my-proj', locationId: 'europe', keyRingId: 'r', cryptoKeyId: 'k' } }))).toEqual([]);
  });

  it('builds the key name, token URI and endpoint the SDK gets', () => {
    const s = gcpSettings(config({ endpoint: 'http://127.0.0.1:4600', credentials: { client_email: EMAIL, private_key: rsa, token_uri: 'http://127.0.0.1:4600/token' } }));
    expect(s).toMatchObject({ keyName: 'projects/tenant-proj-1/locations/us-east1/keyRings/ring_1/cryptoKeys/key-1', tokenUri: 'http://127.0.0.1:4600/token', endpoint: { protocol: 'http', host: '127.0.0.1', port: 4600 } });
    expect(gcpSettings(config()).tokenUri).toBe('https://oauth2.googleapis.com/token');
    expect(gcpSettings(config()).endpoint).toBeUndefined();
    expect(gcpSettings(config({ endpoint: 'https://kms.private.example' })).endpoint).toEqual({ protocol: 'https', host: 'kms.private.example', port: 443 });
  });

  it.each(['projectId', 'locationId', 'keyRingId', 'cryptoKeyId'])('requires keyPath.%s', (field) => {
    const keyPath = { ...config().keyPath };
    delete keyPath[field];
    expect(gcpConfigProblems(config({ keyPath }))).toEqual([`keyPath.${field} is required`]);
  });

  it.each([
    ['projectId', 'Bad_Project'],
    ['projectId', 'ab'],
    ['locationId', 'US East'],
    ['keyRingId', 'ring/../x'],
    ['cryptoKeyId', 'k'.repeat(64)],
    ['cryptoKeyId', 5],
  ])('refuses keyPath.%s = %p', (field, value) => {
    expect(gcpConfigProblems(config({ keyPath: { ...config().keyPath, [field]: value } }))).toEqual([`keyPath.${field} is not a valid ${field}`]);
  });

  it('refuses unknown fields in keyPath and credentials', () => {
    expect(gcpConfigProblems(config({ keyPath: { ...config().keyPath, keyVersion: '1' } }))).toEqual(['keyPath.keyVersion is not a known field']);
    expect(gcpConfigProblems(config({ credentials: { client_email: EMAIL, private_key: rsa, password: 'x' } }))).toEqual(['credentials.password is not a known field']);
  });

  it.each([
    ['no client_email', { private_key: rsa }, 'credentials.client_email must be a service account email'],
    ['a client_email that is no email', { client_email: 'not an email', private_key: rsa }, 'credentials.client_email must be a service account email'],
    ['no private_key', { client_email: EMAIL }, 'credentials.private_key must be a PEM RSA private key'],
    ['a private_key that is not PEM', { client_email: EMAIL, private_key: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' }, 'credentials.private_key must be a PEM RSA private key'],
    ['an EC private_key', { client_email: EMAIL, private_key: ec }, 'credentials.private_key must be a PEM RSA private key'],
    ['a token_uri over http to another host', { client_email: EMAIL, private_key: rsa, token_uri: 'http://oauth.example.com/token' }, 'credentials.token_uri may use http:// only for a loopback host'],
    ['a token_uri that is no URL', { client_email: EMAIL, private_key: rsa, token_uri: 'token' }, 'credentials.token_uri is not a URL'],
    ['another credential type', { client_email: EMAIL, private_key: rsa, type: 'authorized_user' }, "credentials.type must be 'service_account'"],
    ['another universe', { client_email: EMAIL, private_key: rsa, universe_domain: 'example.com' }, "credentials.universe_domain must be 'googleapis.com'"],
  ])('refuses credentials with %s', (_n, credentials, problem) => {
    expect(gcpConfigProblems(config({ credentials }))).toEqual([problem]);
  });

  it.each([
    ['http://kms.example.com', 'endpoint may use http:// only for a loopback host'],
    ['https://kms.example.com/v1', 'endpoint must be an origin (scheme, host and port) without a path'],
    ['https://u:p@kms.example.com', 'endpoint must not carry credentials'],
    ['not a url', 'endpoint is not a URL'],
  ])('refuses endpoint %s', (endpoint, problem) => {
    expect(gcpConfigProblems(config({ endpoint }))).toEqual([problem]);
  });

  it('problems never contain the values', () => {
    const secret = rsa.replace('PRIVATE', 'PRIVATE').slice(0, -40) + 'garbage-----END PRIVATE KEY-----';
    const problems = gcpConfigProblems(config({ credentials: { client_email: 'x y@z', private_key: secret, token_uri: 'http://evil.example/tok' }, endpoint: 'http://u:pw@evil.example/p' })).join('\n');
    expect(problems).not.toMatch(/evil|garbage|x y@z|pw|MII/);
    expect(problems.split('\n')).toHaveLength(5);
  });
});
