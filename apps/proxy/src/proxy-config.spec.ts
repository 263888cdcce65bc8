import { randomBytes } from 'node:crypto';
import { parseProxyConfig, SETTINGS } from './proxy-config';

// Fake secret values, generated per run: error messages must never contain them.
const API_KEY = randomBytes(24).toString('base64');
const API_KEY_2 = randomBytes(16).toString('base64');
const ENCRYPTION_KEY = randomBytes(48).toString('base64');
const SIGNING_KEY = randomBytes(48).toString('base64');

function env(over: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    TSP_SERVICE_CONFIG_ID: 'sa-1',
    TSP_SA_ENCRYPTION_KEY: ENCRYPTION_KEY,
    TSP_SA_SIGNING_KEY: SIGNING_KEY,
    TSP_BROKER_PUBLIC_KEY: 'MCowBQYDK2VwAyEA',
    TSP_CONFIG_URL: 'file:///tmp/config.json',
    API_KEY,
    PATH: '/usr/bin',
    HOME: '/home/x',
    ...over,
  };
}

function errorOf(vars: Record<string, string | undefined>): string {
  try {
    parseProxyConfig(vars);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected parseProxyConfig to fail');
}

function expectNoSecrets(message: string, ...extra: string[]): void {
  for (const s of [API_KEY, API_KEY_2, ENCRYPTION_KEY, SIGNING_KEY, ...extra]) expect(message).not.toContain(s);
}

describe('parseProxyConfig', () => {
  it('applies every default and keeps the required values', () => {
    const c = parseProxyConfig(env());
    expect(c).toMatchObject({
      serviceConfigId: 'sa-1',
      configUrl: 'file:///tmp/config.json',
      host: '127.0.0.1',
      port: 7777,
      healthPort: 9000,
      configRefreshSeconds: 600,
      configFetchTimeoutSeconds: 10,
      kmsTimeoutMs: 5000,
      batchKmsConcurrency: 16,
      leasedKeyCacheSize: 10000,
      leasedKeyCacheTtlSeconds: 3600,
      maxBodyBytes: 1048576,
      maxBatchSize: 1000,
      eventQueueSize: 100000,
      eventOutput: 'stdout',
      logLevel: 'info',
      shutdownTimeoutMs: 15000,
      encryptionPublicKey: '',
      signingPublicKey: '',
    });
    expect(c.encryptionKey).toBe(ENCRYPTION_KEY);
    expect(c.apiKeys).toEqual([API_KEY]);
    for (const s of SETTINGS) if (s.default !== undefined) expect(c[s.key]).toBe(s.default);
  });

  it('the result is frozen', () => {
    const c = parseProxyConfig(env());
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.apiKeys)).toBe(true);
  });

  it('reads integers and enums that are set, and both API keys', () => {
    const c = parseProxyConfig(env({ TSP_PORT: '8080', TSP_MAX_BATCH_SIZE: ' 50 ', TSP_LOG_LEVEL: 'debug', TSP_EVENT_OUTPUT: 'none', API_KEY_2 }));
    expect(c.port).toBe(8080);
    expect(c.maxBatchSize).toBe(50);
    expect(c.logLevel).toBe('debug');
    expect(c.eventOutput).toBe('none');
    expect(c.apiKeys).toEqual([API_KEY, API_KEY_2]);
  });

  it('ignores unrelated variables, undefined values and an empty API_KEY_2', () => {
    const c = parseProxyConfig(env({ NODE_ENV: 'test', TSP_PORT: undefined, API_KEY_2: '' }));
    expect(c.port).toBe(7777);
    expect(c.apiKeys).toEqual([API_KEY]);
  });

  it('accepts TSP_SERVICE_ACCOUNT_FILE (read by main.ts)', () => {
    expect(() => parseProxyConfig(env({ TSP_SERVICE_ACCOUNT_FILE: '/etc/tsp/sa.env' }))).not.toThrow();
  });

  it('rejects an unknown TSP_ variable, naming it', () => {
    const msg = errorOf(env({ TSP_PROT: '7777' }));
    expect(msg).toContain('TSP_PROT is not a known setting');
    expectNoSecrets(msg);
  });

  it.each([
    ['TSP_PORT', 'abc', 'TSP_PORT must be an integer from 0 to 65535'],
    ['TSP_PORT', '65536', 'TSP_PORT must be an integer from 0 to 65535'],
    ['TSP_PORT', '-1', 'TSP_PORT must be an integer from 0 to 65535'],
    ['TSP_PORT', '1.5', 'TSP_PORT must be an integer from 0 to 65535'],
    ['TSP_KMS_TIMEOUT_MS', '5', 'TSP_KMS_TIMEOUT_MS must be an integer from 10 to 120000'],
    ['TSP_MAX_BATCH_SIZE', '', 'TSP_MAX_BATCH_SIZE must be an integer from 1 to 100000'],
  ])('rejects %s=%p naming the variable', (name, value, message) => {
    expect(errorOf(env({ [name]: value }))).toContain(message);
  });

  it('rejects a value outside an enum, naming the variable', () => {
    expect(errorOf(env({ TSP_LOG_LEVEL: 'verbose' }))).toContain("TSP_LOG_LEVEL must be one of 'error', 'warn', 'info', 'debug'");
  });

  it.each(['TSP_SERVICE_CONFIG_ID', 'TSP_SA_ENCRYPTION_KEY', 'TSP_SA_SIGNING_KEY', 'TSP_BROKER_PUBLIC_KEY', 'TSP_CONFIG_URL', 'API_KEY'])(
    'requires %s',
    (name) => {
      const msg = errorOf(env({ [name]: undefined }));
      expect(msg).toContain(`${name} is required`);
      expectNoSecrets(msg);
    },
  );

  it('rejects an API key shorter than 12 bytes of base64, without printing it', () => {
    const short = randomBytes(11).toString('base64');
    const msg = errorOf(env({ API_KEY: short }));
    expect(msg).toContain('API_KEY must be base64 of at least 12 bytes');
    expectNoSecrets(msg, short);
    expect(() => parseProxyConfig(env({ API_KEY: randomBytes(12).toString('base64') }))).not.toThrow();
  });

  it('rejects an API key that is not base64, without printing it', () => {
    const bad = 'not base64 at all! secret-ish';
    const msg = errorOf(env({ API_KEY: bad }));
    expect(msg).toContain('API_KEY must be base64');
    expectNoSecrets(msg, bad);
  });

  it('a bad API_KEY_2 is named API_KEY_2', () => {
    const short = randomBytes(8).toString('base64');
    const msg = errorOf(env({ API_KEY_2: short }));
    expect(msg).toContain('API_KEY_2 must be base64');
    expect(msg).not.toMatch(/(^|\s)API_KEY must be/);
    expectNoSecrets(msg, short);
  });

  it('with an empty API_KEY, a bad API_KEY_2 is still named API_KEY_2', () => {
    const short = randomBytes(8).toString('base64');
    const msg = errorOf(env({ API_KEY: '', API_KEY_2: short }));
    expect(msg).toContain('API_KEY_2 must be base64');
    expectNoSecrets(msg, short);
  });

  it('lists every problem at once and never a secret value', () => {
    const msg = errorOf(env({ TSP_PORT: 'x', TSP_NOPE: ENCRYPTION_KEY, API_KEY: 'c2hvcnQ=', TSP_SA_SIGNING_KEY: undefined }));
    expect(msg).toMatch(/^Invalid configuration:/);
    for (const part of ['TSP_PORT must be', 'TSP_NOPE is not a known setting', 'API_KEY must be base64', 'TSP_SA_SIGNING_KEY is required']) {
      expect(msg).toContain(part);
    }
    expectNoSecrets(msg, 'c2hvcnQ=');
  });
});

describe('TSP_WORKERS', () => {
  it('defaults to 0 (one worker per usable CPU, resolved in main.ts)', () => {
    expect(parseProxyConfig(env()).workers).toBe(0);
  });

  it('accepts 1 to 64', () => {
    expect(parseProxyConfig(env({ TSP_WORKERS: '1' })).workers).toBe(1);
    expect(parseProxyConfig(env({ TSP_WORKERS: '64' })).workers).toBe(64);
  });

  it.each(['65', '-1', '1.5', 'two', ''])('refuses %p, naming the variable', (v) => {
    expect(() => parseProxyConfig(env({ TSP_WORKERS: v }))).toThrow('TSP_WORKERS must be an integer from 0 to 64');
  });
});
