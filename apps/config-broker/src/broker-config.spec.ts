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
    expect(c).toMatchObject({ host: '127.0.0.1', port: 9500, database: { kind: 'sqlite', file: '/tmp/broker.db' }, adminToken: TOKEN, publicUrl: 'http://127.0.0.1:9500', logLevel: 'info', shutdownTimeoutMs: 15000 });
    expect(c.masterKey).toEqual({ kind: 'plain', key: Buffer.from(MASTER, 'base64') });
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

  it('takes a postgres:// or postgresql:// TSP_BROKER_DB as PostgreSQL, logging it without user info or query', () => {
    for (const url of ['postgres://broker:db-pass-123@127.0.0.1:5432/tsp?sslmode=disable', 'postgresql://broker:db-pass-123@127.0.0.1:5432/tsp?sslmode=disable', 'POSTGRES://broker:db-pass-123@127.0.0.1:5432/tsp?sslmode=disable']) {
      const { database } = parseBrokerConfig({ ...valid, TSP_BROKER_DB: url });
      expect(database).toEqual({ kind: 'postgres', connectionString: url, forLogs: `${url.split(':')[0].toLowerCase()}://127.0.0.1:5432/tsp` });
      expect(database.forLogs).not.toContain('db-pass-123');
      expect(database.forLogs).not.toContain('broker');
      expect(Object.isFrozen(database)).toBe(true);
    }
    // Anything else is a SQLite file path, even one that mentions postgres.
    expect(parseBrokerConfig({ ...valid, TSP_BROKER_DB: 'var/postgres.db' }).database).toEqual({ kind: 'sqlite', file: 'var/postgres.db', forLogs: 'var/postgres.db' });
  });

  it('refuses a malformed postgres:// TSP_BROKER_DB without echoing it (it may hold the password)', () => {
    const msg = problems({ ...valid, TSP_BROKER_DB: 'postgres://broker:db-pass-123@[not-a-host/tsp' });
    expect(msg).toContain('TSP_BROKER_DB is not a valid postgres:// URL');
    expect(msg).not.toContain('db-pass-123');
  });

  it('checks TSP_BROKER_PUBLIC_KEY (the proxy variable) against the signing key when present', () => {
    expect(problems({ ...valid, TSP_BROKER_PUBLIC_KEY: generateEncodedKeyPair('ed25519').publicKey })).toContain('TSP_BROKER_PUBLIC_KEY is not the public half');
  });
});
