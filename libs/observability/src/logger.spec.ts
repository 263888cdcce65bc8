import { PassThrough } from 'node:stream';
import { createLogger, isRedactedKey, redact, REDACTED_KEYS } from './logger';

// Fake secret values: the tests check that these strings never reach the output.
const SECRET_A = 'Zm9vYmFyLXNlY3JldC1hcGkta2V5';
const SECRET_B = 'kek-material-do-not-print';
const SECRET_C = 'dek-bytes-do-not-print';

describe('redact', () => {
  it.each(['apiKey', 'API_KEY', 'API_KEY_2', 'api-key', 'authorization', 'Authorization', 'kek', 'dek', 'edek', 'credentials', 'privateKey', 'client_secret', 'secretAccessKey', 'token', 'accessToken', 'password', 'encryptedSecret', 'leasedKey', 'signingKey', 'key'])(
    'replaces the value of %s',
    (name) => {
      expect(isRedactedKey(name)).toBe(true);
      expect(redact({ [name]: SECRET_A })).toEqual({ [name]: '[redacted]' });
    },
  );

  it.each(['tenantId', 'kmsConfigId', 'requestingId', 'route', 'keyPath', 'message', 'code', 'apiKeys_count'])('leaves %s alone', (name) => {
    expect(isRedactedKey(name)).toBe(false);
    expect(redact({ [name]: 'visible' })).toEqual({ [name]: 'visible' });
  });

  it('redacts nested objects and arrays at any depth within limits, leaving other fields', () => {
    const input = {
      tenantId: 't1',
      config: { id: 3, credentials: { accessKeyId: 'AKIA', secretAccessKey: SECRET_A }, keyPath: { arn: 'arn:x' } },
      list: [{ kek: SECRET_B, id: 1 }, [{ dek: SECRET_C }], 'plain'],
      headers: { Authorization: `cmk ${SECRET_A}`, 'content-type': 'application/json' },
    };
    expect(redact(input)).toEqual({
      tenantId: 't1',
      config: { id: 3, credentials: '[redacted]', keyPath: { arn: 'arn:x' } },
      list: [{ kek: '[redacted]', id: 1 }, [{ dek: '[redacted]' }], 'plain'],
      headers: { Authorization: '[redacted]', 'content-type': 'application/json' },
    });
    // The input itself is not modified.
    expect(input.list[0]).toEqual({ kek: SECRET_B, id: 1 });
  });

  it('stops at the depth limit without printing what lies below', () => {
    let deep: Record<string, unknown> = { inner: SECRET_A };
    for (let i = 0; i < 10; i++) deep = { level: deep };
    expect(JSON.stringify(redact(deep))).not.toContain(SECRET_A);
  });

  it('keeps primitives and reduces errors to name and message', () => {
    expect(redact('x')).toBe('x');
    expect(redact(5)).toBe(5);
    expect(redact(null)).toBeNull();
    const e = new TypeError('bad input');
    expect(redact({ err: e })).toEqual({ err: { name: 'TypeError', message: 'bad input' } });
  });

  it('the list is frozen', () => {
    expect(Object.isFrozen(REDACTED_KEYS)).toBe(true);
  });
});

describe('createLogger', () => {
  function logged(write: (log: ReturnType<typeof createLogger>) => void): Promise<string[]> {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const log = createLogger({ level: 'debug', service: 'proxy-test', stream });
    write(log);
    return new Promise((resolve) => {
      log.on('finish', () => resolve(Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l !== '')));
      log.end();
    });
  }

  it('writes JSON lines with the fixed message, service, level and non-secret fields', async () => {
    const lines = await logged((log) => log.info('config refreshed', { tenants: 3, sequence: 7 }));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', message: 'config refreshed', service: 'proxy-test', tenants: 3, sequence: 7 });
    expect(typeof line['timestamp']).toBe('string');
  });

  it('never writes a secret value passed in a field, at top level or nested', async () => {
    const lines = await logged((log) => {
      log.info('top level', { apiKey: SECRET_A, API_KEY_2: SECRET_A, kek: SECRET_B, dek: SECRET_C, tenantId: 't1' });
      log.warn('nested', { config: { credentials: { clientSecret: SECRET_A } }, items: [{ kek: SECRET_B }], headers: { authorization: `cmk ${SECRET_A}` } });
      log.error('error', { err: new Error('kms failed'), token: SECRET_C });
      log.child({ accessToken: SECRET_A }).debug('child logger', { dek: SECRET_C });
    });
    expect(lines).toHaveLength(4);
    const text = lines.join('\n');
    for (const s of [SECRET_A, SECRET_B, SECRET_C]) expect(text).not.toContain(s);
    expect(JSON.parse(lines[0])).toMatchObject({ apiKey: '[redacted]', API_KEY_2: '[redacted]', kek: '[redacted]', tenantId: 't1' });
    expect(JSON.parse(lines[1])).toMatchObject({ config: { credentials: '[redacted]' }, items: [{ kek: '[redacted]' }] });
    expect(JSON.parse(lines[2])).toMatchObject({ err: { message: 'kms failed' } });
  });

  it('respects the level', async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    const log = createLogger({ level: 'warn', service: 's', stream });
    log.info('hidden');
    log.warn('shown');
    await new Promise<void>((resolve) => {
      log.on('finish', () => resolve());
      log.end();
    });
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toContain('shown');
    expect(text).not.toContain('hidden');
  });
});
