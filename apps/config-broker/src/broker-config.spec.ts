import { randomBytes } from 'node:crypto';
import { generateEncodedKeyPair, keyId, publicKeyOf } from '@tsp/config-crypto';
import { parseBrokerConfig } from './broker-config';

const signing = generateEncodedKeyPair('ed25519');
const MASTER = randomBytes(32).toString('base64');
const TOKEN = 'admin-token-0123456789abcdef';
const valid = { TSP_BROKER_DB: '/tmp/broker.db', TSP_BROKER_MASTER_KEY: MASTER, TSP_BROKER_SIGNING_KEY: signing.privateKey, TSP_BROKER_ADMIN_TOKEN: TOKEN };

function problems(vars: Record<string, string>): string {
  try {
    parseBrokerConfig(vars);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('parseBrokerConfig', () => {
  it('applies the defaults and decodes the keys', () => {
    const c = parseBrokerConfig({ ...valid, PATH: '/usr/bin', TSP_LOG_LEVEL: 'debug' });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 9500, dbFile: '/tmp/broker.db', adminToken: TOKEN, publicUrl: 'http://127.0.0.1:9500', logLevel: 'info', shutdownTimeoutMs: 15000 });
    expect(c.masterKey.equals(Buffer.from(MASTER, 'base64'))).toBe(true);
    expect(keyId(publicKeyOf(c.signingKey))).toHaveLength(16);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads every setting', () => {
    const c = parseBrokerConfig({ ...valid, TSP_BROKER_HOST: '0.0.0.0', TSP_BROKER_PORT: '9600', TSP_BROKER_PUBLIC_URL: 'https://broker.example.internal/tsp/', TSP_BROKER_LOG_LEVEL: 'debug', TSP_BROKER_PUBLIC_KEY: signing.publicKey });
    expect(c).toMatchObject({ host: '0.0.0.0', port: 9600, publicUrl: 'https://broker.example.internal/tsp', logLevel: 'debug' });
  });

  it('requires the database, keys and token, naming each variable', () => {
    const msg = problems({});
    for (const v of ['TSP_BROKER_DB', 'TSP_BROKER_MASTER_KEY', 'TSP_BROKER_SIGNING_KEY', 'TSP_BROKER_ADMIN_TOKEN']) expect(msg).toContain(v);
  });

  it('refuses bad values without echoing them', () => {
    const badSigning = generateEncodedKeyPair('x25519').privateKey;
    const msg = problems({
      ...valid,
      TSP_BROKER_MASTER_KEY: randomBytes(16).toString('base64'),
      TSP_BROKER_SIGNING_KEY: badSigning,
      TSP_BROKER_ADMIN_TOKEN: 'short-secret',
      TSP_BROKER_PUBLIC_URL: 'http://user:pw@127.0.0.1:9500',
      TSP_BROKER_PORT: '70000',
      TSP_BROKER_TYPO: 'x',
    });
    expect(msg).toContain('TSP_BROKER_MASTER_KEY must be base64 of exactly 32 bytes');
    expect(msg).toContain('TSP_BROKER_SIGNING_KEY is a x25519 key, expected ed25519');
    expect(msg).toContain('TSP_BROKER_ADMIN_TOKEN must be at least 16 characters');
    expect(msg).toContain('TSP_BROKER_PUBLIC_URL must not carry credentials');
    expect(msg).toContain('TSP_BROKER_PORT must be an integer');
    expect(msg).toContain('TSP_BROKER_TYPO is not a known setting');
    for (const secret of [badSigning, 'short-secret', 'pw@']) expect(msg).not.toContain(secret);
  });

  it('checks TSP_BROKER_PUBLIC_KEY (the proxy variable) against the signing key when present', () => {
    expect(problems({ ...valid, TSP_BROKER_PUBLIC_KEY: generateEncodedKeyPair('ed25519').publicKey })).toContain('TSP_BROKER_PUBLIC_KEY is not the public half');
  });
});
