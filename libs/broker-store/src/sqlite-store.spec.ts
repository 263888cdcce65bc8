import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { trackChild } from '@tsp/test-support';
import { expectRepoError, inviteFor, newKmsConfig, newTenantSecret, SecretMaker, V } from './repository-conformance-fixtures';
import { SecretBox } from './secret-box';
import { MIGRATIONS } from './sqlite-migrations';
import { SqliteBrokerRepository } from './sqlite-repository';

/** SQLite-specific guarantees of the issue 5 schema (migration 2): outbox atomicity, the upgrade, real multi-process races. */

const dir = mkdtempSync(path.join(tmpdir(), 'broker-store-2-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const newFile = (): string => path.join(dir, `store-${++n}`, 'broker.db');

function withRaw<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe('SQLite broker store, migration 2', () => {
  const masterKey = randomBytes(32);
  let repo: SqliteBrokerRepository | undefined;
  afterEach(async () => {
    await repo?.close();
    repo = undefined;
  });

  it('upgrades a version 1 store: configs kept, used KMS ids stay used, duplicate Current secrets resolved to the newest', async () => {
    // The file as the version 1 broker left it (the first migration only), with data.
    const v1 = newFile();
    const box = new SecretBox(masterKey);
    mkdirSync(path.dirname(v1), { recursive: true });
    const at = new Date().toISOString();
    withRaw(v1, (db) => {
      db.exec(MIGRATIONS[0]);
      db.pragma('user_version = 1');
      db.prepare("INSERT INTO tenants VALUES ('t1', 'One', '[]', 0, 0, ?, ?)").run(at, at);
      for (const id of [1, 2]) {
        db.prepare("INSERT INTO kms_configs VALUES (?, 't1', 'aws', '{}', 'v1:AAAA', 1, NULL, 1, 0, 0, NULL, ?, ?)").run(id, at, at);
      }
      db.prepare("UPDATE counters SET value = 3 WHERE name = 'kms_config_id'").run(); // id 3 was deleted
      const secrets: [string, string][] = [['p', 'current'], ['p', 'current'], ['p', 'inRotation'], ['p', 'current'], ['q', 'current']];
      secrets.forEach(([secretPath, status], i) => {
        const sealed = box.seal(`material-${i + 1}`, { table: 'tenant_secrets', rowId: i + 1, field: 'encrypted_secret' });
        db.prepare("INSERT INTO tenant_secrets VALUES (?, 't1', ?, 'search', ?, ?, ?)").run(i + 1, secretPath, status, sealed, at);
      });
    });
    repo = new SqliteBrokerRepository({ file: v1, masterKey });
    expect(withRaw(v1, (db) => db.pragma('user_version', { simple: true }))).toBe(2);
    expect((await repo.listTenantSecrets('t1')).map((s) => [s.id, s.secretPath, s.status])).toEqual([
      [1, 'p', 'inRotation'],
      [2, 'p', 'inRotation'],
      [3, 'p', 'inRotation'],
      [4, 'p', 'current'],
      [5, 'q', 'current'],
    ]);
    const secrets = new SecretMaker();
    for (const used of [1, 2, 3]) await expectRepoError(repo.createKmsConfig(newKmsConfig('t1', secrets, { id: used }), V), 'conflict', 'id');
    expect((await repo.createKmsConfig(newKmsConfig('t1', secrets), V)).id).toBe(4);
    const again = await repo.createTenantSecret(newTenantSecret('t1', 'p', 'search', 'BBBB'), V);
    expect({ created: again.created, id: again.secret.id, material: again.secret.encryptedSecret }).toEqual({ created: false, id: 4, material: 'material-4' });
  });

  it('the database itself refuses a second Current secret of a path and type', async () => {
    const file = newFile();
    repo = new SqliteBrokerRepository({ file, masterKey });
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    await repo.createTenantSecret(newTenantSecret('t1', 'p', 'search', 'AAAA'), V);
    withRaw(file, (db) => {
      const insert = db.prepare("INSERT INTO tenant_secrets (tenant_id, secret_path, secret_type, status, encrypted_secret, created_at) VALUES ('t1', 'p', ?, ?, 'x', 'now')");
      expect(() => insert.run('search', 'current')).toThrow(/UNIQUE constraint failed/);
      expect(() => insert.run('search', 'inRotation')).not.toThrow();
      expect(() => insert.run('vector', 'current')).not.toThrow();
    });
  });

  it.each([
    ['createTenant', (r: SqliteBrokerRepository) => r.createTenant({ id: 't2', name: 'Two' }, V)],
    ['createTenantSecret', (r: SqliteBrokerRepository) => r.createTenantSecret(newTenantSecret('t1', 'p', 'search', 'AAAA'), V)],
    ['inviteTenantAdmin', (r: SqliteBrokerRepository) => r.inviteTenantAdmin(inviteFor('t1', 'a@example.com'), V)],
    ['deleteTenant', (r: SqliteBrokerRepository) => r.deleteTenant('t1', V)],
  ])('%s: when the outbox insert fails, the change and its sequence bump roll back with it', async (_name, write) => {
    const file = newFile();
    repo = new SqliteBrokerRepository({ file, masterKey });
    await repo.createTenant({ id: 't1', name: 'One' }, V);
    const seq = await repo.sequence();
    const count = (table: string): number => withRaw(file, (db) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number);
    const before = ['tenants', 'tenant_secrets', 'tenant_admins', 'admin_events'].map(count);
    // The trigger is added while no repository is open, so no statement prepared before it exists.
    await repo.close();
    withRaw(file, (db) => db.exec("CREATE TRIGGER outbox_down BEFORE INSERT ON admin_events BEGIN SELECT RAISE(ABORT, 'outbox down'); END;"));
    repo = new SqliteBrokerRepository({ file, masterKey });
    // Not `rejects.toThrow`: better-sqlite3 makes its errors in the realm of the first test file
    // of the jest worker, so in a later file they are not `instanceof Error` there.
    const err: unknown = await write(repo).then(() => undefined, (e: unknown) => e);
    expect((err as { message?: unknown } | undefined)?.message).toBe('outbox down');
    expect(await repo.sequence()).toBe(seq);
    expect(['tenants', 'tenant_secrets', 'tenant_admins', 'admin_events'].map(count)).toEqual(before);
    await repo.close();
    withRaw(file, (db) => db.exec('DROP TRIGGER outbox_down'));
    repo = new SqliteBrokerRepository({ file, masterKey });
    await write(repo);
    expect(await repo.sequence()).toBe(seq + 1);
  });
});

describe('SQLite broker store, several processes on one file', () => {
  const bundle = path.join(dir, 'bundle', 'sqlite-repository.js');
  beforeAll(() => {
    buildSync({
      entryPoints: [path.join(__dirname, 'sqlite-repository.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      tsconfig: path.join(__dirname, '..', '..', '..', 'tsconfig.json'),
      logLevel: 'warning',
    });
  });

  /**
   * Each child opens its own repository on `file`, waits for the common start time, then asks
   * for the Current secret of 10 paths (in its own order) and prints what it got.
   */
  const CHILD = `
    const { SqliteBrokerRepository } = require(process.env.BUNDLE);
    const repo = new SqliteBrokerRepository({ file: process.env.STORE, masterKey: Buffer.from(process.env.STORE_KEY, 'hex') });
    const start = Number(process.env.START_AT), me = Number(process.env.CHILD);
    (async () => {
      while (Date.now() < start) await new Promise((r) => setImmediate(r));
      const out = [];
      for (let i = 0; i < 10; i++) {
        const path = 'p' + ((i + me * 3) % 10);
        const r = await repo.createTenantSecret({ tenantId: 't1', secretPath: path, secretType: 'search', encryptedSecret: Buffer.from('c' + me + path).toString('base64') },
          { actor: { kind: 'service-account', id: 'sa' + me } });
        out.push([path, r.secret.id, r.created, r.secret.encryptedSecret]);
      }
      await repo.close();
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { process.stderr.write(String(e && e.message)); process.exit(1); });`;

  it('6 processes racing for the first Current secret of 10 paths create exactly one each, and all get it', async () => {
    const file = newFile();
    const key = randomBytes(32);
    const repo = new SqliteBrokerRepository({ file, masterKey: key });
    try {
      await repo.createTenant({ id: 't1', name: 'One' }, V);
      const seq = await repo.sequence();
      const startAt = Date.now() + 1500;
      const runs = Array.from({ length: 6 }, (_, i) => {
        const child = spawn(process.execPath, ['-e', CHILD], {
          // The bundle lives in a temp dir: npm packages resolve from the workspace.
          env: { ...process.env, NODE_PATH: path.join(__dirname, '..', '..', '..', 'node_modules'), BUNDLE: bundle, STORE: file, STORE_KEY: key.toString('hex'), START_AT: String(startAt), CHILD: String(i) },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const tracked = trackChild(child);
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        const timer = setTimeout(() => void tracked.stop('SIGKILL'), 20000);
        return tracked.exited.then((code) => {
          clearTimeout(timer);
          if (code !== 0) throw new Error(`child ${i} exited ${code}: ${tracked.stderr()}`);
          return JSON.parse(stdout) as [string, number, boolean, string][];
        });
      });
      const results = (await Promise.all(runs)).flat();
      expect(results).toHaveLength(60);
      const listed = await repo.listTenantSecrets('t1');
      expect(listed).toHaveLength(10);
      const byPath = new Map(listed.map((s) => [s.secretPath, s.id]));
      for (const [p, id, , material] of results) {
        expect(id).toBe(byPath.get(p));
        expect(material).toBe(results.find((r) => r[0] === p && r[2])![3]);
      }
      expect(results.filter((r) => r[2]).map((r) => r[0]).sort()).toEqual([...byPath.keys()].sort());
      expect(await repo.sequence()).toBe(seq + 10);
      const events = (await repo.pendingAdminEvents(1000)).filter((e) => e.details['action'] === 'tenant-secret.create');
      expect(events).toHaveLength(10);
    } finally {
      await repo.close();
    }
  }, 30000);
});
