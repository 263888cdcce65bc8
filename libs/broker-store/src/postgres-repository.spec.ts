import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { freePort, startPostgres, PostgresServer } from '@tsp/test-support';
import { BrokerRepository, ChangeContext } from './repository';
import { repositoryConformance } from './repository-conformance';
import { loggingConfig, newKmsConfig, newServiceAccount, newTenantSecret, SecretMaker, V } from './repository-conformance-fixtures';
import { POSTGRES_MIGRATIONS } from './postgres-migrations';
import { PostgresBrokerRepository, PostgresBrokerRepositoryOptions } from './postgres-repository';
import { SecretBoxError } from './secret-box';

/**
 * The PostgreSQL back end against a real PostgreSQL 15 started on 127.0.0.1 for this file
 * (tools/test-support startPostgres). Every repository gets its own schema, so each test
 * starts from an empty store.
 */

let server: PostgresServer;
let db: string;
let schemas = 0;
const newSchema = (): string => `s${++schemas}_${randomBytes(3).toString('hex')}`;
const PROXY: ChangeContext = { actor: { kind: 'service-account', id: 'sa-proxies' } };

beforeAll(async () => {
  server = await startPostgres();
  db = await server.createDatabase('broker_store');
}, 120000);
afterAll(async () => {
  await server?.stop();
}, 30000);

/** How each conformance repository was opened, so the suite can open a second broker on the same store. */
const opened = new WeakMap<BrokerRepository, PostgresBrokerRepositoryOptions>();
repositoryConformance(
  'PostgreSQL',
  async () => {
    const opts = { connectionString: db, masterKey: randomBytes(32), schema: newSchema() };
    const repo = await PostgresBrokerRepository.open(opts);
    opened.set(repo, opts);
    return repo;
  },
  { openSecond: (first) => PostgresBrokerRepository.open(opened.get(first)!) },
);

/** Runs `fn` with a plain pg client on the test database, `schema` first on its search path. */
async function raw<T>(schema: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: db, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('PostgresBrokerRepository on a real server', () => {
  const masterKey = randomBytes(32);
  let schema: string;
  let repo: PostgresBrokerRepository;
  let others: PostgresBrokerRepository[];
  let secrets: SecretMaker;
  const open = async (key = masterKey): Promise<PostgresBrokerRepository> => {
    const r = await PostgresBrokerRepository.open({ connectionString: db, masterKey: key, schema });
    others.push(r);
    return r;
  };

  /** Two tenants, each with a primary KMS config, a logging config and a tenant secret; one service account. */
  async function populate(): Promise<void> {
    for (const t of ['t1', 't2']) {
      await repo.createTenant({ id: t, name: t }, V);
      await repo.createKmsConfig(newKmsConfig(t, secrets, { primary: true }), V);
      await repo.putLoggingConfig(t, loggingConfig(secrets), V);
      await repo.createTenantSecret(newTenantSecret(t, 'path', 'deterministic', Buffer.from(secrets.make(`wrapped-${t}`)).toString('base64')), PROXY);
    }
    await repo.createServiceAccount(newServiceAccount('sa', []));
  }

  beforeEach(async () => {
    schema = newSchema();
    secrets = new SecretMaker();
    others = [];
    repo = await open();
  });
  afterEach(async () => {
    for (const r of others) await r.close();
  });

  it('creates exactly one Current tenant secret when two brokers race 20 first requests', async () => {
    const second = await open();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    await repo.createKmsConfig(newKmsConfig('t1', secrets, { primary: true }), V);
    const seq = await repo.sequence();
    const events = (await repo.pendingAdminEvents(100)).length;
    const material = Array.from({ length: 20 }, (_, i) => Buffer.from(`${secrets.make(`race-${i}`)}`).toString('base64'));
    const results = await Promise.all(
      material.map((encryptedSecret, i) =>
        (i % 2 === 0 ? repo : second).createTenantSecret(newTenantSecret('t1', 'search/a', 'search', encryptedSecret), PROXY),
      ),
    );
    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(1);
    const winner = created[0].secret;
    expect(material).toContain(winner.encryptedSecret);
    for (const r of results) expect(r.secret).toEqual(winner);
    expect(await repo.listTenantSecrets('t1')).toEqual([{ id: winner.id, tenantId: 't1', secretPath: 'search/a', secretType: 'search', status: 'current', createdAt: winner.createdAt }]);
    expect(await second.sequence()).toBe(seq + 1);
    const added = (await repo.pendingAdminEvents(100)).slice(events);
    expect(added.map((e) => e.details['action'])).toEqual(['tenant-secret.create']);
    expect(added[0].actor).toEqual(PROXY.actor);
    // The database, not only the code path, refuses a second Current secret.
    await expect(raw(schema, (c) => c.query("INSERT INTO tenant_secrets (id, tenant_id, secret_path, secret_type, status, encrypted_secret, created_at) VALUES (999, 't1', 'search/a', 'search', 'current', 'x', now())"))).rejects.toThrow(
      /tenant_secrets_one_current/,
    );
  });

  it('serialises writers of two brokers: unique ids, one primary, one sequence step per write', async () => {
    const second = await open();
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const seq = await repo.sequence();
    const configs = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? repo : second).createKmsConfig(newKmsConfig('t1', secrets, { primary: true }), V)),
    );
    expect(new Set(configs.map((c) => c.id)).size).toBe(16);
    expect((await repo.listKmsConfigs('t1')).filter((c) => c.primary)).toHaveLength(1);
    expect(await second.sequence()).toBe(seq + 16);
    const ids = (await repo.pendingAdminEvents(100)).map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids).toHaveLength(17);
  });

  it('migrates once: reopening (also two brokers at once) keeps the schema version, the data and the sequence', async () => {
    await populate();
    const seq = await repo.sequence();
    const before = await repo.tenantsForDocument('sa');
    await repo.close();
    const [a, b] = await Promise.all([open(), open()]);
    expect(await a.sequence()).toBe(seq);
    expect(await b.tenantsForDocument('sa')).toEqual(before);
    const versions = await raw(schema, async (c) => (await c.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version));
    expect(versions).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    const c = await b.createKmsConfig(newKmsConfig('t1', secrets), V);
    expect(c.id).toBeGreaterThan(Math.max(...before.flatMap((d) => d.kmsConfigs.map((k) => k.id))));
    expect(await a.sequence()).toBe(seq + 1);

    // Two brokers opening a NEW schema at the same moment: one migrates, the other waits for it.
    schema = newSchema();
    const [x, y] = await Promise.all([open(), open()]);
    await x.createTenant({ id: 't1', name: 'One' }, V);
    expect(await y.getTenant('t1')).toBeDefined();
  });

  it('refuses a store newer than this broker', async () => {
    await raw(schema, (c) => c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [POSTGRES_MIGRATIONS.length + 1]));
    await expect(open()).rejects.toThrow(`broker store schema version ${POSTGRES_MIGRATIONS.length + 1} is newer than this broker knows`);
  });

  it('refuses a wrong master key at open, clearly and without echoing a key', async () => {
    await populate();
    const wrong = randomBytes(32);
    let message = '';
    try {
      await open(wrong);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/master key does not open this store/);
    for (const k of [wrong, masterKey]) {
      expect(message).not.toContain(k.toString('hex'));
      expect(message).not.toContain(k.toString('base64'));
    }
    await expect(open(randomBytes(16))).rejects.toThrow('the broker master key must be 32 bytes');
    expect(await (await open()).tenantsForDocument('sa')).toHaveLength(2);
  });

  it('fails to open clearly, without the password, when the server refuses the login or is not there', async () => {
    const wrongPassword = new URL(db);
    wrongPassword.password = 'not-the-password-42';
    const gone = `postgres://tsp:not-the-password-42@127.0.0.1:${await freePort()}/broker_store`;
    for (const connectionString of [wrongPassword.href, gone]) {
      const started = Date.now();
      const err = await PostgresBrokerRepository.open({ connectionString, masterKey, schema, connectTimeoutMs: 5000 }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      // (pg's errors come from another realm than jest's Error: no toBeInstanceOf.)
      expect(typeof err?.message).toBe('string');
      expect(err!.message).toMatch(/password authentication failed|ECONNREFUSED/);
      expect(err!.message).not.toContain('not-the-password-42');
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });

  it('answers lookups by an id holding NUL (which PostgreSQL text cannot store) as absent, not with an error', async () => {
    await populate();
    const nul = 't1\u0000x';
    expect(await repo.getTenant(nul)).toBeUndefined();
    expect(await repo.listKmsConfigs(nul)).toEqual([]);
    expect(await repo.getLoggingConfig(nul)).toBeUndefined();
    expect(await repo.listTenantSecrets(nul)).toEqual([]);
    expect(await repo.listTenantAdmins(nul)).toEqual([]);
    expect(await repo.getServiceAccount(nul)).toBeUndefined();
    expect(await repo.getTenantAdmin(nul)).toBeUndefined();
    expect(await repo.tenantAdminByEmail('a\u0000@example.com')).toBeUndefined();
    expect(await repo.listTenants({ tag: nul })).toEqual([]);
    await expect(repo.updateTenant(nul, { name: 'x' }, V)).rejects.toMatchObject({ kind: 'not-found', field: 'id' });
    await expect(repo.deleteTenantAdmin(nul, V)).rejects.toMatchObject({ kind: 'not-found', field: 'id' });
    await expect(repo.recordTenantAdminLogin(nul, new Date().toISOString())).rejects.toMatchObject({ kind: 'not-found', field: 'id' });
    await expect(repo.tenantsForDocument(nul)).rejects.toMatchObject({ kind: 'not-found', field: 'serviceAccountId' });
  });

  it('never stores a secret in plaintext: no row of any table holds one', async () => {
    await populate();
    const sealed = await raw(schema, async (c) => [
      ...(await c.query<{ v: string }>('SELECT credentials AS v FROM kms_configs')).rows,
      ...(await c.query<{ v: string }>('SELECT sink_credentials AS v FROM logging_configs')).rows,
      ...(await c.query<{ v: string }>('SELECT encrypted_secret AS v FROM tenant_secrets')).rows,
    ]);
    expect(sealed).toHaveLength(6);
    for (const r of sealed) expect(r.v).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    // Every row of every table of the schema, as text.
    const dump = await raw(schema, async (c) => {
      const tables = (await c.query<{ t: string }>('SELECT tablename AS t FROM pg_tables WHERE schemaname = $1', [schema])).rows.map((r) => r.t);
      expect(tables).toEqual(expect.arrayContaining(['kms_configs', 'logging_configs', 'tenant_secrets', 'admin_events', 'meta']));
      const parts: string[] = [];
      for (const t of tables) parts.push(...(await c.query<{ j: string }>(`SELECT row_to_json(x)::text AS j FROM "${t}" x`)).rows.map((r) => r.j));
      return parts.join('\n');
    });
    expect(secrets.secrets).toHaveLength(6);
    const base64 = (s: string): string => Buffer.from(s).toString('base64');
    for (const s of secrets.secrets) {
      expect(dump.includes(s)).toBe(false);
      expect(dump.includes(base64(s))).toBe(false);
    }
    const doc = JSON.stringify(await repo.tenantsForDocument('sa'));
    for (const s of secrets.secrets) expect(doc.includes(s) || doc.includes(base64(s))).toBe(true);
  });

  it.each([
    ['kms_configs', 'credentials', 'id'],
    ['logging_configs', 'sink_credentials', 'tenant_id'],
    ['tenant_secrets', 'encrypted_secret', 'id'],
  ])('a %s.%s ciphertext moved to another row does not open', async (table, column, key) => {
    await populate();
    await raw(schema, async (c) => {
      const rows = (await c.query<{ k: string; v: string }>(`SELECT ${key} AS k, ${column} AS v FROM ${table} ORDER BY ${key}`)).rows;
      await c.query(`UPDATE ${table} SET ${column} = $1 WHERE ${key} = $2`, [rows[0].v, rows[1].k]);
    });
    const err = await repo.tenantsForDocument('sa').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SecretBoxError);
    expect((err as Error).message).toContain(`${table}.${column}`);
    for (const s of secrets.secrets) expect((err as Error).message).not.toContain(s);
  });

  it('a failed write leaves nothing behind (one transaction with the sequence and the id counter)', async () => {
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const seq = await repo.sequence();
    const events = (await repo.pendingAdminEvents(100)).length;
    const circular: Record<string, unknown> = { accessKeyId: 'x' };
    circular['self'] = circular;
    await expect(repo.createKmsConfig({ ...newKmsConfig('t1', secrets), credentials: circular }, V)).rejects.toThrow(/circular/i);
    expect(await repo.sequence()).toBe(seq);
    expect(await repo.pendingAdminEvents(100)).toHaveLength(events);
    await raw(schema, async (c) => {
      expect((await c.query("SELECT value FROM counters WHERE name = 'kms_config_id'")).rows[0].value).toBe('0');
      expect((await c.query('SELECT count(*)::int AS n FROM kms_configs')).rows[0].n).toBe(0);
      expect((await c.query('SELECT count(*)::int AS n FROM kms_config_ids')).rows[0].n).toBe(0);
    });
    expect((await repo.createKmsConfig(newKmsConfig('t1', secrets), V)).id).toBe(1);
  });

  it('keeps explicit KMS config ids: never handed out twice, skipped by the assignment', async () => {
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const explicit = await repo.createKmsConfig(newKmsConfig('t1', secrets, { id: 2 }), V);
    expect(explicit.id).toBe(2);
    const assigned = [await repo.createKmsConfig(newKmsConfig('t1', secrets), V), await repo.createKmsConfig(newKmsConfig('t1', secrets), V)];
    expect(assigned.map((c) => c.id)).toEqual([1, 3]);
    await repo.deleteKmsConfig(2, V);
    await expect(repo.createKmsConfig(newKmsConfig('t1', secrets, { id: 2 }), V)).rejects.toMatchObject({ kind: 'conflict', field: 'id' });
    expect((await repo.createKmsConfig(newKmsConfig('t1', secrets), V)).id).toBe(4);
  });
});
