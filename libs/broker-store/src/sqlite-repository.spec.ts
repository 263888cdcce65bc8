import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BrokerRepository } from './repository';
import { repositoryConformance } from './repository-conformance';
import { loggingConfig, newKmsConfig, newServiceAccount, newTenantSecret, SecretMaker, V } from './repository-conformance-fixtures';
import { SecretBoxError } from './secret-box';
import { MIGRATIONS } from './sqlite-migrations';
import { SqliteBrokerRepository, SqliteBrokerRepositoryOptions } from './sqlite-repository';

const dir = mkdtempSync(path.join(tmpdir(), 'broker-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const newFile = (): string => path.join(dir, `store-${++n}`, 'broker.db');

/** Where each conformance store lives, so a second instance can open the same file. */
const opened = new WeakMap<BrokerRepository, SqliteBrokerRepositoryOptions>();
repositoryConformance(
  'SQLite',
  async () => {
    const opts = { file: newFile(), masterKey: randomBytes(32) };
    const repo = new SqliteBrokerRepository(opts);
    opened.set(repo, opts);
    return repo;
  },
  { openSecond: async (first) => new SqliteBrokerRepository(opened.get(first)!) },
);

describe('SqliteBrokerRepository on disk', () => {
  const masterKey = randomBytes(32);
  let file: string;
  let repo: SqliteBrokerRepository;
  let secrets: SecretMaker;
  const raw = (): Database.Database => new Database(file);

  /** A store with two tenants, each with a KMS config, a logging config and a tenant secret. */
  async function populate(): Promise<void> {
    for (const t of ['t1', 't2']) {
      await repo.createTenant({ id: t, name: t }, V);
      await repo.createKmsConfig(newKmsConfig(t, secrets, { primary: true }), V);
      await repo.putLoggingConfig(t, loggingConfig(secrets), V);
      await repo.createTenantSecret(newTenantSecret(t, 'path', 'deterministic', secrets.material(`wrapped-${t}`)), V);
    }
    await repo.createServiceAccount(newServiceAccount('sa', []));
  }

  beforeEach(() => {
    file = newFile();
    secrets = new SecretMaker();
    repo = new SqliteBrokerRepository({ file, masterKey });
  });
  afterEach(async () => {
    await repo.close();
  });

  it('uses WAL, foreign keys and the latest schema version', () => {
    const db = raw();
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(MIGRATIONS.length).toBe(2);
    } finally {
      db.close();
    }
    expect((repo as unknown as { store: { db: Database.Database } }).store.db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('keeps everything, the sequence included, across a reopen', async () => {
    await populate();
    const seq = await repo.sequence();
    const before = await repo.tenantsForDocument('sa');
    await repo.close();
    repo = new SqliteBrokerRepository({ file, masterKey });
    expect(await repo.sequence()).toBe(seq);
    expect(await repo.tenantsForDocument('sa')).toEqual(before);
    const c = await repo.createKmsConfig(newKmsConfig('t1', secrets), V);
    expect(c.id).toBeGreaterThan(Math.max(...before.flatMap((d) => d.kmsConfigs.map((k) => k.id))));
    expect(await repo.sequence()).toBe(seq + 1);
  });

  it('never stores a secret in plaintext: not in the secret columns, not anywhere in the files', async () => {
    await populate();
    const db = raw();
    try {
      const cols = [
        ...db.prepare<[], { v: string }>('SELECT credentials AS v FROM kms_configs').all(),
        ...db.prepare<[], { v: string }>('SELECT sink_credentials AS v FROM logging_configs').all(),
        ...db.prepare<[], { v: string }>('SELECT encrypted_secret AS v FROM tenant_secrets').all(),
      ].map((r) => r.v);
      expect(cols).toHaveLength(6);
      for (const v of cols) expect(v).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    } finally {
      db.close();
    }
    const bytes = Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    expect(secrets.secrets.length).toBe(6);
    for (const s of secrets.secrets) expect(bytes.includes(Buffer.from(s))).toBe(false);
    for (const s of secrets.secrets) expect(JSON.stringify(await repo.tenantsForDocument('sa'))).toContain(s);
  });

  it('refuses a wrong or malformed master key clearly, never echoing a key', async () => {
    await populate();
    await repo.close();
    const wrong = randomBytes(32);
    let message = '';
    try {
      new SqliteBrokerRepository({ file, masterKey: wrong });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/master key does not open this store/);
    for (const k of [wrong, masterKey]) {
      expect(message).not.toContain(k.toString('hex'));
      expect(message).not.toContain(k.toString('base64'));
    }
    expect(() => new SqliteBrokerRepository({ file, masterKey: randomBytes(16) })).toThrow('the broker master key must be 32 bytes');
    repo = new SqliteBrokerRepository({ file, masterKey });
    expect(await repo.tenantsForDocument('sa')).toHaveLength(2);
  });

  it.each([
    ['kms_configs', 'credentials', 'id'],
    ['logging_configs', 'sink_credentials', 'tenant_id'],
    ['tenant_secrets', 'encrypted_secret', 'id'],
  ])('a %s.%s ciphertext moved to another row does not open', async (table, column, key) => {
    await populate();
    const db = raw();
    try {
      const rows = db.prepare<[], { k: string | number; v: string }>(`SELECT ${key} AS k, ${column} AS v FROM ${table} ORDER BY ${key}`).all();
      db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`).run(rows[0].v, rows[1].k);
    } finally {
      db.close();
    }
    const err = await repo.tenantsForDocument('sa').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SecretBoxError);
    expect((err as Error).message).toContain(`${table}.${column}`);
    for (const s of secrets.secrets) expect((err as Error).message).not.toContain(s);
  });

  it('a tampered ciphertext does not open', async () => {
    await populate();
    const db = raw();
    try {
      const row = db.prepare<[], { id: number; v: string }>('SELECT id, credentials AS v FROM kms_configs ORDER BY id LIMIT 1').get()!;
      const body = Buffer.from(row.v.slice(3), 'base64');
      body[14] ^= 1;
      db.prepare('UPDATE kms_configs SET credentials = ? WHERE id = ?').run(`v1:${body.toString('base64')}`, row.id);
    } finally {
      db.close();
    }
    await expect(repo.tenantsForDocument('sa')).rejects.toThrow(SecretBoxError);
  });

  it('a failed write leaves nothing behind (one transaction with the sequence)', async () => {
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const seq = await repo.sequence();
    const events = await repo.pendingAdminEvents(100);
    // Credentials that cannot be serialised fail the write after the kms id counter moved: the
    // whole write must roll back.
    const circular: Record<string, unknown> = { accessKeyId: 'x' };
    circular['self'] = circular;
    await expect(repo.createKmsConfig({ ...newKmsConfig('t1', secrets), credentials: circular }, V)).rejects.toThrow(/circular/i);
    expect(await repo.sequence()).toBe(seq);
    expect(await repo.pendingAdminEvents(100)).toEqual(events);
    const db = raw();
    try {
      expect(db.prepare("SELECT value FROM counters WHERE name = 'kms_config_id'").pluck().get()).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM kms_configs').pluck().get()).toBe(0);
      expect(db.prepare('SELECT COUNT(*) FROM used_kms_config_ids').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
    expect((await repo.createKmsConfig(newKmsConfig('t1', secrets), V)).id).toBe(1);
  });
});
